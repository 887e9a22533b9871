"""`manage.py import_members FILE [--dry-run] [--organization CODE]`: what the user sees and what is written."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from members.idnumbers import check_char
from members.models import Member, MembershipTransfer
from tests.members.factories import id_number, make_member
from tests.members.test_roster import DEPT_HEADERS, person, roster_csv, roster_xlsx

#: Anything shaped like a full ID number or mobile number.
PERSONAL_DATA = re.compile(r"(?<![0-9])([0-9]{17}[0-9X]|1[3-9][0-9]{9})(?![0-9])")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(*args: str) -> tuple[str, str]:
    """Run the command; its stdout and stderr. CommandError (exit status 1) propagates."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_members", *args, stdout=out, stderr=err)
    finally:
        run.last = (out.getvalue(), err.getvalue())  # type: ignore[attr-defined]
    return out.getvalue(), err.getvalue()


def bad_birth_date_id() -> str:
    first17 = "420506199013401234"[:17]  # month 13
    return first17 + check_char(first17)


@pytest.mark.django_db
def test_bad_file_lists_every_problem_and_writes_nothing(tree, tmp_path):
    headers = [h if h != "公民身份号码" else "身份证号" for h in DEPT_HEADERS]
    good = id_number()
    bad_checksum = good[:17] + ("0" if good[17] != "0" else "1")
    male = id_number(male=True)
    rows = [
        person(tree["comm_a"], 身份证号=good),  # row 3
        person(tree["comm_a"], 身份证号=bad_checksum),  # row 4
        person(tree["comm_a"], 身份证号=bad_birth_date_id()),  # row 5
        person(tree["comm_a"], 身份证号=good),  # row 6: the same as row 3
        person(tree["comm_a"], 身份证号=id_number(), 所在党支部="不存在的党支部"),  # row 7
        person(tree["comm_a"], 身份证号=id_number(), 入党日期="2001.13"),  # row 8
        person(tree["comm_a"], 身份证号=4.20506199001011e17),  # row 9
        person(tree["comm_a"], 身份证号=male, 性别="女", 联系电话="13912345678"),  # row 10
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows, headers=headers)

    with pytest.raises(CommandError) as raised:
        run(str(path))

    _out, err = run.last  # type: ignore[attr-defined]
    assert err.splitlines() == [
        f"row 4, column 身份证号: The check character of the ID number is wrong: it should be {good[17]}.",
        "row 5, column 身份证号: The birth date inside the ID number is not a real date.",
        "row 6, column 身份证号: The same ID number is already on row 3.",
        "row 7, column 所在党支部: No party organization with the code or name “不存在的党支部”.",
        "row 8, column 入党日期: “2001.13” is not a date: write it like 2001-07-01, 2001.07 or 2001年7月1日.",
        "row 9, column 身份证号: Excel stored the ID number as a number and lost its last digits: "
        "format the column as text and type the ID numbers again.",
        "row 10, column 性别: Does not match the sex in the ID number (Male).",
    ]
    assert str(raised.value) == "7 problems; nothing was imported. Correct the file and import it again."
    assert raised.value.returncode == 1
    assert Member.objects.count() == 0
    assert Member.history.count() == 0
    assert not PERSONAL_DATA.search(err + str(raised.value))


@pytest.mark.django_db
def test_model_rules_are_checked_on_every_row(tree, tmp_path):
    headers = [*DEPT_HEADERS, "党员状态", "工作单位", "居住小区"]
    born_1980 = id_number(born=date(1980, 5, 17))
    rows = [
        person(tree["comm_a"], 公民身份号码=born_1980, 入党日期="1979.07"),  # row 3: before birth
        person(tree["comm_a"], 入党日期="2001.07", 转正日期="2000.07"),  # row 4
        person(tree["comm_a"], 党员状态="预备党员", 转正日期="2002.07"),  # row 5
        person(tree["comm_a"], 所在党支部=None),  # row 6
        person(tree["comm_a"], 工作单位=tree["compound_a"].unit.code),  # row 7
        person(tree["comm_a"], 居住小区=tree["agency"].code),  # row 8
        person(tree["comm_a"], 姓名="", 出生日期="1981-01-01"),  # row 9
        person(tree["comm_a"], 人员类别="", 联系电话="12345"),  # row 10
    ]
    path = roster_csv(tmp_path / "roster.csv", rows, headers=headers)

    with pytest.raises(CommandError):
        run(str(path))

    _out, err = run.last  # type: ignore[attr-defined]
    assert err.splitlines() == [
        "row 3, column 入党日期: The date joined must be after the birth date.",
        "row 4, column 转正日期: The date made full member cannot be before the date joined.",
        "row 5, column 党员状态: A probationary member has no date made full member.",
        "row 6, column 所在党支部: Say which organization holds the membership, in the district or outside it.",
        "row 7, column 工作单位: The employer must be an agency or an enterprise.",
        "row 8, column 居住小区: A member lives in a compound or a community.",
        "row 9, column 姓名: A member needs a name.",
        "row 9, column 出生日期: Does not match the birth date inside the ID number.",
        "row 10, column 人员类别: The category is required: 在职党员, 退休党员, 流动党员 or 其他.",
        "row 10, column 联系电话: Not a phone number: give an 11-digit mobile number, or a landline with its "
        "area code like 0717-1234567.",
    ]
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_counts_and_writes_nothing(tree, tmp_path):
    rows = [person(tree["comm_a"], 公民身份号码=id_number()) for _ in range(3)]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)

    out, err = run(str(path), "--dry-run")

    assert out.splitlines() == ["Dry run: the file is good; nothing was written.", "created 3, updated 0, unchanged 0"]
    assert err == ""
    assert Member.objects.count() == 0
    assert Member.history.count() == 0


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(tree, tmp_path):
    rows = [person(tree["comm_a"], 公民身份号码=id_number(), 联系电话=f"1391234567{i}") for i in range(3)]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)

    first, _err = run(str(path))
    history = Member.history.count()
    again, _err = run(str(path))

    assert first.strip() == "created 3, updated 0, unchanged 0"
    assert again.strip() == "created 0, updated 0, unchanged 3"
    assert Member.history.count() == history == 3
    assert not PERSONAL_DATA.search(first + again)


@pytest.mark.django_db
def test_changed_phone_updates_the_member_with_a_history_row(tree, tmp_path):
    member = make_member(home_organization=tree["comm_a"], phone="13900000001", name="王五")
    other = make_member(home_organization=tree["comm_a"], name="赵六")
    row = {"入党日期": "2005-07-01", "转正日期": "2006-07-01", "人员类别": "退休党员"}
    rows = [
        person(tree["comm_a"], 姓名="王五", 公民身份号码=member.id_number, 联系电话="13900000002", **row),
        person(tree["comm_a"], 姓名="赵六", 公民身份号码=other.id_number, 联系电话=other.phone, **row),
    ]

    out, _err = run(str(roster_xlsx(tmp_path / "roster.xlsx", rows)))

    assert out.strip() == "created 0, updated 1, unchanged 1"
    member.refresh_from_db()
    assert member.phone == "13900000002"
    latest = member.history.first()
    assert (latest.history_type, latest.phone, latest.history_change_reason) == ("~", "13900000002", "Roster import")
    assert member.history.count() == 2
    assert other.history.count() == 1


@pytest.mark.django_db
def test_changed_organization_is_recorded_as_a_transfer(tree, tmp_path):
    member = make_member(home_organization=tree["comm_a"], phone="13900000001", name="王五")
    row = person(
        tree["compound_b"],
        姓名="王五",
        公民身份号码=member.id_number,
        联系电话="13900000009",
        入党日期="2005-07-01",
        转正日期="2006-07-01",
        人员类别="退休党员",
    )

    out, _err = run(str(roster_xlsx(tmp_path / "roster.xlsx", [row])))

    assert out.strip() == "created 0, updated 1, unchanged 0"
    member.refresh_from_db()
    assert (member.home_organization, member.phone) == (tree["compound_b"], "13900000009")
    transfer = MembershipTransfer.objects.get(member=member)
    assert (transfer.from_organization, transfer.to_organization) == (tree["comm_a"], tree["compound_b"])
    assert transfer.reason == "Roster import"
    assert member.history.first().home_organization_id == tree["compound_b"].pk


@pytest.mark.django_db
def test_external_membership_moving_into_the_district_is_a_transfer(tree, tmp_path):
    member = make_member(home_organization=None, external_organization="宜昌市某党支部", name="王五")
    headers = [*DEPT_HEADERS, "区外组织关系"]
    row = person(tree["comm_a"], 姓名="王五", 公民身份号码=member.id_number, 联系电话=member.phone)
    row.update({"入党日期": "2005-07-01", "转正日期": "2006-07-01", "人员类别": "退休党员"})

    out, _err = run(str(roster_xlsx(tmp_path / "roster.xlsx", [row], headers=headers)))

    assert out.strip() == "created 0, updated 1, unchanged 0"
    member.refresh_from_db()
    assert (member.home_organization, member.external_organization) == (tree["comm_a"], "")
    transfer = MembershipTransfer.objects.get(member=member)
    assert (transfer.from_external, transfer.to_organization) == ("宜昌市某党支部", tree["comm_a"])


@pytest.mark.django_db
def test_organization_option_limits_and_fills_in_the_organization(tree, tmp_path):
    street = tree["street_a"]
    held_below = make_member(home_organization=tree["compound_a"], name="王五")
    existing = {"入党日期": "2005-07-01", "转正日期": "2006-07-01", "人员类别": "退休党员"}
    rows = [
        person(street, 所在党支部=None, 公民身份号码=id_number()),  # row 3: gets the street
        person(street, 所在党支部="乙小区党支部", 公民身份号码=id_number()),  # row 4: by name, inside
        person(
            street,
            所在党支部=None,
            姓名="王五",
            公民身份号码=held_below.id_number,
            联系电话=held_below.phone,
            **existing,
        ),
        person(street, 所在党支部="丙社区党委", 公民身份号码=id_number()),  # row 6: outside the street
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)

    with pytest.raises(CommandError):
        run(str(path), "--organization", street.code)

    _out, err = run.last  # type: ignore[attr-defined]
    assert err.splitlines() == [
        "row 6, column 所在党支部: “丙社区党委” is outside 甲街道党工委, the organization being imported."
    ]

    path = roster_xlsx(tmp_path / "roster.xlsx", rows[:3])
    out, _err = run(str(path), "--organization", street.code)

    assert out.strip() == "created 2, updated 0, unchanged 1"
    assert Member.objects.get(id_number=rows[0]["公民身份号码"]).home_organization == street
    assert Member.objects.get(id_number=rows[1]["公民身份号码"]).home_organization == tree["compound_b"]
    held_below.refresh_from_db()
    assert held_below.home_organization == tree["compound_a"]


@pytest.mark.django_db
def test_unknown_organization_option_or_file_is_an_error(tree, tmp_path):
    path = roster_xlsx(tmp_path / "roster.xlsx", [person(tree["comm_a"])])

    with pytest.raises(CommandError, match="No organization with code “NOPE”"):
        run(str(path), "--organization", "NOPE")
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "missing.xlsx"))


@pytest.mark.django_db
def test_output_frame_is_the_same_in_chinese(tree, tmp_path):
    """Scripts read `row N, column X: reason` and the counts line: only the reason is translated."""
    good = id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    path = roster_xlsx(tmp_path / "bad.xlsx", [person(tree["comm_a"], 公民身份号码=bad)])
    with translation.override("zh-hans"), pytest.raises(CommandError):
        run(str(path))
    [line] = run.last[1].splitlines()  # type: ignore[attr-defined]
    assert line.startswith("row 3, column 公民身份号码: ")
    assert "校验" in line  # the reason itself is in Chinese

    path = roster_xlsx(tmp_path / "good.xlsx", [person(tree["comm_a"], 公民身份号码=good)])
    with translation.override("zh-hans"):
        out, _err = run(str(path))
    assert out.splitlines()[-1] == "created 1, updated 0, unchanged 0"
