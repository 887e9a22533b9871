"""Import and export of the organization tree and its units: an exported file imports back
unchanged, bad files write nothing, new rows go through the services."""

from __future__ import annotations

import io

import openpyxl
import pytest
import tablib
from django.contrib.auth import get_user_model
from django.utils import translation

from organizations.models import Organization, OrgKind, Role, Unit, UnitType
from organizations.resources import OrganizationResource, UnitResource

from .factories import DISTRICT_TREE_ORDER, user_with_role

pytestmark = pytest.mark.django_db

ORG_HEADERS = ["代码", "名称", "类别", "上级组织代码", "所在单位代码", "成立日期", "是否有效", "路径"]
UNIT_HEADERS = [
    "代码",
    "名称",
    "类型",
    "所属单位代码",
    "负责党组织代码",
    "小区型社区",
    "户数",
    "人数",
    "地址",
    "物业公司代码",
]


@pytest.fixture
def staff(tree):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    return get_user_model().objects.get(pk=user.pk)


def history_rows() -> int:
    return Organization.history.count() + Unit.history.count()


def kind_label(kind: str) -> str:
    with translation.override("zh-hans"):
        return str(OrgKind(kind).label)


def unit_type_label(unit_type: str) -> str:
    with translation.override("zh-hans"):
        return str(UnitType(unit_type).label)


def export_orgs(user) -> tablib.Dataset:
    # The queryset is passed explicitly here; export() without one is covered on its own below.
    return OrganizationResource(user=user).export(Organization.objects.all())


def org_rows(*rows: list[str]) -> tablib.Dataset:
    data = tablib.Dataset(headers=ORG_HEADERS[:4])
    for row in rows:
        data.append(row)
    return data


# --- export ----------------------------------------------------------------------------------------


def test_export_lists_the_tree_with_parents_and_paths(tree, staff):
    data = export_orgs(staff)

    assert data.headers == ORG_HEADERS
    assert data["名称"] == DISTRICT_TREE_ORDER
    rows = {row[0]: dict(zip(data.headers, row, strict=True)) for row in data}
    compound = rows[tree["compound_a"].code]
    assert compound["上级组织代码"] == tree["comm_a"].code
    assert compound["所在单位代码"] == tree["compound_a"].unit.code
    assert compound["类别"] == kind_label(OrgKind.BRANCH)
    assert compound["是否有效"] == "是"
    assert compound["路径"] == "区委 / 甲街道党工委 / 甲社区党委 / 甲小区党支部"
    assert rows[tree["root"].code]["上级组织代码"] == ""


def test_export_without_a_queryset_exports_the_users_part(tree):
    """``resource.export()`` with no queryset is how a command or task exports; it must work and stay
    within the user's reach."""
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])

    data = OrganizationResource(user=secretary).export()

    assert data["名称"] == ["甲社区党委", "甲小区党支部"]


def test_export_of_a_wider_queryset_stays_within_the_users_reach(tree):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])

    data = OrganizationResource(user=secretary).export(Organization.objects.all())

    assert data["名称"] == ["甲社区党委", "甲小区党支部"]


def test_export_paths_cost_a_fixed_number_of_queries(tree, staff, django_assert_max_num_queries):
    from .factories import make_org

    for i in range(20):
        make_org(tree["comm_c"], name=f"增补支部{i}")
    with django_assert_max_num_queries(4):
        data = export_orgs(get_user_model().objects.get(pk=staff.pk))
    assert len(data) == 8 + 20
    assert data["路径"][-1].startswith("区委 / 乙街道党工委 / 丙社区党委 / 增补支部")


def test_xlsx_export_has_chinese_headers(tree, staff):
    org_book = openpyxl.load_workbook(io.BytesIO(export_orgs(staff).export("xlsx")))
    org_sheet = list(org_book.active.values)
    assert list(org_sheet[0]) == ORG_HEADERS
    assert org_sheet[1][:2] == (tree["root"].code, "区委")
    assert len(org_sheet) == 1 + 8

    unit_book = openpyxl.load_workbook(io.BytesIO(UnitResource(user=staff).export().export("xlsx")))
    unit_sheet = list(unit_book.active.values)
    assert list(unit_sheet[0]) == UNIT_HEADERS
    assert unit_sheet[0][:2] == ("代码", "名称")
    assert {row[1] for row in unit_sheet[1:]} == set(Unit.objects.values_list("name", flat=True))


# --- organization import -----------------------------------------------------------------------------


def test_exported_tree_imports_back_unchanged(tree, staff):
    data = export_orgs(staff)
    paths_before = dict(Organization.objects.values_list("code", "path"))
    history_before = history_rows()

    result = OrganizationResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors(), [e.error for _, errs in result.row_errors() for e in errs]
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["skip"] == len(data) == 8
    assert result.totals["new"] == result.totals["update"] == 0
    assert history_rows() == history_before
    assert dict(Organization.objects.values_list("code", "path")) == paths_before


def test_import_a_new_organization_under_a_valid_parent(tree, staff):
    data = org_rows(["BING-XQ", "丙小区党支部", kind_label(OrgKind.BRANCH), tree["comm_c"].code])

    result = OrganizationResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 1
    org = Organization.objects.get(code="BING-XQ")
    assert org.kind == OrgKind.BRANCH
    assert org.is_active is True
    assert Organization.objects.get_parent(org).pk == tree["comm_c"].pk
    assert org.path.startswith(tree["comm_c"].path) and org.depth == 4
    assert Organization.objects.get(pk=tree["comm_c"].pk).numchild == 1
    assert [h.history_type for h in org.history.all()] == ["+"]


def test_import_a_changed_parent_moves_the_subtree(tree, staff):
    comm_a, compound_a = tree["comm_a"], tree["compound_a"]
    data = org_rows([comm_a.code, "甲社区党委", kind_label(OrgKind.COMMITTEE), tree["street_b"].code])
    # Keep the unit and activity as they are: only the parent changes.
    data.append_col([comm_a.unit.code], header="所在单位代码")
    data.append_col(["是"], header="是否有效")

    result = OrganizationResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["update"] == 1
    comm_a.refresh_from_db()
    compound_a.refresh_from_db()
    assert Organization.objects.get_parent(comm_a).pk == tree["street_b"].pk
    assert compound_a.path.startswith(comm_a.path)


def test_import_with_bad_rows_names_them_and_writes_nothing(tree, staff):
    data = org_rows(
        ["GOOD-1", "好支部", kind_label(OrgKind.BRANCH), tree["comm_c"].code],
        ["BAD-PARENT", "坏上级", kind_label(OrgKind.BRANCH), "NO-SUCH-ORG"],
        ["BAD-KIND", "坏类别", "党小组委员会", tree["comm_c"].code],
    )
    history_before = history_rows()
    count_before = Organization.objects.count()

    result = OrganizationResource(user=staff).import_data(data, dry_run=False)

    assert result.has_validation_errors()
    invalid = {row.number: row for row in result.invalid_rows}
    assert sorted(invalid) == [2, 3]
    assert "NO-SUCH-ORG" in str(invalid[2].error_dict)
    assert "党小组委员会" in str(invalid[3].error_dict)
    # All or nothing: the good row is not written either.
    assert not Organization.objects.filter(code__in=["GOOD-1", "BAD-PARENT", "BAD-KIND"]).exists()
    assert Organization.objects.count() == count_before
    assert history_rows() == history_before


def test_dry_run_writes_nothing(tree, staff):
    data = org_rows(["DRY-1", "试算支部", kind_label(OrgKind.BRANCH), tree["comm_c"].code])
    result = OrganizationResource(user=staff).import_data(data, dry_run=True)
    assert result.totals["new"] == 1
    assert not Organization.objects.filter(code="DRY-1").exists()


def test_import_accepts_english_kind_labels_and_values(tree, staff):
    with translation.override("en"):
        english = str(OrgKind.BRANCH.label)
    data = org_rows(
        ["EN-1", "英文标签支部", english, tree["comm_c"].code],
        ["VAL-1", "代码值支部", OrgKind.JOINT_BRANCH.value, tree["comm_c"].code],
    )
    result = OrganizationResource(user=staff).import_data(data, dry_run=False)
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert dict(Organization.objects.filter(code__in=["EN-1", "VAL-1"]).values_list("code", "kind")) == {
        "EN-1": OrgKind.BRANCH,
        "VAL-1": OrgKind.JOINT_BRANCH,
    }


# --- unit import -----------------------------------------------------------------------------------


def test_exported_units_import_back_unchanged(tree, staff):
    Unit.objects.filter(pk=tree["comm_a"].unit.pk).update(is_compound_type=True, households=1200, residents=3400)
    data = UnitResource(user=staff).export()
    assert data.headers == UNIT_HEADERS
    history_before = history_rows()
    units_before = list(Unit.objects.order_by("pk").values())

    result = UnitResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors(), [e.error for _, errs in result.row_errors() for e in errs]
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["skip"] == len(data) == Unit.objects.count()
    assert history_rows() == history_before
    assert list(Unit.objects.order_by("pk").values()) == units_before


def test_import_a_new_unit_goes_through_the_services(tree, staff):
    data = tablib.Dataset(headers=["代码", "名称", "类型", "所属单位代码", "负责党组织代码", "户数"])
    data.append(
        [
            "U-NEW",
            "丙社区新小区",
            unit_type_label(UnitType.COMPOUND),
            tree["comm_c"].unit.code,
            tree["comm_c"].code,
            "240",
        ]
    )

    result = UnitResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    unit = Unit.objects.get(code="U-NEW")
    assert (unit.unit_type, unit.parent_id, unit.organization_id, unit.households) == (
        UnitType.COMPOUND,
        tree["comm_c"].unit.pk,
        tree["comm_c"].pk,
        240,
    )
    assert unit.is_compound_type is False
    assert [h.history_type for h in unit.history.all()] == ["+"]


def test_import_a_unit_breaking_a_rule_is_refused(tree, staff):
    data = tablib.Dataset(headers=["代码", "名称", "类型", "负责党组织代码", "小区型社区"])
    data.append(["U-ST", "小区型街道", unit_type_label(UnitType.STREET), tree["root"].code, "是"])

    result = UnitResource(user=staff).import_data(data, dry_run=False)

    assert result.has_errors() or result.has_validation_errors()
    assert not Unit.objects.filter(code="U-ST").exists()


# --- placeholders ----------------------------------------------------------------------------------

BLANK_MARKERS_TYPED = ["无", "空", "—", "－", "-", "/", "／", "暂无", " 无 ", "\u3000－\u3000"]


def admin_upload(headers: list[str], rows: list[list], fmt: str) -> tablib.Dataset:
    """The dataset the admin's import makes of a file with these rows (the bounded formats)."""
    from yiling.resources import BoundedCSV, BoundedXLSX

    if fmt == "csv":
        import csv

        out = io.StringIO()
        csv.writer(out).writerows([headers, *rows])
        return BoundedCSV().create_dataset(out.getvalue().encode("utf-8-sig"))
    workbook = openpyxl.Workbook()
    for row in [headers, *rows]:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return BoundedXLSX().create_dataset(out.getvalue())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_placeholders_in_optional_cells_of_an_admin_import_read_as_blank(tree, staff, fmt):
    optional = ["小区型社区", "户数", "人数", "地址", "物业公司代码"]
    headers = ["代码", "名称", "类型", "所属单位代码", "负责党组织代码", *optional]
    compound = unit_type_label(UnitType.COMPOUND)
    parent, org = tree["comm_c"].unit.code, tree["comm_c"].code
    rows = [
        [f"U-P{i:02d}", f"空白小区{i}", compound, parent, org, *[typed] * len(optional)]
        for i, typed in enumerate(BLANK_MARKERS_TYPED)
    ]

    result = UnitResource(user=staff).import_data(admin_upload(headers, rows, fmt), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    units = Unit.objects.filter(code__startswith="U-P")
    assert units.count() == len(BLANK_MARKERS_TYPED)
    assert {(u.is_compound_type, u.households, u.residents, u.address, u.property_company) for u in units} == {
        (False, None, None, "", None)
    }


@pytest.mark.parametrize("placeholder", BLANK_MARKERS_TYPED)
def test_a_placeholder_in_a_required_cell_of_an_admin_import_is_an_empty_cell(tree, staff, placeholder):
    headers = ["代码", "名称", "类型", "所属单位代码", "负责党组织代码"]
    compound = unit_type_label(UnitType.COMPOUND)
    rows = [
        ["U-E1", None, compound, tree["comm_c"].unit.code, tree["comm_c"].code],
        ["U-E2", placeholder, compound, tree["comm_c"].unit.code, tree["comm_c"].code],
    ]

    result = UnitResource(user=staff).import_data(admin_upload(headers, rows, "xlsx"), dry_run=True)

    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert sorted(errors) == [1, 2] and list(errors[1]) == ["name"]
    assert errors[2] == errors[1]
