"""The roster import and export as the admin calls them (members.roster)."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook, load_workbook

from members.idnumbers import birth_date_of
from members.models import Category, Education, Gender, Member, MemberStatus
from members.roster import BATCH_SIZE, EXPORT_COLUMNS, export_roster, import_roster
from organizations.models import Role
from tests.members.factories import id_number, make_member
from tests.organizations.factories import make_org, user_with_role

#: The columns an organization department's own roster has (no export-only columns).
DEPT_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "学历",
    "入党日期",
    "转正日期",
    "人员类别",
    "所在党支部",
    "联系电话",
]
TITLE = "夷陵区党员花名册"


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English whatever the project's translations say."""
    with translation.override("en"):
        yield


def roster_xlsx(path: Path, rows: list[dict], *, headers=DEPT_HEADERS, titles=(TITLE,)) -> Path:
    """A roster workbook: title rows (merged across), the header row, then one row per dict."""
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(headers))
    sheet.append(headers)
    for n, row in enumerate(rows, start=1):
        sheet.append([row.get(h, n if h == "序号" else None) for h in headers])
    workbook.save(path)
    return path


def store_number(path: Path, marker: int, digits: str) -> None:
    """Put ``digits`` in the cell holding ``marker`` as a number with every digit kept.

    openpyxl (like Excel) writes an 18-digit number as a 15-digit float; some other programs keep
    the digits, and openpyxl then reads the cell back as an int.
    """
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert parts[sheet].count(f"<v>{marker}</v>".encode()) == 1
    parts[sheet] = parts[sheet].replace(f"<v>{marker}</v>".encode(), f"<v>{digits}</v>".encode())
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def roster_csv(path: Path, rows: list[dict], *, headers=DEPT_HEADERS, titles=(TITLE,), encoding="utf-8-sig") -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for title in titles:
        writer.writerow([title])
    writer.writerow(headers)
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if row.get(h) is None else row.get(h, n if h == "序号" else "") for h in headers])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def person(org, **cells) -> dict:
    """One good roster row held by ``org`` (its code), with ``cells`` overriding columns."""
    row = {
        "姓名": "张三",
        "公民身份号码": id_number(born=date(1980, 5, 17)),
        "入党日期": "2001-07-01",
        "转正日期": "2002-07-01",
        "人员类别": "在职党员",
        "所在党支部": org.code,
    }
    row.update(cells)
    return row


def imported(path: Path, **kwargs):
    with path.open("rb") as source:
        return import_roster(source, filename=path.name, **kwargs)


@pytest.mark.django_db
def test_file_with_title_row_and_untidy_cells_creates_exact_members(tree, tmp_path):
    # Stored as a number below, so without a check character X.
    first = next(n for n in iter(lambda: id_number(born=date(1980, 5, 17), male=True), None) if n[-1] != "X")
    second = id_number(born=date(1975, 2, 3), male=False)
    rows = [
        {
            "姓名": "张  三",
            "性别": "男",
            "民族": "",
            "出生日期": datetime(1980, 5, 17),  # noqa: DTZ001 - what openpyxl reads from a date cell
            "公民身份号码": 987654321,  # replaced below by the ID number as a number
            "学历": "本科",
            "入党日期": "2001.07",
            "转正日期": "2002年7月1日",
            "人员类别": "在职",
            "所在党支部": tree["comm_a"].code,
            "联系电话": "139 1234 5678",
        },
        {
            "姓名": " 李四 ",
            "性别": "",
            "民族": "回族",
            "公民身份号码": second.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "学历": "大专",
            "入党日期": datetime(2003, 7, 1),  # noqa: DTZ001
            "转正日期": "２００４０７０１",
            "人员类别": "退休党员",
            "所在党支部": "甲小区党支部",
            "联系电话": "0717-1234567",
        },
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)
    store_number(path, 987654321, first)

    result = imported(path)

    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    zhang = Member.objects.get(id_number=first)
    assert zhang.name == "张三"
    assert zhang.gender == Gender.MALE
    assert zhang.ethnicity == "汉族"
    assert zhang.birth_date == date(1980, 5, 17)
    assert zhang.education == Education.BACHELOR
    assert zhang.joined_on == date(2001, 7, 1)
    assert zhang.full_member_on == date(2002, 7, 1)
    assert zhang.status == MemberStatus.FULL
    assert zhang.category == Category.IN_SERVICE
    assert zhang.home_organization == tree["comm_a"]
    assert zhang.phone == "13912345678"
    li = Member.objects.get(id_number=second)
    assert (li.name, li.gender, li.ethnicity, li.birth_date) == ("李四", Gender.FEMALE, "回族", date(1975, 2, 3))
    assert (li.education, li.joined_on, li.full_member_on) == (Education.COLLEGE, date(2003, 7, 1), date(2004, 7, 1))
    assert (li.category, li.home_organization, li.phone) == (Category.RETIRED, tree["compound_a"], "0717-1234567")
    assert Member.history.filter(history_type="+").count() == 2
    assert sorted(result.member_ids) == sorted([zhang.pk, li.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2001.07", date(2001, 7, 1)),
        ("2001.7", date(2001, 7, 1)),
        (2001.07, date(2001, 7, 1)),
        ("2001-07-01", date(2001, 7, 1)),
        ("2001/7/1", date(2001, 7, 1)),
        ("20010701", date(2001, 7, 1)),
        (20010701, date(2001, 7, 1)),
        ("200107", date(2001, 7, 1)),
        ("2001年7月", date(2001, 7, 1)),
        ("2001年7月15日", date(2001, 7, 15)),
        ("2001-07-15 00:00:00", date(2001, 7, 15)),
        (datetime(2001, 7, 15), date(2001, 7, 15)),  # noqa: DTZ001
        ("２００１．０７", date(2001, 7, 1)),
    ],
)
def test_dates_written_the_usual_ways_are_read(tree, tmp_path, written, expected):
    path = roster_xlsx(tmp_path / "roster.xlsx", [person(tree["comm_a"], 入党日期=written, 转正日期=None)])

    result = imported(path)

    assert result.ok, result.problems
    member = Member.objects.get()
    assert member.joined_on == expected
    assert member.status == MemberStatus.PROBATIONARY  # no 转正日期, no 党员状态


@pytest.mark.django_db
def test_number_that_could_be_january_or_october_is_refused(tree, tmp_path):
    path = roster_xlsx(tmp_path / "roster.xlsx", [person(tree["comm_a"], 入党日期=2001.1)])

    result = imported(path)

    assert [str(p) for p in result.problems] == [
        "row 3, column 入党日期: “2001.1” could be January or October: write the date as text, e.g. 2001.01 or 2001.10."
    ]


@pytest.mark.django_db
def test_gb18030_csv_with_two_title_rows_and_alias_headers(tree, tmp_path):
    headers = ["序号", "姓名", "身份证号码", "入党日期", "人员类别", "所在党支部", "手机号码", "备注"]
    rows = [person(tree["comm_b"], 身份证号码=id_number(), 手机号码="13812345678", 备注="无")]
    path = roster_csv(
        tmp_path / "roster.csv", rows, headers=headers, titles=(TITLE, "填报单位：甲街道"), encoding="gb18030"
    )

    result = imported(path)

    assert result.ok, result.problems
    member = Member.objects.get()
    # No 党员状态 and no 转正日期 column: a probationary member.
    assert (member.home_organization, member.phone, member.status) == (tree["comm_b"], "13812345678", "probationary")


@pytest.mark.django_db
def test_missing_required_column_is_reported_on_the_header_row(tree, tmp_path):
    headers = ["姓名", "公民身份号码", "入党日期", "所在党支部"]
    path = roster_xlsx(tmp_path / "roster.xlsx", [person(tree["comm_a"])], headers=headers)

    result = imported(path)

    assert [str(p) for p in result.problems] == ["row 2, column 人员类别: This column is missing from the header row."]


@pytest.mark.django_db
def test_file_without_header_row_or_unreadable_is_one_problem(tree, tmp_path):
    no_header = roster_xlsx(tmp_path / "a.xlsx", [], headers=["名字", "号码"])
    not_a_workbook = tmp_path / "b.xlsx"
    not_a_workbook.write_bytes(b"this is not a zip file")

    assert [p.row for p in imported(no_header).problems] == [0]
    problems = imported(not_a_workbook).problems
    assert len(problems) == 1 and str(problems[0]).startswith("The file cannot be read")
    assert [p.row for p in import_roster(io.BytesIO(b"old"), filename="roster.xls").problems] == [0]


@pytest.mark.django_db
def test_export_imports_back_unchanged(tree, tmp_path):
    make_member(home_organization=tree["comm_a"], residence=tree["compound_a"].unit, education=Education.POSTGRADUATE)
    make_member(
        home_organization=tree["compound_b"],
        category=Category.IN_SERVICE,
        employer=tree["agency"],
        residence=tree["bare_b"],
        phone="0717-6543210",
    )
    make_member(home_organization=None, external_organization="宜昌市某党支部", phone="", ethnicity="土家族")
    make_member(
        home_organization=tree["comm_c"],
        status=MemberStatus.PROBATIONARY,
        full_member_on=None,
        category=Category.FLOATING,
        name="=SUM(A1)",
    )
    history = Member.history.count()
    for fmt in ("xlsx", "csv"):
        path = tmp_path / f"roster.{fmt}"
        path.write_bytes(export_roster(Member.objects.all(), fmt=fmt, full=True))

        result = imported(path)

        assert result.ok, result.problems
        assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
        assert [row.action for row in result.preview] == ["unchanged"] * 4
    assert Member.history.count() == history


@pytest.mark.django_db
def test_export_writes_codes_with_names_dates_as_date_cells_and_numbers_as_text(tree):
    member = make_member(
        home_organization=tree["comm_a"],
        residence=tree["compound_a"].unit,
        employer=tree["agency"],
        phone="13912345678",
    )

    sheet = load_workbook(io.BytesIO(export_roster(Member.objects.all(), fmt="xlsx", full=True))).active
    header, row = list(sheet.iter_rows(values_only=True))

    assert list(header) == EXPORT_COLUMNS
    assert EXPORT_COLUMNS[11:18] == [
        "所在党支部",
        "所在党支部名称",
        "区外组织关系",
        "工作单位",
        "工作单位名称",
        "居住小区",
        "居住小区名称",
    ]
    values = dict(zip(header, row, strict=True))
    assert values["公民身份号码"] == member.id_number
    assert values["联系电话"] == "13912345678"
    assert (values["性别"], values["党员状态"], values["人员类别"]) == ("男", "正式党员", "退休党员")
    assert (values["所在党支部"], values["所在党支部名称"]) == (tree["comm_a"].code, tree["comm_a"].name)
    assert (values["居住小区"], values["居住小区名称"]) == (tree["compound_a"].unit.code, tree["compound_a"].unit.name)
    assert (values["工作单位"], values["工作单位名称"]) == (tree["agency"].code, tree["agency"].name)
    # Real date cells, shown as dates.
    dates = {h: c for h, c in zip(header, next(sheet.iter_rows(min_row=2)), strict=True) if "日期" in h}
    assert {h: (c.value.date(), c.is_date, c.number_format) for h, c in dates.items()} == {
        "出生日期": (member.birth_date, True, "yyyy-mm-dd"),
        "入党日期": (date(2005, 7, 1), True, "yyyy-mm-dd"),
        "转正日期": (date(2006, 7, 1), True, "yyyy-mm-dd"),
    }
    assert sheet["E2"].data_type == "s" and sheet["F2"].data_type == "s"  # ID number and phone stay text


@pytest.mark.django_db
def test_export_columns_are_as_wide_as_what_they_hold(tree):
    make_member(home_organization=tree["comm_a"], external_organization="", name="欧阳娜娜")
    long_name = "宜昌市夷陵区小溪塔街道某某社区第一网格党支部"
    make_member(home_organization=None, external_organization=long_name)

    sheet = load_workbook(io.BytesIO(export_roster(Member.objects.all(), fmt="xlsx", full=True))).active
    width = {sheet.cell(row=1, column=i).value: sheet.column_dimensions[chr(64 + i)].width for i in range(1, 19)}

    # CJK characters count double, a date ten digits, an ID number eighteen.
    assert width["区外组织关系"] == 2 * len(long_name) + 2
    assert width["公民身份号码"] == 18 + 2
    assert width["入党日期"] == 10 + 2
    assert width["姓名"] == 2 * len("欧阳娜娜") + 2
    assert width["所在党支部名称"] >= 2 * len(tree["comm_a"].name) + 2
    assert width["性别"] == 6  # the narrowest column still shows its header


@pytest.mark.django_db
def test_masked_export_cannot_be_imported_back(tree, tmp_path):
    make_member(home_organization=tree["comm_a"])
    make_member(home_organization=tree["comm_b"])
    path = tmp_path / "roster.csv"
    path.write_bytes(export_roster(Member.objects.all(), fmt="csv", full=False))
    history = Member.history.count()

    result = imported(path)

    assert [(p.row, p.column) for p in result.problems] == [(2, "公民身份号码"), (2, "联系电话")] + [
        (3, "公民身份号码"),
        (3, "联系电话"),
    ]
    assert all("is masked (****)" in p.reason for p in result.problems)
    assert Member.history.count() == history


def exported_rows(data: bytes, fmt: str) -> list[dict]:
    """The rows of an exported roster, as dicts by column header."""
    if fmt == "xlsx":
        header, *rows = load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
    else:
        header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert list(header) == EXPORT_COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.django_db
def test_export_runs_one_query_whatever_the_number_of_members(tree, django_assert_num_queries):
    first = make_member(home_organization=tree["comm_a"], residence=tree["compound_a"].unit, employer=tree["agency"])
    with django_assert_num_queries(1):
        one = export_roster(Member.objects.all(), fmt="xlsx", full=True)
    later = [
        make_member(home_organization=tree["comm_b"], residence=tree["bare_b"], employer=tree["agency"])
        for _ in range(20)
    ]
    with django_assert_num_queries(1):
        full = export_roster(Member.objects.all(), fmt="xlsx", full=True)
    with django_assert_num_queries(1):
        masked = export_roster(Member.objects.all(), fmt="csv", full=False)

    def place(member) -> tuple:
        return (member.home_organization.code, member.residence.code, member.employer.code)

    expected = {m.name: m for m in [first, *later]}
    assert [(r["姓名"], r["公民身份号码"]) for r in exported_rows(one, "xlsx")] == [(first.name, first.id_number)]
    rows = exported_rows(full, "xlsx")
    assert sorted(r["姓名"] for r in rows) == sorted(expected)
    for row in rows:
        member = expected[row["姓名"]]
        assert (row["公民身份号码"], row["联系电话"]) == (member.id_number, member.phone)
        assert (row["所在党支部"], row["居住小区"], row["工作单位"]) == place(member)
    rows = exported_rows(masked, "csv")
    assert sorted(r["姓名"] for r in rows) == sorted(expected)
    for row in rows:
        member = expected[row["姓名"]]
        assert (row["公民身份号码"], row["联系电话"]) == (member.masked_id_number, member.masked_phone)
        assert member.id_number not in masked.decode("utf-8-sig") and member.phone not in masked.decode("utf-8-sig")
        assert (row["所在党支部"], row["居住小区"], row["工作单位"]) == place(member)


@pytest.mark.django_db
def test_dry_run_previews_updates_with_the_changed_fields(tree, tmp_path):
    member = make_member(home_organization=tree["comm_a"], phone="13900000000", name="王五")
    rows = [
        person(
            tree["comm_a"],
            姓名="王五",
            公民身份号码=member.id_number,
            联系电话="13911112222",
            入党日期="2005.07",
            转正日期="2006.07",
            人员类别="退休党员",
        ),
        person(tree["comm_b"], 姓名="新人"),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)

    result = imported(path, dry_run=True)

    assert result.ok and result.member_ids == []
    update, create = result.preview
    assert (update.row, update.action, update.name, update.changes) == (3, "update", "王五", ["phone"])
    assert update.masked_id == member.masked_id_number and update.organization == "甲社区党委"
    assert (create.row, create.action, create.organization) == (4, "create", "乙社区党委")
    member.refresh_from_db()
    assert member.phone == "13900000000"
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_user_cannot_import_outside_their_part_of_the_tree(tree, tmp_path):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    own = [make_member(home_organization=tree["comm_a"]) for _ in range(3)]
    elsewhere = make_member(home_organization=tree["comm_b"])
    rows = [
        person(tree["comm_a"], 公民身份号码=own[0].id_number, 居住小区=tree["compound_a"].unit.code),
        person(tree["comm_b"], 公民身份号码=own[1].id_number),
        person(tree["comm_a"], 公民身份号码=elsewhere.id_number),
        person(tree["comm_a"], 公民身份号码=own[2].id_number, 居住小区=tree["bare_b"].code),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows, headers=[*DEPT_HEADERS, "居住小区"])

    result = imported(path, user=secretary)

    # What lies out of sight reads like what does not exist.
    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (4, "所在党支部", f"No party organization with the code or name “{tree['comm_b'].code}”."),
        (5, "公民身份号码", UNKNOWN_MEMBER),
        (6, "居住小区", f"No unit with the code or name “{tree['bare_b'].code}”."),
    ]
    assert Member.objects.count() == 4
    assert Member.objects.filter(residence__isnull=False).count() == 0


# --- the preview tells nothing about members out of the importer's sight ----------------------------

UNKNOWN_MEMBER = (
    "This ID number cannot be imported by you: no member in your part of the roster holds it. "
    "New members, and members held elsewhere, are added or transferred in by district staff."
)
#: A roster without 转正日期 and 党员状态: an existing member keeps his, so the old import read them
#: from the stored record, even one out of the importer's sight.
NO_FULL_DATE = [h for h in DEPT_HEADERS if h != "转正日期"]


def problem_lines(result) -> list[tuple[str, str]]:
    return [(p.column, p.reason) for p in result.problems]


def outcome(result) -> str:
    """Everything the preview shows, as one string."""
    return repr(
        (
            [(p.row, p.column, p.reason) for p in result.problems],
            result.created,
            result.updated,
            result.unchanged,
            result.preview,
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMUNITY_SECRETARY])
def test_number_of_a_member_out_of_sight_reads_like_a_number_nobody_holds(tree, tmp_path, role):
    org = tree["street_a"] if role == Role.STREET_STAFF else tree["comm_a"]
    user = user_with_role(role, organization=org)
    hidden = make_member(home_organization=tree["comm_c"])
    nobody = id_number(born=hidden.birth_date)
    # The same row twice, but for the ID number: one a member out of sight holds, one nobody holds.
    cells = {"入党日期": "1990-07-01", "性别": "男", "出生日期": hidden.birth_date.isoformat()}
    rows = [
        person(tree["comm_a"], 公民身份号码=hidden.id_number, **cells),
        person(tree["comm_a"], 公民身份号码=nobody, **cells),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows, headers=NO_FULL_DATE)

    result = imported(path, user=user, dry_run=True)

    assert [p.row for p in result.problems] == [3, 4]
    assert problem_lines(result)[0] == problem_lines(result)[1] == ("公民身份号码", UNKNOWN_MEMBER)
    assert (result.created, result.updated, result.preview) == (0, 0, [])


@pytest.mark.django_db
def test_the_stored_dates_of_a_member_out_of_sight_change_nothing_in_the_preview(tree, tmp_path):
    staff = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    hidden = make_member(home_organization=tree["comm_c"])
    row = person(tree["comm_a"], 公民身份号码=hidden.id_number, 入党日期="2008-07-01")
    path = roster_xlsx(tmp_path / "roster.xlsx", [row], headers=NO_FULL_DATE)
    outputs = []
    # Full-member dates before, after and without the row's date joined: the old import reported a
    # date rule for the first only, so repeated uploads read the stored date out.
    for full_on, status in ((date(2000, 1, 1), "full"), (date(2010, 1, 1), "full"), (None, "probationary")):
        Member.objects.filter(pk=hidden.pk).update(joined_on=date(1999, 7, 1), full_member_on=full_on, status=status)
        outputs.append(outcome(imported(path, user=staff)))

    assert outputs[0] == outputs[1] == outputs[2]
    assert UNKNOWN_MEMBER in outputs[0]
    hidden.refresh_from_db()
    assert (hidden.home_organization, hidden.joined_on, hidden.full_member_on) == (
        tree["comm_c"],
        date(1999, 7, 1),
        None,
    )


@pytest.mark.django_db
def test_a_row_out_of_sight_is_checked_against_its_own_cells_only(tree, tmp_path):
    staff = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    hidden = make_member(home_organization=tree["comm_c"])
    rows = [
        # Joined before the birth date in the ID number: wrong whoever holds the number.
        person(tree["comm_a"], 公民身份号码=hidden.id_number, 入党日期="1970-07-01"),
        person(tree["comm_a"], 公民身份号码=id_number(born=hidden.birth_date), 入党日期="1970-07-01"),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows, headers=NO_FULL_DATE)

    result = imported(path, user=staff)

    assert [p.row for p in result.problems] == [3, 3, 4, 4]
    assert problem_lines(result)[:2] == problem_lines(result)[2:]
    assert ("公民身份号码", UNKNOWN_MEMBER) in problem_lines(result)
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_staff_update_the_members_they_see_and_only_district_staff_add_members(tree, tmp_path):
    street = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    own = make_member(home_organization=tree["comm_a"], phone="13900000001")
    new = id_number()
    rows = [
        person(tree["comm_a"], 公民身份号码=own.id_number, 联系电话="13900000002"),
        person(tree["comm_a"], 公民身份号码=new),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)

    by_street = imported(path, user=street)
    by_district = imported(path, user=district)

    assert [(p.row, p.column, p.reason) for p in by_street.problems] == [(4, "公民身份号码", UNKNOWN_MEMBER)]
    assert by_district.problems == [] and (by_district.created, by_district.updated) == (1, 1)
    assert Member.objects.get(id_number=new).home_organization == tree["comm_a"]
    own.refresh_from_db()
    assert own.phone == "13900000002"


@pytest.mark.django_db
def test_district_staff_cannot_add_a_number_a_member_out_of_their_sight_holds(tree, tmp_path):
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    # Held outside the district, living nowhere in it: no district role sees this member.
    outside = make_member(home_organization=None)
    path = roster_xlsx(tmp_path / "roster.xlsx", [person(tree["comm_a"], 公民身份号码=outside.id_number)])

    result = imported(path, user=district)

    assert [(p.row, p.column, p.reason) for p in result.problems] == [(3, "公民身份号码", UNKNOWN_MEMBER)]
    outside.refresh_from_db()
    assert outside.home_organization is None and Member.objects.count() == 1


@pytest.mark.django_db
def test_organizations_and_units_out_of_sight_are_neither_named_nor_typed(tree, tmp_path):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    own = make_member(home_organization=tree["comm_a"])
    # An organization of the other street with the name of one in sight: not "ambiguous".
    make_org(tree["comm_c"], name=tree["compound_a"].name)
    rows = [
        person(tree["comm_a"], 公民身份号码=own.id_number, 所在党支部=tree["compound_a"].name),
        # An agency out of sight as a residence: not "a member lives in a compound".
        person(tree["comm_a"], 公民身份号码=own.id_number, 居住小区=tree["agency"].code),
        person(tree["comm_a"], 公民身份号码=own.id_number, 居住小区="U9999"),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows, headers=[*DEPT_HEADERS, "居住小区"])

    result = imported(path, user=secretary, dry_run=True)

    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (4, "公民身份号码", "The same ID number is already on row 3."),
        (4, "居住小区", f"No unit with the code or name “{tree['agency'].code}”."),
        (5, "公民身份号码", "The same ID number is already on row 3."),
        (5, "居住小区", "No unit with the code or name “U9999”."),
    ]


@pytest.mark.django_db
def test_ambiguous_unit_name_lists_the_codes(tree, tmp_path):
    from tests.organizations.factories import make_unit

    twin = make_unit("compound", tree["comm_c"], name="乙社区无支部小区")
    rows = [person(tree["comm_a"], 居住小区="乙社区无支部小区")]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows, headers=[*DEPT_HEADERS, "居住小区"])

    (problem,) = imported(path).problems

    assert problem.column == "居住小区"
    assert tree["bare_b"].code in problem.reason and twin.code in problem.reason


def _kinds(context: CaptureQueriesContext) -> Counter:
    return Counter(q["sql"].split()[0].upper() for q in context.captured_queries)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(tree, tmp_path):
    def rows(n: int) -> list[dict]:
        orgs = [tree["comm_a"], tree["comm_b"], tree["compound_a"]]
        return [person(orgs[i % 3], 公民身份号码=id_number(), 联系电话=f"139{i:08d}") for i in range(n)]

    small_file = roster_xlsx(tmp_path / "small.xlsx", rows(20))
    large_file = roster_xlsx(tmp_path / "large.xlsx", rows(200))
    counts = {}
    for label, path in (("small", small_file), ("large", large_file)):
        for run in ("create", "again"):
            with CaptureQueriesContext(connection) as context:
                assert imported(path).ok
            counts[label, run] = _kinds(context)

    # Reading, checking and an import that changes nothing: the same queries for 20 rows as for 200.
    assert counts["small", "again"] == counts["large", "again"]
    small, large = counts["small", "create"], counts["large", "create"]
    assert small - Counter(INSERT=small["INSERT"]) == large - Counter(INSERT=large["INSERT"])
    # Inserts come in batches; only SQLite's 999-parameter limit makes the batches smaller than BATCH_SIZE.
    history_fields = Member.history.model._meta.concrete_fields
    rows_per_insert = min(BATCH_SIZE, connection.ops.bulk_batch_size(history_fields, [None] * 200))
    assert large["INSERT"] <= 2 * math.ceil(200 / rows_per_insert)
    if connection.vendor == "postgresql":
        assert large == small


@pytest.mark.parametrize("write_only", [True, False], ids=["inline strings", "shared strings"])
def test_quick_sheet_reader_reads_what_openpyxl_reads(tmp_path, write_only):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from yiling.spreadsheets import quick_sheet_rows as _quick_sheet_rows

    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("花名册") if write_only else workbook.active
    rows = [
        ["夷陵区党员花名册"],
        [],
        ["姓名", "出生日期", "号码", None, "备注"],
        ["张三", datetime(1980, 5, 17), 420506, 2001.07, CellRichText("甲", TextBlock(InlineFont(b=True), "乙"))],  # noqa: DTZ001
        [None, None, None, None, None],
        ["李四", date(1975, 2, 3), "４２０５０６", True, ""],
        [None, None, None, None, "只有备注"],
    ]
    for row in rows:
        sheet.append(row)
    if not write_only:
        sheet["C9"] = "gap below"
    path = tmp_path / "sheet.xlsx"
    workbook.save(path)

    opened = load_workbook(path, read_only=True, data_only=True)
    quick = list(_quick_sheet_rows(opened, opened.worksheets[0]))
    expected = list(enumerate(opened.worksheets[0].iter_rows(values_only=True), start=1))
    opened.close()

    def trimmed(values):  # openpyxl pads every row to the sheet's width; the quick reader does not
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        return tuple(values)

    assert [(line, trimmed(v)) for line, v in quick] == [(line, trimmed(v)) for line, v in expected]
    assert quick[3][1][4] == "甲乙"


@pytest.mark.django_db
def test_birth_month_alone_is_taken_with_the_day_from_the_id_number(tree, tmp_path):
    number = id_number(born=date(1970, 3, 5))
    born = birth_date_of(number)
    other_day = (born.replace(day=2) if born.day != 2 else born.replace(day=3)).isoformat()
    rows = [
        person(tree["comm_a"], 公民身份号码=number, 出生日期=f"{born:%Y.%m}"),
        person(tree["comm_a"], 出生日期=other_day),
    ]
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)

    result = imported(path)

    assert [(p.row, p.column) for p in result.problems] == [(4, "出生日期")]
    rows.pop()
    assert imported(roster_xlsx(tmp_path / "ok.xlsx", rows)).ok
    assert Member.objects.get().birth_date == born


def test_row_positions_name_the_service_fields():
    from members import roster

    named = {
        "NAME": "name", "GENDER": "gender", "ETHNICITY": "ethnicity", "BIRTH": "birth_date", "ID": "id_number",
        "PHONE": "phone", "EDUCATION": "education", "JOINED": "joined_on", "FULL": "full_member_on",
        "STATUS": "status", "CATEGORY": "category", "HOME": "home_organization_id",
        "EXTERNAL": "external_organization", "EMPLOYER": "employer_id", "RESIDENCE": "residence_id",
    }  # fmt: skip
    assert {constant: roster.ATTRS[getattr(roster, constant)] for constant in named} == named


#: Every placeholder people type for "nothing", as typed (spaces, full-width spaces around some).
BLANK_MARKERS_TYPED = ["无", "空", "—", "－", "-", "/", "／", "暂无", " 无 ", "\u3000－\u3000", "——"]
#: The roster's optional columns, and what a blank one gives a new member.
OPTIONAL_BLANK = {"性别": None, "民族": "汉族", "出生日期": None, "学历": "", "转正日期": None, "联系电话": ""}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_placeholders_in_optional_cells_read_as_blank(tree, tmp_path, fmt):
    org = tree["comm_a"]
    rows = [person(org, **dict.fromkeys(OPTIONAL_BLANK, placeholder)) for placeholder in BLANK_MARKERS_TYPED]
    write = roster_xlsx if fmt == "xlsx" else roster_csv

    result = imported(write(tmp_path / f"roster.{fmt}", rows))

    assert result.ok, [str(p) for p in result.problems]
    assert result.created == len(BLANK_MARKERS_TYPED)
    for row in rows:
        member = Member.objects.get(id_number=row["公民身份号码"])
        # Blank: sex and birth date from the ID number, the default ethnicity, no phone, no education,
        # not yet a full member.
        assert (member.gender, member.birth_date) == (Gender.MALE, birth_date_of(member.id_number))
        assert (member.ethnicity, member.education, member.phone) == ("汉族", "", "")
        assert (member.full_member_on, member.status) == (None, MemberStatus.PROBATIONARY)


@pytest.mark.django_db
@pytest.mark.parametrize("placeholder", BLANK_MARKERS_TYPED)
def test_a_placeholder_in_a_required_cell_is_reported_as_missing(tree, tmp_path, placeholder):
    org = tree["comm_a"]
    required = ["姓名", "公民身份号码", "入党日期", "人员类别"]
    empty = [person(org, **{column: None}) for column in required]
    typed = [person(org, **{column: placeholder}) for column in required]

    result = imported(roster_xlsx(tmp_path / "roster.xlsx", empty + typed))

    lines = [(p.row, p.column, p.reason) for p in result.problems]
    by_empty = [(column, reason) for row, column, reason in lines if row < 3 + len(required)]
    by_placeholder = [(column, reason) for row, column, reason in lines if row >= 3 + len(required)]
    assert [column for column, _reason in by_empty] == required
    assert by_placeholder == by_empty
    assert Member.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_date_in_the_future_is_refused_with_row_and_column_named(tree, tmp_path, fmt):
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    org = tree["comm_a"]
    rows = [
        person(org, 出生日期=tomorrow),
        person(org, 入党日期=tomorrow, 转正日期=None),
        person(org, 转正日期=tomorrow),
        person(org, 入党日期=timezone.localdate().isoformat(), 转正日期=None),  # today is fine
    ]
    write = roster_xlsx if fmt == "xlsx" else roster_csv

    path = write(tmp_path / f"roster.{fmt}", rows)
    result = imported(path)

    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (3, "出生日期", "birth date cannot be in the future: give a day up to today."),
        (4, "入党日期", "date joined the party cannot be in the future: give a day up to today."),
        (5, "转正日期", "date made full member cannot be in the future: give a day up to today."),
    ]
    assert Member.objects.count() == 0
    with translation.override("zh-hans"):
        assert str(imported(path).problems[1]) == "第 4 行，入党日期 列：入党日期不能晚于今天：请填写今天或以前的日期。"
