"""`manage.py import_compounds FILE [--dry-run]` and the compound list export: what the user sees and
what is written. Reasons are asserted in Chinese (the portal's language); the `row N, column X:` frame
and the counts line stay English for scripts."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations import services
from organizations.compounds_import import COMPOUND_COLUMNS, export_compounds, import_compounds
from organizations.models import Organization, OwnersCommittee, Role, Unit, UnitType

from .factories import make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db

TITLE = "夷陵区物业小区台账"


def compounds_xlsx(path: Path, rows: list[dict], *, headers=COMPOUND_COLUMNS, titles=(TITLE,)) -> Path:
    """A compound list workbook: title rows, the header row, then one row per dict."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    workbook.save(path)
    return path


def compounds_csv(path: Path, rows: list[dict], *, headers=COMPOUND_COLUMNS, titles=(), encoding="utf-8-sig") -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for title in titles:
        writer.writerow([title])
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row[h] for h in headers])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def row_of(compound: Unit, **cells) -> dict:
    """The row the list holds for ``compound`` as it is now (no committee or branch term)."""
    row = {
        "小区编码": compound.code,
        "小区名称": compound.name,
        "所属社区": compound.parent.code,
        "户数": compound.households,
        "人数": compound.residents,
        "地址": compound.address,
    }
    row.update(cells)
    return row


def run(*args: str) -> tuple[str, str]:
    """Run the command; its stdout and stderr. CommandError (exit status 1) propagates."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_compounds", *args, stdout=out, stderr=err)
    finally:
        run.last = (out.getvalue(), err.getvalue())  # type: ignore[attr-defined]
    return out.getvalue(), err.getvalue()


def written() -> tuple[int, ...]:
    """Counts of everything an import can write, with their histories."""
    return (
        Unit.objects.count(),
        Unit.history.count(),
        OwnersCommittee.objects.count(),
        OwnersCommittee.history.count(),
        Organization.history.count(),
    )


@pytest.fixture
def company():
    return services.property_company_create(code="PC-01", name="宜昌红苑物业", is_red=True)


def test_new_changed_and_unchanged_compounds(tree, company, tmp_path):
    comm_a, bare_b, compound_a = tree["comm_a"], tree["bare_b"], tree["compound_a"].unit
    rows = [
        {  # row 3: a new compound, its community by name, untidy figures and dates
            "小区编码": "ＣＰ-101",
            "小区名称": " 恒大绿洲 ",
            "所属社区": comm_a.unit.name,
            "户数": "2,717户",
            "人数": 8197,
            "地址": "小溪塔街道发展大道",
            "物业公司": "宜昌红苑物业",
            "业委会成立日期": "2021.5.1",
            "业委会届满日期": "2026年4月30日",
        },
        # row 4: a compound without a branch moves to another community, with a property company
        row_of(bare_b, 所属社区=comm_a.unit.code, 户数=120, 物业公司="PC-01"),
        # row 5: as it is
        row_of(compound_a),
    ]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)

    out, err = run(str(path))

    assert (out.strip(), err) == ("created 1, updated 1, unchanged 1", "")
    new = Unit.objects.get(code="CP-101")
    assert (new.name, new.unit_type, new.parent, new.organization) == (
        "恒大绿洲",
        UnitType.COMPOUND,
        comm_a.unit,
        comm_a,
    )
    assert (new.households, new.residents, new.address, new.property_company) == (
        2717,
        8197,
        "小溪塔街道发展大道",
        company,
    )
    committee = OwnersCommittee.objects.get(compound=new)
    assert (committee.elected_on, committee.term_ends_on, committee.is_current) == (
        date(2021, 5, 1),
        date(2026, 4, 30),
        True,
    )
    bare_b.refresh_from_db()
    assert (bare_b.parent, bare_b.organization, bare_b.households, bare_b.property_company) == (
        comm_a.unit,
        comm_a,
        120,
        company,
    )
    assert compound_a.history.count() == 1


def test_importing_the_same_file_again_changes_nothing(tree, company, tmp_path):
    rows = [
        {"小区编码": f"CP-2{i}", "小区名称": f"小区{i}", "所属社区": tree["comm_b"].unit.code, "户数": 100 + i}
        for i in range(3)
    ]
    rows[0].update({"物业公司": "PC-01", "业委会成立日期": "2022-01-01", "业委会届满日期": "2027-01-01"})
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)

    first, _err = run(str(path))
    before = written()
    again, _err = run(str(path))

    assert first.strip() == "created 3, updated 0, unchanged 0"
    assert again.strip() == "created 0, updated 0, unchanged 3"
    assert written() == before


def test_dry_run_counts_and_writes_nothing(tree, tmp_path):
    rows = [
        {"小区编码": "CP-301", "小区名称": "新小区", "所属社区": tree["comm_a"].unit.code},
        row_of(tree["bare_b"], 户数=50, 业委会成立日期="2023-03-01", 业委会届满日期="2028-02-28"),
    ]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)
    before = written()

    out, err = run(str(path), "--dry-run")

    assert out.splitlines() == ["试运行：文件无误，未写入任何数据。", "created 1, updated 1, unchanged 0"]
    assert err == ""
    assert written() == before


def test_bad_file_lists_every_problem_with_row_and_column_and_writes_nothing(tree, company, tmp_path):
    compound_a, bare_b = tree["compound_a"].unit, tree["bare_b"]
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    rows = [
        {"小区编码": "CP-401", "小区名称": "好小区", "所属社区": tree["comm_a"].unit.code},  # row 2: good
        {"小区编码": "", "小区名称": "无编码小区", "所属社区": tree["comm_a"].unit.code},  # row 3
        {"小区编码": "CP 402", "小区名称": "空格编码", "所属社区": tree["comm_a"].unit.code},  # row 4
        {"小区编码": "CP-401", "小区名称": "重复", "所属社区": tree["comm_a"].unit.code},  # row 5
        {"小区编码": "CP-403", "小区名称": "无社区", "所属社区": "不存在的社区"},  # row 6
        {"小区编码": tree["agency"].code, "小区名称": "区委办", "所属社区": tree["comm_a"].unit.code},  # row 7
        {
            "小区编码": "CP-404",
            "小区名称": "户数错",
            "所属社区": tree["comm_a"].unit.code,
            "户数": "-5",
            "人数": "很多",
        },
        {"小区编码": "CP-405", "小区名称": "物业错", "所属社区": tree["comm_a"].unit.code, "物业公司": "不存在物业"},
        {
            "小区编码": "CP-406",
            "小区名称": "业委会缺",
            "所属社区": tree["comm_a"].unit.code,
            "业委会成立日期": "2021-05-01",
        },
        {  # row 11
            "小区编码": "CP-407",
            "小区名称": "届满早",
            "所属社区": tree["comm_a"].unit.code,
            "业委会成立日期": "2021-05-01",
            "业委会届满日期": "2020-05-01",
        },
        row_of(bare_b, 支部换届日期="2021-05-01", 支部届满日期="2026-05-01"),  # row 12
        row_of(compound_a, 所属社区=tree["comm_c"].unit.code),  # row 13: has its own branch
        row_of(compound_a, 小区编码="CP-408", 业委会成立日期="2021.13.01", 业委会届满日期=future),  # row 14
        {"小区编码": "CP-409", "小区名称": "", "所属社区": ""},  # row 15
    ]
    path = compounds_csv(tmp_path / "compounds.csv", rows)
    before = written()

    with pytest.raises(CommandError) as raised:
        run(str(path))

    _out, err = run.last  # type: ignore[attr-defined]
    assert err.splitlines() == [
        "row 3, column 小区编码: 小区编码必填，例如 CP-013。",
        "row 4, column 小区编码: 只能使用字母、数字、“-”和“_”。",
        "row 5, column 小区编码: 第 2 行已有相同的编码。",
        "row 6, column 所属社区: 没有编码或名称为“不存在的社区”的社区。",
        f"row 7, column 小区编码: 编码 {tree['agency'].code} 已用于区直单位“区委办公室”，不是小区。",
        "row 8, column 户数: “-5”不是大于或等于 0 的整数。",
        "row 8, column 人数: “很多”不是大于或等于 0 的整数。",
        "row 9, column 物业公司: 没有编码或名称为“不存在物业”的物业公司：请先添加该物业公司。",
        "row 10, column 业委会届满日期: 填写了业委会成立日期时必填。",
        f"row 11, column 业委会届满日期: {_('A term must end after the election.')}",
        "row 12, column 支部换届日期: 该小区没有自己的党支部：支部换届日期和届满日期请留空。",
        "row 13, column 所属社区: 甲小区党支部·单位有自己的党支部：请在组织架构中将该支部移到另一个社区下。",
        "row 14, column 业委会成立日期: “2021.13.01”不是日期：请按 2001-07-01、2001.07 或 2001年7月1日 的格式填写。",
        "row 15, column 小区名称: 小区名称必填。",
        "row 15, column 所属社区: 所属社区必填：请填写社区编码或名称。",
    ]
    assert raised.value.returncode == 1
    assert str(raised.value) == "共 15 处问题，未导入任何数据。请修改文件后重新导入。"
    assert written() == before
    assert not Unit.objects.filter(code="CP-401").exists()


def test_committee_terms_new_changed_kept_and_earlier(tree, tmp_path):
    compound_a, compound_b, bare_b = tree["compound_a"].unit, tree["compound_b"].unit, tree["bare_b"]
    old_a = services.owners_committee_record(
        compound=compound_a, elected_on=date(2019, 5, 1), term_ends_on=date(2022, 4, 30)
    )
    current_b = services.owners_committee_record(
        compound=compound_b, elected_on=date(2020, 1, 1), term_ends_on=date(2023, 1, 1)
    )
    kept = services.owners_committee_record(compound=bare_b, elected_on=date(2021, 3, 1), term_ends_on=date(2026, 3, 1))
    rows = [
        row_of(compound_a, 业委会成立日期="2022-05-01", 业委会届满日期="2027-04-30"),  # a new term
        row_of(compound_b, 业委会成立日期="2020-01-01", 业委会届满日期="2025-01-01"),  # the term's end corrected
        row_of(bare_b),  # no dates: the current term stays
    ]

    out, _err = run(str(compounds_xlsx(tmp_path / "compounds.xlsx", rows)))

    assert out.strip() == "created 0, updated 2, unchanged 1"
    terms_a = list(OwnersCommittee.objects.filter(compound=compound_a).order_by("elected_on"))
    assert [(t.pk == old_a.pk, t.is_current) for t in terms_a] == [(True, False), (False, True)]
    assert (terms_a[1].elected_on, terms_a[1].term_ends_on) == (date(2022, 5, 1), date(2027, 4, 30))
    current_b.refresh_from_db()
    assert (current_b.term_ends_on, current_b.is_current) == (date(2025, 1, 1), True)
    assert OwnersCommittee.objects.filter(compound=compound_b).count() == 1
    kept.refresh_from_db()
    assert (kept.term_ends_on, kept.is_current) == (date(2026, 3, 1), True)

    earlier = [row_of(compound_b, 业委会成立日期="2019-01-01", 业委会届满日期="2022-01-01")]
    with pytest.raises(CommandError):
        run(str(compounds_xlsx(tmp_path / "earlier.xlsx", earlier)))
    assert run.last[1].splitlines() == [  # type: ignore[attr-defined]
        "row 3, column 业委会成立日期: "
        + _("The new term must be elected after the current one (elected on %(day)s).") % {"day": "2020-01-01"}
    ]


def test_branch_term_of_a_compound_with_its_own_branch(tree, tmp_path):
    branch = tree["compound_a"]
    rows = [row_of(branch.unit, 支部换届日期="20210501", 支部届满日期="2026/4/30")]

    out, _err = run(str(compounds_xlsx(tmp_path / "compounds.xlsx", rows)))

    assert out.strip() == "created 0, updated 1, unchanged 0"
    branch.refresh_from_db()
    assert (branch.elected_on, branch.term_ends_on) == (date(2021, 5, 1), date(2026, 4, 30))
    again, _err = run(str(compounds_xlsx(tmp_path / "compounds.xlsx", rows)))
    assert again.strip() == "created 0, updated 0, unchanged 1"


def test_alias_headers_two_title_rows_and_gb18030_csv(tree, tmp_path):
    headers = ["序号", "小区代码", "物业小区", "所在社区", "总户数"]
    rows = [
        {"序号": 1, "小区代码": "CP-501", "物业小区": "桔城花园", "所在社区": tree["comm_b"].unit.code, "总户数": "300"}
    ]
    path = compounds_csv(
        tmp_path / "compounds.csv", rows, headers=headers, titles=(TITLE, "填报单位：甲街道"), encoding="gb18030"
    )

    out, _err = run(str(path))

    assert out.strip() == "created 1, updated 0, unchanged 0"
    assert Unit.objects.filter(code="CP-501", name="桔城花园", households=300, parent=tree["comm_b"].unit).exists()


def test_missing_column_or_unreadable_file_is_one_problem(tree, tmp_path):
    path = compounds_xlsx(tmp_path / "compounds.xlsx", [], headers=["小区编码", "小区名称"])
    with pytest.raises(CommandError):
        run(str(path))
    assert run.last[1].splitlines() == ["row 2, column 所属社区: 表头行中缺少此列。"]  # type: ignore[attr-defined]

    (tmp_path / "old.xls").write_bytes(b"not a workbook")
    with pytest.raises(CommandError):
        run(str(tmp_path / "old.xls"))
    assert run.last[1].splitlines() == ["请将文件保存为 Excel 工作簿（.xlsx）或 CSV 格式。"]  # type: ignore[attr-defined]

    with pytest.raises(CommandError, match="文件不存在"):
        run(str(tmp_path / "missing.xlsx"))

    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    result = import_compounds(str(tmp_path / "broken.xlsx"), filename="broken.xlsx")
    assert [p.row for p in result.problems] == [0] and "无法读取文件" in result.problems[0].reason


def test_a_user_imports_only_within_their_part_of_the_tree(tree, tmp_path):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    compound_c = make_unit(UnitType.COMPOUND, tree["comm_c"], name="丙社区小区", parent=tree["comm_c"].unit)
    rows = [
        {"小区编码": "CP-601", "小区名称": "甲街道新小区", "所属社区": tree["comm_a"].unit.code},  # row 3: fine
        {"小区编码": "CP-602", "小区名称": "乙街道新小区", "所属社区": tree["comm_c"].unit.code},  # row 4
        row_of(compound_c, 户数=10),  # row 5: a compound of the other street
        row_of(tree["bare_b"], 所属社区=tree["comm_c"].unit.code),  # row 6: moved out of the street
    ]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)

    result = import_compounds(str(path), filename=path.name, user=user)

    comm_c = tree["comm_c"].unit.code
    assert [p.line() for p in result.problems] == [
        f"row 4, column 所属社区: 没有编码或名称为“{comm_c}”的社区。",
        f"row 5, column 小区编码: 编码 {compound_c.code} 已被使用：请为新小区另选编码。",
        f"row 6, column 所属社区: 没有编码或名称为“{comm_c}”的社区。",
    ]
    assert not Unit.objects.filter(code="CP-601").exists()

    result = import_compounds(str(path), filename=path.name, user=None, dry_run=True)
    assert (result.ok, result.created, result.updated) == (True, 2, 2)


# --- nothing out of the user's sight is named or checked ---------------------------------------------


def problem_reasons(result) -> list[tuple[str, str]]:
    """(column, reason) of each problem, without the row number."""
    return [(p.column, p.reason) for p in result.problems]


def test_a_community_out_of_sight_reads_like_one_that_does_not_exist(tree, tmp_path):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    comm_c = tree["comm_c"].unit
    rows = [
        {"小区编码": "CP-611", "小区名称": "新小区", "所属社区": comm_c.code},  # out of sight, by code
        {"小区编码": "CP-612", "小区名称": "新小区", "所属社区": "CM-999"},  # no such code
        {"小区编码": "CP-613", "小区名称": "新小区", "所属社区": comm_c.name},  # out of sight, by name
        {"小区编码": "CP-614", "小区名称": "新小区", "所属社区": "没有这个社区"},  # no such name
    ]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)
    before = written()

    result = import_compounds(str(path), filename=path.name, user=user)

    reasons = problem_reasons(result)
    assert reasons[0] == ("所属社区", f"没有编码或名称为“{comm_c.code}”的社区。")
    assert reasons[1] == ("所属社区", "没有编码或名称为“CM-999”的社区。")
    assert reasons[2:] == [
        ("所属社区", f"没有编码或名称为“{comm_c.name}”的社区。"),
        ("所属社区", "没有编码或名称为“没有这个社区”的社区。"),
    ]
    assert written() == before


def test_a_name_shared_with_a_community_out_of_sight_is_not_ambiguous(tree, tmp_path):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    twin = make_unit(UnitType.COMMUNITY, tree["comm_c"], name=tree["comm_a"].unit.name, parent=tree["street_b"].unit)
    rows = [{"小区编码": "CP-621", "小区名称": "新小区", "所属社区": tree["comm_a"].unit.name}]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)

    result = import_compounds(str(path), filename=path.name, user=user, dry_run=True)

    assert (result.problems, result.created) == ([], 1)
    assert twin.code not in repr(result)


def test_a_company_out_of_sight_reads_like_one_that_does_not_exist(tree, tmp_path, company):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    compound_c = make_unit(UnitType.COMPOUND, tree["comm_c"], name="丙社区小区", parent=tree["comm_c"].unit)
    services.unit_update(unit=compound_c, property_company=company)  # managed in the other street only
    rows = [
        {"小区编码": "CP-631", "小区名称": "新小区", "所属社区": tree["comm_a"].unit.code, "物业公司": company.code},
        {"小区编码": "CP-632", "小区名称": "新小区", "所属社区": tree["comm_a"].unit.code, "物业公司": "PC-99"},
    ]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)
    before = written()

    result = import_compounds(str(path), filename=path.name, user=user)

    assert problem_reasons(result) == [
        ("物业公司", "没有编码或名称为“PC-01”的物业公司：请先添加该物业公司。"),
        ("物业公司", "没有编码或名称为“PC-99”的物业公司：请先添加该物业公司。"),
    ]
    assert written() == before
    # District staff see every company.
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    assert import_compounds(str(path), filename=path.name, user=district, dry_run=True).problems[0].row == 4


@pytest.mark.parametrize("holder", ["compound", "agency", "shop", "community", "street"])
def test_a_code_held_out_of_sight_names_nothing_whichever_unit_holds_it(tree, tmp_path, holder):
    user = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"])
    compound_c = make_unit(UnitType.COMPOUND, tree["comm_c"], name="丙社区小区", parent=tree["comm_c"].unit)
    services.owners_committee_record(compound=compound_c, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 4, 30))
    unit = {
        "compound": compound_c,
        "agency": tree["agency"],
        "shop": tree["shop"],
        "community": tree["comm_a"].unit,
        "street": tree["street_b"].unit,
    }[holder]
    # The row also gives an earlier committee term: a rule that would read the stored one.
    row = {"小区编码": unit.code, "小区名称": "新小区", "所属社区": tree["comm_b"].unit.code}
    row.update({"业委会成立日期": "2019-05-01", "业委会届满日期": "2024-04-30"})
    path = compounds_xlsx(tmp_path / "compounds.xlsx", [row])
    before = written()

    result = import_compounds(str(path), filename=path.name, user=user)

    assert [p.line() for p in result.problems] == [
        f"row 3, column 小区编码: 编码 {unit.code} 已被使用：请为新小区另选编码。"
    ]
    assert unit.name not in repr(result)
    assert written() == before


def test_what_is_stored_for_a_compound_out_of_sight_changes_nothing_in_the_output(tree, tmp_path):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    hidden = make_unit(UnitType.COMPOUND, tree["comm_c"], name="丙社区小区", parent=tree["comm_c"].unit)
    row = {"小区编码": hidden.code, "小区名称": "新小区", "所属社区": tree["comm_a"].unit.code, "户数": 10}
    row.update({"业委会成立日期": "2020-05-01", "业委会届满日期": "2025-04-30"})
    path = compounds_xlsx(tmp_path / "compounds.xlsx", [row])
    outputs = []
    # A current committee elected before, after, or not at all: the old import compared the row's
    # term with the stored one only for a compound in sight, but named every unit behind a code.
    for elected in (None, date(2018, 5, 1), date(2022, 5, 1)):
        OwnersCommittee.objects.filter(compound=hidden).delete()
        if elected:
            services.owners_committee_record(
                compound=hidden, elected_on=elected, term_ends_on=elected.replace(year=elected.year + 5)
            )
        result = import_compounds(str(path), filename=path.name, user=user)
        outputs.append(repr((result.problems, result.created, result.updated, result.preview)))

    assert outputs[0] == outputs[1] == outputs[2]
    assert hidden.name not in outputs[0] and "已被使用" in outputs[0]
    assert Unit.objects.get(pk=hidden.pk).households is None


# --- the export ------------------------------------------------------------------------------------


def sheet_rows(content: bytes, fmt: str) -> list[list]:
    if fmt == "csv":
        return [list(r) for r in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]


def governed(tree, company) -> None:
    """Give district_tree()'s compounds figures, a company, a committee and a branch term."""
    compound_a = tree["compound_a"].unit
    # Full-width punctuation is part of a Chinese name or address and comes back as it was.
    services.unit_update(
        unit=compound_a,
        name="甲小区（一期）",
        households=2717,
        residents=8197,
        address="=发展大道１号",
        property_company=company,
    )
    services.owners_committee_record(compound=compound_a, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 4, 30))
    services.branch_term_record(
        organization=tree["compound_a"], elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1)
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_imports_back_unchanged(tree, company, tmp_path, fmt):
    governed(tree, company)
    compounds = Unit.objects.filter(unit_type=UnitType.COMPOUND).order_by("code")

    content = export_compounds(compounds, fmt=fmt)

    header, *rows = sheet_rows(content, fmt)
    assert header == COMPOUND_COLUMNS
    by_code = {r[0]: r for r in rows}
    exported = by_code[tree["compound_a"].unit.code]
    assert [str(v) for v in exported] == [
        tree["compound_a"].unit.code,
        "甲小区（一期）",
        tree["comm_a"].unit.code,
        "2717",
        "8197",
        "'=发展大道１号",  # text a spreadsheet would run as a formula keeps its apostrophe
        "PC-01",
        "2021-05-01",
        "2026-04-30",
        "2021-05-01",
        "2026-05-01",
    ]
    assert by_code[tree["bare_b"].code][7:] == ["", "", "", ""]
    path = tmp_path / f"compounds.{fmt}"
    path.write_bytes(content)
    before = written()

    out, _err = run(str(path))

    assert out.strip() == "created 0, updated 0, unchanged 3"
    assert written() == before


def test_export_runs_one_query_whatever_the_number_of_compounds(tree, company, django_assert_num_queries):
    governed(tree, company)
    compounds = Unit.objects.filter(unit_type=UnitType.COMPOUND)
    with django_assert_num_queries(1):
        few = export_compounds(compounds, fmt="xlsx")
    for i in range(5):
        branch = make_org(tree["comm_b"], unit_type=UnitType.COMPOUND, unit_parent=tree["comm_b"].unit)
        services.owners_committee_record(
            compound=branch.unit, elected_on=date(2020, 1, 1 + i), term_ends_on=date(2025, 1, 1)
        )

    with django_assert_num_queries(1):
        many = export_compounds(compounds, fmt="csv")

    assert len(sheet_rows(few, "xlsx")) == 4 and len(sheet_rows(many, "csv")) == 9


#: Every placeholder people type for "nothing", as typed (spaces, full-width spaces around some).
BLANK_MARKERS_TYPED = ["无", "空", "—", "－", "-", "/", "／", "暂无", " 无 ", "\u3000－\u3000"]
OPTIONAL = ["户数", "人数", "地址", "物业公司", "业委会成立日期", "业委会届满日期", "支部换届日期", "支部届满日期"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_placeholders_in_optional_cells_read_as_blank(tree, tmp_path, fmt):
    community = tree["comm_a"].unit.code
    rows = [
        {"小区编码": f"CP-3{i:02d}", "小区名称": f"小区{i}", "所属社区": community, **dict.fromkeys(OPTIONAL, typed)}
        for i, typed in enumerate(BLANK_MARKERS_TYPED)
    ]
    write = compounds_xlsx if fmt == "xlsx" else compounds_csv
    path = write(tmp_path / f"compounds.{fmt}", rows)

    result = import_compounds(str(path), filename=path.name)

    assert result.ok, [str(p) for p in result.problems]
    assert result.created == len(BLANK_MARKERS_TYPED)
    compounds = Unit.objects.filter(code__startswith="CP-3")
    assert {(u.households, u.residents, u.address, u.property_company) for u in compounds} == {(None, None, "", None)}
    assert not OwnersCommittee.objects.filter(compound__in=compounds).exists()


@pytest.mark.parametrize("placeholder", BLANK_MARKERS_TYPED)
def test_a_placeholder_in_a_required_cell_is_reported_as_missing(tree, tmp_path, placeholder):
    good = {"小区编码": "CP-399", "小区名称": "新小区", "所属社区": tree["comm_a"].unit.code}
    required = ["小区编码", "小区名称", "所属社区"]
    cells = [None] * 3 + [placeholder] * 3
    rows = [{**good, "小区编码": f"CP-39{i}", required[i % 3]: cell} for i, cell in enumerate(cells)]
    path = compounds_xlsx(tmp_path / "compounds.xlsx", rows)
    before = written()

    result = import_compounds(str(path), filename=path.name)

    lines = [(p.row, p.column, p.reason) for p in result.problems]
    by_empty = [(column, reason) for row, column, reason in lines if row < 6]
    by_placeholder = [(column, reason) for row, column, reason in lines if row >= 6]
    assert [column for column, _reason in by_empty] == required
    assert by_placeholder == by_empty
    assert written() == before
