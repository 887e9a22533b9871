"""Import and export of property companies and owners' committee terms: Chinese headers, an exported
file imports back unchanged, new and changed rows go through the services, bad rows are refused with
their column named and nothing is written, and a user stays within their part of the tree."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import tablib
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext

from organizations import services
from organizations.models import OwnersCommittee, PropertyCompany, Role, UnitType
from organizations.resources import OwnersCommitteeResource, PropertyCompanyResource

from .factories import make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db

COMPANY_HEADERS = ["代码", "名称", "红色物业", "党组织代码", "联系人"]
COMMITTEE_HEADERS = ["小区编码", "小区名称", "成立日期", "届满日期", "备注", "当前届"]


def fresh(user):
    """The user as a new request would load it (no cached role assignments)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def staff(tree):
    return fresh(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))


@pytest.fixture
def street_a(tree):
    return fresh(user_with_role(Role.STREET_STAFF, organization=tree["street_a"]))


@pytest.fixture
def compound_c(tree):
    """A compound with its own branch in the other street."""
    return make_org(tree["comm_c"], name="丙小区党支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_c"].unit)


@pytest.fixture
def companies(tree, compound_c):
    red = services.property_company_create(
        code="PC-HD", name="恒大物业", is_red=True, party_organization=tree["compound_a"], contact="王经理"
    )
    plain = services.property_company_create(code="PC-QJ", name="清江物业")
    services.unit_update(unit=tree["compound_a"].unit, property_company=red)
    services.unit_update(unit=compound_c.unit, property_company=plain)
    return {"red": red, "plain": plain}


@pytest.fixture
def terms(tree, compound_c):
    a = tree["compound_a"].unit
    first = services.owners_committee_record(
        compound=a, elected_on=date(2016, 5, 1), term_ends_on=date(2021, 4, 30), notes="首届"
    )
    second = services.owners_committee_record(compound=a, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 4, 30))
    other = services.owners_committee_record(
        compound=compound_c.unit, elected_on=date(2022, 3, 1), term_ends_on=date(2027, 2, 28)
    )
    return {"first": first, "second": second, "other": other}


def rows_of(data: tablib.Dataset) -> list[dict[str, str]]:
    return [dict(zip(data.headers, row, strict=True)) for row in data]


def problems(result) -> dict[int, str]:
    """Each refused row's number and what was said about it (zh-hans)."""
    found = {row.number: str(row.error_dict) for row in result.invalid_rows}
    for number, errors in result.row_errors():
        found[number] = found.get(number, "") + " ".join(str(e.error) for e in errors)
    return found


def zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid) % params if params else gettext(msgid)


def snapshot(model) -> tuple[list[dict], int]:
    return list(model.objects.order_by("pk").values()), model.history.count()


# --- property companies ---------------------------------------------------------------------------


def test_company_export_has_chinese_headers_and_readable_values(tree, companies, staff):
    data = PropertyCompanyResource(user=staff).export()

    assert data.headers == COMPANY_HEADERS
    assert rows_of(data) == [
        {
            "代码": "PC-HD",
            "名称": "恒大物业",
            "红色物业": "是",
            "党组织代码": tree["compound_a"].code,
            "联系人": "王经理",
        },
        {"代码": "PC-QJ", "名称": "清江物业", "红色物业": "否", "党组织代码": "", "联系人": ""},
    ]
    sheet = list(openpyxl.load_workbook(io.BytesIO(data.export("xlsx"))).active.values)
    assert list(sheet[0]) == COMPANY_HEADERS and len(sheet) == 3


def test_company_export_stays_within_the_users_street(companies, street_a):
    data = PropertyCompanyResource(user=street_a).export(PropertyCompany.objects.all())

    assert data["名称"] == ["恒大物业"]


def test_exported_companies_import_back_unchanged(companies, staff):
    data = PropertyCompanyResource(user=staff).export()
    before = snapshot(PropertyCompany)

    result = PropertyCompanyResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert result.totals["skip"] == len(data) == 2
    assert snapshot(PropertyCompany) == before


def test_company_rows_create_and_update_through_the_services(tree, companies, staff):
    data = tablib.Dataset(headers=COMPANY_HEADERS)
    data.append(["PC-HD", "恒大金碧物业", "否", "", "李经理"])
    data.append(["PC-NEW", "新城物业", "是", tree["compound_b"].code, ""])

    result = PropertyCompanyResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert (result.totals["update"], result.totals["new"]) == (1, 1)
    changed = PropertyCompany.objects.get(code="PC-HD")
    assert (changed.name, changed.is_red, changed.party_organization, changed.contact) == (
        "恒大金碧物业",
        False,
        None,
        "李经理",
    )
    new = PropertyCompany.objects.get(code="PC-NEW")
    assert (new.is_red, new.party_organization) == (True, tree["compound_b"])
    assert [h.history_type for h in new.history.all()] == ["+"]


def test_bad_company_rows_are_named_and_nothing_is_written(companies, staff):
    data = tablib.Dataset(headers=COMPANY_HEADERS)
    data.append(["PC-OK", "好物业", "否", "", ""])
    data.append(["PC-NOORG", "无组织物业", "是", "NO-SUCH-ORG", ""])
    data.append(["PC-DUP", "清江物业", "否", "", ""])  # the name of another company
    data.append(["PC-RED", "红不红物业", "也许", "", ""])
    before = snapshot(PropertyCompany)

    result = PropertyCompanyResource(user=staff).import_data(data, dry_run=False)

    found = problems(result)
    assert sorted(found) == [2, 3, 4]
    assert "NO-SUCH-ORG" in found[2]
    assert zh("A property company with this name already exists.") in found[3]
    assert "也许" in found[4]
    assert snapshot(PropertyCompany) == before


def test_street_staff_cannot_change_a_company_outside_their_street(companies, street_a):
    data = tablib.Dataset(headers=COMPANY_HEADERS)
    data.append(["PC-HD", "恒大物业", "是", "", "王经理"])
    data.append(["PC-QJ", "清江物业（改）", "否", "", ""])  # manages a compound of the other street only
    before = snapshot(PropertyCompany)

    result = PropertyCompanyResource(user=street_a).import_data(data, dry_run=False)

    found = problems(result)
    assert list(found) == [2]
    assert zh("“%(obj)s” is outside your part of the organization tree.", obj="清江物业") in found[2]
    assert snapshot(PropertyCompany) == before


def test_street_staff_cannot_point_a_company_at_an_organization_outside_their_street(compound_c, street_a):
    data = tablib.Dataset(headers=COMPANY_HEADERS)
    data.append(["PC-X", "越界物业", "是", compound_c.code, ""])

    result = PropertyCompanyResource(user=street_a).import_data(data, dry_run=False)

    found = problems(result)
    assert list(found) == [1] and "丙小区党支部" in found[1]
    assert not PropertyCompany.objects.filter(code="PC-X").exists()


# --- owners' committee terms ---------------------------------------------------------------------


def test_committee_export_lists_each_compounds_terms_oldest_first(tree, compound_c, terms, staff):
    data = OwnersCommitteeResource(user=staff).export()

    assert data.headers == COMMITTEE_HEADERS
    a, c = tree["compound_a"].unit, compound_c.unit
    expected = [
        [a.code, a.name, "2016-05-01", "2021-04-30", "首届", "否"],
        [a.code, a.name, "2021-05-01", "2026-04-30", "", "是"],
        [c.code, c.name, "2022-03-01", "2027-02-28", "", "是"],
    ]
    assert sorted([list(row) for row in data], key=lambda r: (r[0], r[2])) == expected
    assert [r["成立日期"] for r in rows_of(data) if r["小区编码"] == a.code] == ["2016-05-01", "2021-05-01"]


def test_committee_export_stays_within_the_users_street(tree, terms, street_a):
    data = OwnersCommitteeResource(user=street_a).export(OwnersCommittee.objects.all())

    assert set(data["小区编码"]) == {tree["compound_a"].unit.code}


def test_exported_terms_import_back_unchanged(terms, staff):
    data = OwnersCommitteeResource(user=staff).export()
    before = snapshot(OwnersCommittee)

    result = OwnersCommitteeResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert result.totals["skip"] == len(data) == 3
    assert snapshot(OwnersCommittee) == before


def test_exported_terms_recreate_the_same_history_in_an_empty_place(tree, terms, staff):
    """The export, with the compounds renamed to fresh ones, records each compound's terms in order:
    the last one listed is the current one."""
    data = OwnersCommitteeResource(user=staff).export()
    twin = make_unit(UnitType.COMPOUND, tree["comm_a"], name="孪生小区", parent=tree["comm_a"].unit)
    copy = tablib.Dataset(headers=data.headers)
    for row in rows_of(data):
        if row["小区编码"] == tree["compound_a"].unit.code:
            copy.append([twin.code, *list(row.values())[1:]])

    result = OwnersCommitteeResource(user=staff).import_data(copy, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert result.totals["new"] == 2
    assert list(
        OwnersCommittee.objects.filter(compound=twin).order_by("elected_on").values_list("elected_on", "is_current")
    ) == [(date(2016, 5, 1), False), (date(2021, 5, 1), True)]
    assert OwnersCommittee.objects.get(compound=twin, elected_on=date(2016, 5, 1)).notes == "首届"


def test_a_new_term_in_the_file_becomes_the_current_one_and_a_term_end_is_corrected(tree, terms, staff):
    a = tree["compound_a"].unit
    data = tablib.Dataset(headers=["小区编码", "成立日期", "届满日期", "备注"])
    data.append([a.code, "2021-05-01", "2026-05-31", "延期一月"])
    data.append([a.code, "2025-06-01", "2030-05-31", "第三届"])

    result = OwnersCommitteeResource(user=staff).import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert (result.totals["update"], result.totals["new"]) == (1, 1)
    second = OwnersCommittee.objects.get(pk=terms["second"].pk)
    assert (second.term_ends_on, second.notes, second.is_current) == (date(2026, 5, 31), "延期一月", False)
    third = OwnersCommittee.objects.get(compound=a, elected_on=date(2025, 6, 1))
    assert third.is_current and third.notes == "第三届"


def test_bad_term_rows_are_named_and_nothing_is_written(tree, terms, staff):
    a = tree["compound_a"].unit
    data = tablib.Dataset(headers=["小区编码", "成立日期", "届满日期", "备注"])
    data.append([tree["compound_b"].unit.code, "2023-01-01", "2028-01-01", "好行"])
    data.append(["NO-SUCH", "2023-01-01", "2028-01-01", ""])
    data.append([a.code, "2023年13月1日", "2028-01-01", ""])
    data.append([tree["comm_a"].unit.code, "2023-01-01", "2028-01-01", ""])  # a community, not a compound
    data.append([a.code, "2019-01-01", "2024-01-01", ""])  # before the current term
    data.append([tree["compound_b"].unit.code, "2024-01-01", "2023-12-31", ""])  # ends before it starts
    data.append([a.code, "2024-01-01", "", ""])
    before = snapshot(OwnersCommittee)

    result = OwnersCommitteeResource(user=staff).import_data(data, dry_run=False)

    found = problems(result)
    assert sorted(found) == [2, 3, 4, 5, 6, 7]
    assert "NO-SUCH" in found[2]
    assert "2023年13月1日" in found[3] and "YYYY-MM-DD" in found[3]
    assert zh("%(unit)s is not a compound.", unit=tree["comm_a"].unit.name) in found[4]
    assert (
        zh("The new term must be elected after the current one (elected on %(day)s).", day="2021年5月1日") in (found[5])
    )
    assert zh("A term must end after the election.") in found[6]
    assert zh("Give the day the term ends.") in found[7]
    assert snapshot(OwnersCommittee) == before


def test_street_staff_import_terms_only_in_their_street(tree, compound_c, terms, street_a):
    data = tablib.Dataset(headers=["小区编码", "成立日期", "届满日期", "备注"])
    data.append([compound_c.unit.code, "2022-03-01", "2027-03-31", "改别人的"])  # an existing term elsewhere
    data.append([compound_c.unit.code, "2025-03-01", "2030-02-28", "新一届"])  # a new term elsewhere
    data.append([tree["compound_a"].unit.code, "2025-03-01", "2030-02-28", "本街道"])
    before = snapshot(OwnersCommittee)

    result = OwnersCommitteeResource(user=street_a).import_data(data, dry_run=False)

    found = problems(result)
    assert sorted(found) == [1, 2]
    outside = zh("“%(obj)s” is outside your part of the organization tree.", obj="丙小区党支部·单位")
    assert outside in found[2]
    assert snapshot(OwnersCommittee) == before
