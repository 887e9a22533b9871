"""The admin of the organization tree as district staff use it: add under a parent, move a subtree,
search, the path column, the history with who changed what, and the branded site."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from organizations.models import Organization, OrgKind, Role, RoleAssignment, Unit, UnitType
from yiling.sites import YilingAdminSite

from .factories import grant_admin, make_org, user_with_role

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:organizations_organization_changelist"


@pytest.fixture
def staff(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], full_name="王组织员")
    grant_admin(user, Organization, Unit, RoleAssignment)
    client.force_login(user)
    return user


def body(response) -> str:
    return response.content.decode()


def changelist_names(response) -> list[str]:
    """The names in the changelist's name column, top to bottom."""
    return [html.unescape(n) for n in re.findall(r'<span class="tree-depth-\d+">([^<]*)</span>', body(response))]


def changelist_paths(response) -> list[str]:
    return [html.unescape(p) for p in re.findall(r'<td class="field-path_trail">([^<]*)</td>', body(response))]


def parent_of(org: Organization) -> Organization | None:
    return Organization.objects.get_parent(Organization.objects.get(pk=org.pk))


def change_data(org: Organization, **overrides) -> dict[str, str]:
    org = Organization.objects.get(pk=org.pk)
    parent = parent_of(org)
    data = {
        "parent": str(parent.pk) if parent else "",
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "unit": str(org.unit_id or ""),
        "established_on": "",
        "is_active": "on" if org.is_active else "",
        "_save": "Save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


# --- add and move -------------------------------------------------------------------------------


def test_staff_add_an_organization_under_a_parent(tree, staff, client):
    response = client.post(
        reverse("admin:organizations_organization_add"),
        {
            "parent": tree["comm_c"].pk,
            "code": "BING-XQ",
            "name": "丙小区党支部",
            "kind": OrgKind.BRANCH,
            "established_on": "2024-07-01",
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, body(response)[:2000]
    assert response.url == reverse(CHANGELIST)
    org = Organization.objects.get(code="BING-XQ")
    assert parent_of(org).pk == tree["comm_c"].pk
    assert org.path.startswith(tree["comm_c"].path) and org.depth == 4
    assert str(org.established_on) == "2024-07-01"
    assert org.history.get().history_user == staff


def test_staff_add_with_a_duplicate_code_shows_the_form_again(tree, staff, client):
    before = Organization.objects.count()
    response = client.post(
        reverse("admin:organizations_organization_add"),
        {"parent": tree["comm_c"].pk, "code": tree["comm_a"].code, "name": "重复", "kind": OrgKind.BRANCH},
    )
    assert response.status_code == 200
    # The message belongs next to the code field, where the user typed the duplicate.
    assert "code" in response.context["adminform"].form.errors
    assert Organization.objects.count() == before


def test_staff_move_an_organization_by_changing_its_parent(tree, staff, client):
    comm_a, compound_a, street_b = tree["comm_a"], tree["compound_a"], tree["street_b"]

    response = client.post(
        reverse("admin:organizations_organization_change", args=[comm_a.pk]),
        change_data(comm_a, parent=str(street_b.pk)),
    )

    assert response.status_code == 302, body(response)[:2000]
    comm_a.refresh_from_db()
    compound_a.refresh_from_db()
    assert parent_of(comm_a).pk == street_b.pk
    assert parent_of(compound_a).pk == comm_a.pk
    assert compound_a.path.startswith(comm_a.path)
    listing = client.get(reverse(CHANGELIST), {"q": "甲小区"})
    assert changelist_paths(listing) == ["区委 / 乙街道党工委 / 甲社区党委 / 甲小区党支部"]


def test_staff_cannot_move_an_organization_under_its_own_descendant(tree, staff, client):
    comm_a = tree["comm_a"]
    path_before = Organization.objects.get(pk=comm_a.pk).path

    response = client.post(
        reverse("admin:organizations_organization_change", args=[comm_a.pk]),
        change_data(comm_a, parent=str(tree["compound_a"].pk)),
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Organization.objects.get(pk=comm_a.pk).path == path_before


# --- changelist ---------------------------------------------------------------------------------


def test_changelist_search_by_name(tree, staff, client):
    response = client.get(reverse(CHANGELIST), {"q": "社区党委"})
    assert response.status_code == 200
    assert changelist_names(response) == ["甲社区党委", "乙社区党委", "丙社区党委"]


def test_changelist_shows_the_path_column(tree, staff, client):
    response = client.get(reverse(CHANGELIST))
    assert changelist_names(response)[:4] == ["区委", "甲街道党工委", "甲社区党委", "甲小区党支部"]
    assert changelist_paths(response)[:4] == [
        "区委",
        "区委 / 甲街道党工委",
        "区委 / 甲街道党工委 / 甲社区党委",
        "区委 / 甲街道党工委 / 甲社区党委 / 甲小区党支部",
    ]


def test_changelist_query_count_does_not_grow_with_rows(tree, staff, client):
    def add(count: int) -> None:
        for i in range(count):
            parent = tree["comm_b"] if i % 2 else tree["comm_c"]
            make_org(parent, name=f"增补支部{i:02d}", unit_type=UnitType.ENTERPRISE)

    url = reverse(CHANGELIST)
    add(3)
    with CaptureQueriesContext(connection) as small:
        small_response = client.get(url)
    add(27)
    with CaptureQueriesContext(connection) as large:
        large_response = client.get(url)

    assert len(changelist_names(small_response)) == 8 + 3
    assert len(changelist_names(large_response)) == 8 + 30
    assert len(changelist_paths(large_response)) == 8 + 30
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


# --- history ------------------------------------------------------------------------------------


def test_history_page_lists_a_change_with_who_made_it(tree, staff, client):
    comm_c = tree["comm_c"]
    client.post(
        reverse("admin:organizations_organization_change", args=[comm_c.pk]),
        change_data(comm_c, name="丙社区党委（更名）"),
    )
    assert Organization.objects.get(pk=comm_c.pk).name == "丙社区党委（更名）"
    latest = comm_c.history.first()
    assert latest.history_user == staff
    assert latest.name == "丙社区党委（更名）"

    response = client.get(reverse("admin:organizations_organization_history", args=[comm_c.pk]))

    assert response.status_code == 200
    table = body(response).split('id="change-history"', 1)[1]
    assert "王组织员" in table
    assert "丙社区党委（更名）" in table
    assert table.count("<tr>") == 1 + comm_c.history.count()  # header + one row per history record


# --- the branded site ---------------------------------------------------------------------------


def test_admin_index_shows_the_site_header(staff, client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    header = re.search(r'<div id="site-name"><a href="[^"]*">([^<]*)</a>', body(response))
    assert header is not None
    with translation.override("zh-hans"):
        expected = str(YilingAdminSite.site_header)
    assert html.unescape(header.group(1)) == expected
    compiled = (Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.mo").exists()
    if compiled:
        assert "夷陵区城市基层党建综合体" in header.group(1)
    else:
        assert header.group(1) == "Yiling District Urban Grassroots Party-Building Complex"


@pytest.mark.parametrize(
    ("model", "headers"),
    [
        ("organization", ["代码", "名称", "类别", "上级组织代码", "所在单位代码", "成立日期", "是否有效", "路径"]),
        (
            "unit",
            [
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
            ],
        ),
        ("propertycompany", ["代码", "名称", "红色物业", "党组织代码", "联系人"]),
        ("ownerscommittee", ["小区编码", "小区名称", "成立日期", "届满日期", "备注", "当前届"]),
    ],
)
def test_import_and_export_pages_name_the_fields_by_their_chinese_headers(client, model, headers):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    with translation.override("zh-hans"):
        export_page = body(client.get(f"/admin/organizations/{model}/export/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
        import_page = body(client.get(f"/admin/organizations/{model}/import/", HTTP_ACCEPT_LANGUAGE="zh-hans"))

    labels = [
        html.unescape(label) for label in re.findall(r"<label for=\"id_\w+resource_\w+\">([^<]*)</label>", export_page)
    ]
    assert [label for label in labels if label in headers] == [h for h in headers if h in labels]
    assert set(headers) <= set(labels), labels
    assert not [label for label in labels if re.search(r"[A-Za-z]", label)], labels
    assert "全选" in export_page and "Select all" not in export_page
    listed = re.search(r"<code>([^<]*)</code>", import_page)
    read_only = {"路径", "小区名称", "当前届"}  # written by the export for the reader, never imported
    assert listed and html.unescape(listed[1]).split(", ") == [h for h in headers if h not in read_only]

    # The files the export page gives: the same headers, in XLSX and CSV.
    import csv
    import io

    import openpyxl

    url = f"/admin/organizations/{model}/export/"
    form = client.get(url).context["form"]
    selected = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    choices = {str(label).lower(): index for index, label in form.fields["format"].choices if index != ""}
    xlsx = client.post(url, {"format": choices["xlsx"], "resource": "0", **selected}).content
    csv_file = client.post(url, {"format": choices["csv"], "resource": "0", **selected}).content
    xlsx_header = next(openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    csv_header = next(csv.reader(io.StringIO(csv_file.decode("utf-8-sig"))))
    assert set(headers) <= set(xlsx_header) and list(xlsx_header) == csv_header
    assert not [h for h in csv_header if re.search(r"[A-Za-z]", h)], csv_header
