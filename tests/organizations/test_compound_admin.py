"""The compound admin (小区) as district and street staff use it: the scoped list with each compound's
company, branch and committee, the export and the import with its preview, the change form saving
through the services, and a query budget that does not grow with rows."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations import services
from organizations.compounds_import import COMPOUND_COLUMNS
from organizations.models import Compound, OwnersCommittee, Role, Unit, UnitType

from .factories import grant_admin, make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:organizations_compound_changelist"
IMPORT = "admin:organizations_compound_import"
EXPORT = "admin:organizations_compound_export"


@pytest.fixture(autouse=True)
def import_dir(tmp_path, monkeypatch):
    """Uploaded lists wait in the test's own directory."""
    monkeypatch.setattr("organizations.admin_compounds.CompoundAdmin.import_dir", tmp_path / "imports")
    return tmp_path / "imports"


def staff_user(tree, *, role=Role.DISTRICT_STAFF, organization=None):
    """Admin staff with every permission on compounds, reaching ``organization``'s subtree."""
    user = user_with_role(role, organization=organization or tree["root"])
    grant_admin(user, Compound)
    return user


@pytest.fixture
def staff(tree, client):
    user = staff_user(tree)
    client.force_login(user)
    return user


@pytest.fixture
def compound_c(tree):
    """A compound of the other street (乙街道), without a branch."""
    return make_unit(UnitType.COMPOUND, tree["comm_c"], name="丙社区小区", parent=tree["comm_c"].unit)


def body(response) -> str:
    return html.unescape(response.content.decode())


def result_rows(response) -> str:
    """The changelist's table of results, without the search box and the filters."""
    return body(response).split('id="result_list"', 1)[1].split("</table>", 1)[0]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def upload(rows: list[dict], *, name: str = "compounds.xlsx") -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COMPOUND_COLUMNS)
    for row in rows:
        sheet.append([row.get(h) for h in COMPOUND_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = name
    return out


def exported(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]


# --- the list ------------------------------------------------------------------------------------


def test_changelist_shows_company_branch_and_committee(tree, staff, client):
    company = services.property_company_create(code="PC-01", name="宜昌红苑物业", is_red=True)
    compound_a = tree["compound_a"].unit
    services.unit_update(unit=compound_a, households=2717, residents=8197, property_company=company)
    services.owners_committee_record(compound=compound_a, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 4, 30))

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert re.search(r"<h1>[^<]*小区[^<]*</h1>", body(response))
    rows = result_rows(response)
    row_a = rows.split(compound_a.code, 1)[1].split("</tr>", 1)[0]
    assert "宜昌红苑物业 <span" in row_a and "（红色物业）" in row_a
    assert "2021-05-01 – 2026-04-30" in row_a and "2717" in row_a and "8197" in row_a
    assert 'alt="True"' in row_a  # its own branch
    row_bare = rows.split(tree["bare_b"].code, 1)[1].split("</tr>", 1)[0]
    assert 'alt="False"' in row_bare
    assert "导入小区" in body(response) and "导出小区（Excel）" in body(response)


@pytest.mark.parametrize(
    ("role", "at", "seen"),
    [
        (Role.COMMUNITY_SECRETARY, "comm_a", {"compound_a"}),
        (Role.STREET_STAFF, "street_a", {"compound_a", "compound_b", "bare_b"}),
        (Role.STREET_STAFF, "street_b", {"compound_c"}),
        (Role.DISTRICT_STAFF, "root", {"compound_a", "compound_b", "bare_b", "compound_c"}),
    ],
)
def test_changelist_shows_only_the_users_part_of_the_tree(tree, client, compound_c, role, at, seen):
    codes = {
        "compound_a": tree["compound_a"].unit.code,
        "compound_b": tree["compound_b"].unit.code,
        "bare_b": tree["bare_b"].code,
        "compound_c": compound_c.code,
    }
    client.force_login(staff_user(tree, role=role, organization=tree[at]))

    rows = result_rows(client.get(reverse(CHANGELIST)))

    assert {key for key, code in codes.items() if code in rows} == seen


def test_filters_by_branch_and_community(tree, staff, client):
    by_branch = result_rows(client.get(reverse(CHANGELIST), {"branch": "no"}))
    by_community = result_rows(client.get(reverse(CHANGELIST), {"community": tree["comm_b"].unit.code}))

    assert tree["bare_b"].code in by_branch and tree["compound_a"].unit.code not in by_branch
    assert tree["compound_b"].unit.code in by_community and tree["bare_b"].code in by_community
    assert tree["compound_a"].unit.code not in by_community


def test_change_form_saves_through_the_service_and_cannot_add_or_delete(tree, staff, client):
    compound = tree["bare_b"]
    url = reverse("admin:organizations_compound_change", args=[compound.pk])
    form = body(client.get(url))
    assert compound.code in form and "乙社区党委" in form  # code and covering organization, read-only
    assert 'name="code"' not in form and 'name="name"' in form

    response = client.post(url, {"name": "乙社区新小区", "households": "88", "residents": "", "address": "乙路1号"})

    assert response.status_code == 302, body(response)[:3000]
    compound.refresh_from_db()
    assert (compound.name, compound.households, compound.residents, compound.address) == (
        "乙社区新小区",
        88,
        None,
        "乙路1号",
    )
    assert compound.history.first().history_type == "~"
    bad = client.post(url, {"name": "", "households": "-1"})
    assert bad.status_code == 200 and Unit.objects.get(pk=compound.pk).name == "乙社区新小区"
    assert client.get(reverse("admin:organizations_compound_add")).status_code == 403
    assert client.get(reverse("admin:organizations_compound_delete", args=[compound.pk])).status_code == 403


def test_history_lists_the_changes_and_reverts_through_the_service(tree, staff, client):
    compound = tree["bare_b"]
    services.unit_update(unit=Unit.objects.get(pk=compound.pk), name="改过的名字")
    first = compound.history.order_by("history_id").first()

    history = client.get(reverse("admin:organizations_compound_history", args=[compound.pk]))
    revert_url = reverse("admin:organizations_compound_simple_history", args=[compound.pk, first.history_id])
    reverted = client.post(revert_url, {"name": first.name, "households": "", "residents": "", "address": ""})

    assert history.status_code == 200 and revert_url in body(history)
    assert reverted.status_code == 302
    assert Unit.objects.get(pk=compound.pk).name == "乙社区无支部小区"
    assert compound.history.count() == 3


# --- the export ----------------------------------------------------------------------------------


def test_export_holds_the_users_compounds_in_the_import_format(tree, client, compound_c):
    client.force_login(staff_user(tree, role=Role.STREET_STAFF, organization=tree["street_a"]))

    response = client.get(reverse(EXPORT), {"format": "xlsx"})
    as_csv = client.get(reverse(EXPORT), {"format": "csv"})

    assert response.status_code == 200 and response["Content-Disposition"].startswith(
        'attachment; filename="compounds-'
    )
    header, *rows = exported(response)
    assert header == COMPOUND_COLUMNS
    assert sorted(r[0] for r in rows) == sorted(
        [tree["compound_a"].unit.code, tree["compound_b"].unit.code, tree["bare_b"].code]
    )
    assert compound_c.code not in as_csv.content.decode("utf-8-sig")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"


def test_export_holds_what_the_filtered_changelist_shows(tree, staff, client):
    response = client.get(reverse(EXPORT), {"format": "xlsx", "branch": "yes"})

    _header, *rows = exported(response)
    assert sorted(r[0] for r in rows) == sorted([tree["compound_a"].unit.code, tree["compound_b"].unit.code])
    assert client.get(reverse(EXPORT), {"format": "pdf"}).status_code == 400


# --- the import ----------------------------------------------------------------------------------


def test_import_preview_shows_problems_by_row_and_column_and_writes_nothing(tree, staff, client):
    rows = [
        {"小区编码": "CP-701", "小区名称": "新小区", "所属社区": tree["comm_a"].unit.code},
        {"小区编码": "CP-702", "小区名称": "无社区小区", "所属社区": "不存在的社区"},
    ]

    response = client.post(reverse(IMPORT), {"file": upload(rows)})

    text = body(response)
    assert response.status_code == 200
    assert "第 3 行，所属社区 列：没有编码或名称为“不存在的社区”的社区。" in text
    assert 'id="import-confirm"' not in text
    assert not Unit.objects.filter(code__in=["CP-701", "CP-702"]).exists()


def test_import_confirmed_after_the_preview_writes_the_compounds(tree, staff, client, import_dir):
    rows = [
        {
            "小区编码": "CP-801",
            "小区名称": "滨江花园",
            "所属社区": tree["comm_b"].unit.code,
            "户数": 300,
            "业委会成立日期": "2022-06-01",
            "业委会届满日期": "2027-05-31",
        },
        {
            "小区编码": tree["bare_b"].code,
            "小区名称": tree["bare_b"].name,
            "所属社区": tree["comm_b"].unit.code,
            "户数": 99,
        },
    ]
    url = reverse(IMPORT)

    preview = client.post(url, {"file": upload(rows)})

    text = body(preview)
    assert "将新增 1，更新 1，未变 0。" in text
    rows_table = text.split('id="import-rows"', 1)[1].split("</table>", 1)[0]
    assert "CP-801" in rows_table and "滨江花园" in rows_table and "新增" in rows_table
    assert "户数" in rows_table and "更新" in rows_table
    assert not Unit.objects.filter(code="CP-801").exists()
    token = re.search(r'name="token" value="([0-9a-f]+)"', text).group(1)

    confirmed = client.post(url, {"token": token})

    assert confirmed.status_code == 302 and confirmed.url == reverse(CHANGELIST)
    assert any("小区已导入：新增 1，更新 1，未变 0。" in m for m in messages_of(confirmed))
    new = Unit.objects.get(code="CP-801")
    assert (new.parent, new.organization, new.households) == (tree["comm_b"].unit, tree["comm_b"], 300)
    assert OwnersCommittee.objects.get(compound=new).term_ends_on == date(2027, 5, 31)
    assert Unit.objects.get(pk=tree["bare_b"].pk).households == 99
    assert list(import_dir.iterdir()) == []  # the upload is gone once imported
    again = client.post(url, {"token": token})  # the token is spent
    assert again.status_code == 302 and Unit.objects.filter(code="CP-801").count() == 1


def test_import_outside_the_users_part_of_the_tree_is_a_problem(tree, client, compound_c):
    client.force_login(staff_user(tree, role=Role.STREET_STAFF, organization=tree["street_a"]))
    rows = [
        {"小区编码": "CP-901", "小区名称": "越界小区", "所属社区": tree["comm_c"].unit.code},
        {"小区编码": compound_c.code, "小区名称": "改名", "所属社区": tree["comm_c"].unit.code},
    ]

    text = body(client.post(reverse(IMPORT), {"file": upload(rows)}))

    # Out of sight reads like not there: nothing says the community or the compound exists there.
    assert f"第 2 行，所属社区 列：没有编码或名称为“{tree['comm_c'].unit.code}”的社区。" in text
    assert f"第 3 行，小区编码 列：编码 {compound_c.code} 已被使用：请为新小区另选编码。" in text
    assert "丙社区小区" not in text  # nothing about the hidden compound is shown
    assert not Unit.objects.filter(code="CP-901").exists()


def test_import_needs_the_add_and_change_permissions(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    grant_admin(user)
    user.user_permissions.add(Permission.objects.get(codename="view_compound"))
    client.force_login(user)

    assert client.get(reverse(IMPORT)).status_code == 403
    listing = client.get(reverse(CHANGELIST))
    assert listing.status_code == 200 and reverse(IMPORT) not in body(listing)


def test_upload_of_another_kind_of_file_is_refused(tree, staff, client):
    response = client.post(reverse(IMPORT), {"file": upload([], name="compounds.pdf")})

    assert response.status_code == 200 and "file" in response.context["form"].errors


# --- query budget --------------------------------------------------------------------------------


def _compounds(tree, count: int) -> None:
    for i in range(count):
        branch = make_org(tree["comm_a"], unit_type=UnitType.COMPOUND, unit_parent=tree["comm_a"].unit)
        company = services.property_company_create(code=f"PC-Q{branch.pk}", name=f"物业{branch.pk}", is_red=i % 2 == 0)
        services.unit_update(unit=branch.unit, property_company=company)
        services.owners_committee_record(
            compound=branch.unit, elected_on=date(2021, 1, 1), term_ends_on=date(2026, 1, 1)
        )


def test_changelist_queries_do_not_grow_with_rows(tree, staff, client, django_assert_num_queries):
    # session, user, its permissions (2), its role assignments, the community filter, the counts
    # (2), the page
    expected = 9
    url = reverse(CHANGELIST)
    _compounds(tree, 2)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    _compounds(tree, 5)

    with django_assert_num_queries(expected):
        large = client.get(url)

    assert small.status_code == large.status_code == 200
    assert len(few) == expected
    assert result_rows(large).count("<tr") - result_rows(small).count("<tr") == 5
