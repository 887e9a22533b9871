"""The scoping matrix: a community secretary reaches their own community and nothing else, by
every path the portal offers: admin changelist, change form by URL, history, delete, autocomplete,
export, import, and the portal pages."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from organizations.models import Organization, Role, Unit
from organizations.resources import OrganizationResource, UnitResource

from .factories import grant_admin, user_with_role

pytestmark = pytest.mark.django_db

CSV, XLSX = "1", "0"  # indices into IMPORT_EXPORT_FORMATS


@pytest.fixture
def secretary(tree, client):
    """The secretary of community A, with admin access to the organization models."""
    user = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    grant_admin(user, Organization, Unit)
    client.force_login(user)
    return user


def names_in(response) -> str:
    return response.content.decode()


# --- what the scoping rule itself returns ---------------------------------------------------


def test_visible_to_reaches_own_subtree_only(tree, secretary):
    visible = set(Organization.objects.visible_to(secretary).values_list("name", flat=True))
    assert visible == {"甲社区党委", "甲小区党支部"}
    units = set(Unit.objects.visible_to(secretary).values_list("name", flat=True))
    assert units == {"甲社区党委·单位", "甲小区党支部·单位"}


def test_street_staff_reach_their_street_with_compounds_without_a_branch(tree):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    orgs = set(Organization.objects.visible_to(user).values_list("name", flat=True))
    assert orgs == {"甲街道党工委", "甲社区党委", "乙社区党委", "甲小区党支部", "乙小区党支部"}
    assert Unit.objects.visible_to(user).filter(pk=tree["bare_b"].pk).exists()
    assert not Unit.objects.visible_to(user).filter(organization=tree["comm_c"]).exists()


def test_agency_contact_and_merchant_reach_their_own_unit(tree):
    contact = user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])
    merchant = user_with_role(Role.MERCHANT, unit=tree["shop"])
    assert list(Unit.objects.visible_to(contact)) == [tree["agency"]]
    assert list(Unit.objects.visible_to(merchant)) == [tree["shop"]]
    assert not Organization.objects.visible_to(merchant).exists()


def test_no_role_sees_nothing_and_anonymous_sees_nothing(tree, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    from .factories import UserFactory

    assert not Organization.objects.visible_to(UserFactory(is_staff=True)).exists()
    assert not Organization.objects.visible_to(AnonymousUser()).exists()


# --- admin changelist -----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["organization", "unit"])
def test_admin_changelist_lists_own_community_only(tree, secretary, client, model):
    response = client.get(reverse(f"admin:organizations_{model}_changelist"))
    assert response.status_code == 200
    body = names_in(response)
    assert "甲社区党委" in body
    assert "乙社区党委" not in body
    assert "乙社区无支部小区" not in body
    assert "丙社区党委" not in body


def test_admin_changelist_search_does_not_reach_outside(tree, secretary, client):
    response = client.get(reverse("admin:organizations_organization_changelist"), {"q": "乙"})
    assert response.status_code == 200
    assert "乙社区党委" not in names_in(response)


# --- change form, history and delete reached by URL -------------------------------------------


@pytest.mark.parametrize("target", ["comm_b", "compound_b"])
def test_admin_change_form_of_another_community_cannot_be_opened(tree, secretary, client, target):
    org = tree[target]
    response = client.get(reverse("admin:organizations_organization_change", args=[org.pk]))
    # Django's admin answers an object outside the queryset as "does not exist".
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    own = client.get(reverse("admin:organizations_organization_change", args=[tree["comm_a"].pk]))
    assert own.status_code == 200


def test_admin_change_post_to_another_community_changes_nothing(tree, secretary, client):
    org = tree["comm_b"]
    client.post(
        reverse("admin:organizations_organization_change", args=[org.pk]),
        {"code": org.code, "name": "被篡改", "kind": org.kind, "is_active": "on", "parent": tree["comm_a"].pk},
    )
    org.refresh_from_db()
    assert org.name == "乙社区党委"
    assert org.path.startswith(tree["street_a"].path)


def test_admin_unit_change_form_of_compound_without_branch_in_other_community(tree, secretary, client):
    response = client.get(reverse("admin:organizations_unit_change", args=[tree["bare_b"].pk]))
    assert response.status_code == 302


def test_admin_history_and_delete_of_another_community_are_refused(tree, secretary, client):
    org = tree["comm_b"]
    history = client.get(reverse("admin:organizations_organization_history", args=[org.pk]))
    assert history.status_code in (403, 404)
    delete = client.post(reverse("admin:organizations_organization_delete", args=[org.pk]), {"post": "yes"})
    assert delete.status_code in (302, 403, 404)
    assert Organization.objects.filter(pk=org.pk).exists()


def test_admin_parent_choices_are_limited_to_own_subtree(tree, secretary, client):
    response = client.get(reverse("admin:organizations_organization_add"))
    assert response.status_code == 200
    body = names_in(response)
    assert "甲社区党委" in body
    assert "乙社区党委" not in body


# --- autocomplete -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("unit", "organization"), ("unit", "parent"), ("organization", "unit")],
)
def test_autocomplete_answers_only_own_records(tree, secretary, client, model_name, field_name):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "organizations", "model_name": model_name, "field_name": field_name, "term": ""},
    )
    assert response.status_code == 200
    texts = {r["text"] for r in response.json()["results"]}
    assert texts, "the secretary's own records are offered"
    assert all(t.startswith("甲") for t in texts), texts


# --- export -------------------------------------------------------------------------------------


def _export(client, model: str, fmt: str) -> bytes:
    url = reverse(f"admin:organizations_{model}_export")
    resource_class = OrganizationResource if model == "organization" else UnitResource
    resource = resource_class.__name__.lower()
    fields = resource_class._meta.fields
    data = {"format": fmt, "resource": "0", **{f"{resource}_{f}": "on" for f in fields}}
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.mark.parametrize("model", ["organization", "unit"])
def test_export_contains_own_community_only(tree, secretary, client, model):
    import csv

    rows = list(csv.reader(io.StringIO(_export(client, model, CSV).decode("utf-8-sig"))))
    names = {row[1] for row in rows[1:]}
    if model == "organization":
        assert names == {"甲社区党委", "甲小区党支部"}
    else:
        assert names == {"甲社区党委·单位", "甲小区党支部·单位"}


def test_export_xlsx_has_chinese_headers_and_paths(tree, secretary, client):
    book = openpyxl.load_workbook(io.BytesIO(_export(client, "organization", XLSX)))
    rows = list(book.active.values)
    assert rows[0][:4] == ("代码", "名称", "类别", "上级组织代码")
    names = [r[1] for r in rows[1:]]
    assert names == ["甲社区党委", "甲小区党支部"]
    assert rows[1][-1] == "区委 / 甲街道党工委 / 甲社区党委"


# --- import -------------------------------------------------------------------------------------


def _import_csv(client, model: str, text: str):
    url = reverse(f"admin:organizations_{model}_import")
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = "rows.csv"
    return client.post(url, {"import_file": upload, "format": CSV, "resource": "0"})


def test_import_cannot_change_another_communitys_organization(tree, secretary, client):
    org = tree["comm_b"]
    csv_text = f"代码,名称,类别,上级组织代码\n{org.code},被篡改,党委,{tree['street_a'].code}\n"
    response = _import_csv(client, "organization", csv_text)
    assert response.status_code == 200
    assert "outside your part" in names_in(response) or "不在您" in names_in(response)
    org.refresh_from_db()
    assert org.name == "乙社区党委"


def test_import_cannot_add_under_another_community(tree, secretary, client):
    csv_text = f"代码,名称,类别,上级组织代码\nNEW-1,新支部,党支部,{tree['comm_b'].code}\n"
    response = _import_csv(client, "organization", csv_text)
    assert response.status_code == 200
    assert not Organization.objects.filter(code="NEW-1").exists()
    assert "NEW-1" not in [o.code for o in Organization.objects.all()]


def test_import_cannot_move_a_unit_to_another_community(tree, secretary, client):
    unit = tree["compound_a"].unit
    csv_text = f"代码,名称,类型,负责党组织代码\n{unit.code},{unit.name},小区,{tree['comm_b'].code}\n"
    _import_csv(client, "unit", csv_text)
    unit.refresh_from_db()
    assert unit.organization == tree["compound_a"]


def test_import_within_own_community_is_offered_for_confirmation(tree, secretary, client):
    """The same path does work inside the secretary's reach: the refusals above are the rule, not a broken import."""
    csv_text = f"代码,名称,类别,上级组织代码\nNEW-2,新支部,党支部,{tree['comm_a'].code}\n"
    response = _import_csv(client, "organization", csv_text)
    assert response.status_code == 200
    assert response.context["confirm_form"] is not None
    assert not response.context["result"].has_errors()
    assert not response.context["result"].has_validation_errors()


def test_resource_import_by_command_line_user_is_scoped(tree, secretary):
    import tablib

    data = tablib.Dataset(headers=["代码", "名称", "类别", "上级组织代码"])
    data.append([tree["comm_c"].code, "改名", "党委", tree["street_b"].code])
    result = OrganizationResource(user=secretary).import_data(data, dry_run=False)
    assert result.has_validation_errors()
    tree["comm_c"].refresh_from_db()
    assert tree["comm_c"].name == "丙社区党委"


# --- portal pages -------------------------------------------------------------------------------


def test_portal_tree_lists_own_community_only(tree, secretary, client):
    response = client.get(reverse("organizations:organization-list"))
    assert response.status_code == 200
    body = names_in(response)
    assert "甲社区党委" in body and "甲小区党支部" in body
    assert "乙社区党委" not in body and "丙社区党委" not in body and "甲街道党工委</a>" not in body


def test_portal_detail_of_another_community_is_not_found(tree, secretary, client):
    response = client.get(reverse("organizations:organization-detail", args=[tree["comm_b"].code]))
    assert response.status_code == 404
    own = client.get(reverse("organizations:organization-detail", args=[tree["comm_a"].code]))
    assert own.status_code == 200
    assert "区委 / 甲街道党工委 / 甲社区党委" in names_in(own)
