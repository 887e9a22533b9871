"""Who may grant which role to whom (organizations.services.grant_check), in the service and through the
role-assignment admin: the matrix of granter x role x account, and the posted-id attack."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from organizations import services
from organizations.models import Role, RoleAssignment
from organizations.selectors import grantable_users
from yiling.admin_forms import rolled_back

from .factories import UserFactory, grant_admin, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Many accounts per test: hashing their passwords the slow way would be most of the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ADD = "admin:organizations_roleassignment_add"
GRANTABLE = "admin:organizations_roleassignment_grantable_users"

#: The granters, by the role they hold and where (None: a superuser).
GRANTERS = {
    "district staff": (Role.DISTRICT_STAFF, "root"),
    "superuser": None,
    "street staff": (Role.STREET_STAFF, "street_a"),
    "community secretary": (Role.COMMUNITY_SECRETARY, "comm_a"),
    "compound secretary": (Role.COMPOUND_SECRETARY, "compound_a"),
    "merchant": (Role.MERCHANT, "shop"),
    "agency contact": (Role.AGENCY_CONTACT, "agency"),
}
#: The roles granted, with what each is bound to; "inside" whether that lies in 甲街道 (street_a).
GRANTS = {
    "district staff at the root": (Role.DISTRICT_STAFF, "root", False),
    "street staff of the street": (Role.STREET_STAFF, "street_a", True),
    "community secretary in the street": (Role.COMMUNITY_SECRETARY, "comm_b", True),
    "compound secretary in the street": (Role.COMPOUND_SECRETARY, "compound_b", True),
    "community secretary in the other street": (Role.COMMUNITY_SECRETARY, "comm_c", False),
    "merchant of a shop in the street": (Role.MERCHANT, "shop", True),
    "agency contact": (Role.AGENCY_CONTACT, "agency", False),
}
#: The accounts given the role, by the role they already hold (None: none); "fits" whether street
#: staff of 甲街道 may give it a role.
ACCOUNTS = {
    "a new account": (None, True),
    "a secretary in the street": ((Role.COMMUNITY_SECRETARY, "comm_a"), True),
    "street staff of the same street": ((Role.STREET_STAFF, "street_a"), True),
    "a secretary in the other street": ((Role.COMMUNITY_SECRETARY, "comm_c"), False),
    "a merchant of a shop in the street": ((Role.MERCHANT, "shop"), False),
    "an agency contact": ((Role.AGENCY_CONTACT, "agency"), False),
    "a superuser": ("superuser", False),
}


def bind(tree, role: str, where: str) -> dict:
    node = tree[where]
    return {"unit": node} if role in (Role.MERCHANT, Role.AGENCY_CONTACT) else {"organization": node}


def make_granter(tree, name: str):
    spec = GRANTERS[name]
    if spec is None:
        return UserFactory(is_superuser=True, is_staff=True)
    role, where = spec
    return user_with_role(role, **bind(tree, role, where))


def make_account(tree, name: str):
    spec = ACCOUNTS[name][0]
    if spec is None:
        return UserFactory()
    if spec == "superuser":
        return UserFactory(is_superuser=True)
    role, where = spec
    return user_with_role(role, **bind(tree, role, where))


def expected_refusal(granter: str, grant: str, account: str) -> str | None:
    """The field a refusal names, or None where the grant is allowed."""
    if granter in ("district staff", "superuser"):
        return None
    if granter != "street staff":
        return "role"
    role, _where, inside = GRANTS[grant]
    if role not in (Role.COMMUNITY_SECRETARY, Role.COMPOUND_SECRETARY):
        return "role"
    if not inside:
        return "organization"
    if not ACCOUNTS[account][1]:
        return "user"
    return None


@pytest.mark.parametrize("granter_name", list(GRANTERS))
def test_who_may_grant_which_role_to_whom(tree, granter_name):
    granter = make_granter(tree, granter_name)
    accounts = {name: make_account(tree, name) for name in ACCOUNTS}
    outcomes, expected = {}, {}
    for grant, (role, where, _inside) in GRANTS.items():
        for account_name, account in accounts.items():
            key = (grant, account_name)
            expected[key] = expected_refusal(granter_name, grant, account_name)
            try:
                with rolled_back():
                    assignment = services.role_assign(user=account, role=role, by=granter, **bind(tree, role, where))
                    assert RoleAssignment.objects.filter(pk=assignment.pk, user=account, role=role).exists()
            except ValidationError as exc:
                outcomes[key] = sorted(exc.message_dict)
            else:
                outcomes[key] = None

    assert outcomes == {key: None if field is None else [field] for key, field in expected.items()}


def test_grantable_accounts_are_those_the_service_accepts(tree):
    street = make_granter(tree, "street staff")
    accounts = {name: make_account(tree, name) for name in ACCOUNTS}

    offered = set(grantable_users(by=street).filter(pk__in=[a.pk for a in accounts.values()]))

    assert offered == {a for name, a in accounts.items() if ACCOUNTS[name][1]}
    assert not grantable_users(by=make_granter(tree, "community secretary")).exists()
    assert grantable_users(by=make_granter(tree, "district staff")).count() == get_user_model().objects.count()


def test_street_staff_may_not_change_or_end_an_assignment_of_an_account_with_a_role_elsewhere(tree):
    street = make_granter(tree, "street staff")
    wide = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"])
    inside = services.role_assign(user=wide, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    own = services.role_assign(user=UserFactory(), role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])

    with pytest.raises(ValidationError):
        services.role_revoke(assignment=inside, by=street)
    with pytest.raises(ValidationError):
        services.role_assignment_update(assignment=inside, by=street, organization=tree["comm_b"])
    with pytest.raises(ValidationError) as to_staff:
        services.role_assignment_update(
            assignment=own, by=street, role=Role.STREET_STAFF, organization=tree["street_a"]
        )
    services.role_assignment_update(assignment=own, by=street, organization=tree["comm_b"])
    services.role_revoke(assignment=RoleAssignment.objects.get(pk=own.pk), by=street)

    assert "role" in to_staff.value.message_dict
    assert RoleAssignment.objects.get(pk=inside.pk).organization == tree["comm_a"]
    assert not RoleAssignment.objects.filter(pk=own.pk).exists()


# --- through the admin ---------------------------------------------------------------------------


@pytest.fixture
def street_staff(tree, client):
    user = make_granter(tree, "street staff")
    grant_admin(user, RoleAssignment)
    client.force_login(user)
    return user


def post_grant(client, account, role: str, organization) -> object:
    with translation.override("zh-hans"):
        return client.post(
            reverse(ADD),
            {"user": account.pk, "role": role, "organization": organization.pk, "_save": "保存"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return {field: list(errors) for field, errors in response.context["adminform"].form.errors.items()}


def test_street_staff_cannot_make_a_merchant_street_staff_by_posting_its_id(tree, street_staff, client):
    merchant = make_account(tree, "a merchant of a shop in the street")

    response = post_grant(client, merchant, Role.STREET_STAFF, tree["street_a"])

    errors = form_errors(response)
    assert list(errors) == ["user"]
    assert "选择一个有效的选项" in errors["user"][0]
    assert list(RoleAssignment.objects.filter(user=merchant).values_list("role", flat=True)) == [Role.MERCHANT]


def test_street_staff_cannot_grant_a_staff_role_and_see_why_on_the_role_field(tree, street_staff, client):
    account = UserFactory()

    response = post_grant(client, account, Role.STREET_STAFF, tree["street_a"])

    assert form_errors(response) == {"role": ["街道和园区工作人员只能授予社区书记和小区书记角色。"]}
    assert not RoleAssignment.objects.filter(user=account).exists()


def test_street_staff_grant_a_secretary_role_in_their_street_to_a_new_account(tree, street_staff, client):
    account = UserFactory()

    response = post_grant(client, account, Role.COMPOUND_SECRETARY, tree["compound_b"])

    assert response.status_code == 302
    granted = RoleAssignment.objects.get(user=account)
    assert (granted.role, granted.organization) == (Role.COMPOUND_SECRETARY, tree["compound_b"])
    assert granted.history.get().history_user == street_staff


def test_a_secretary_with_admin_rights_grants_nothing(tree, client):
    secretary = make_granter(tree, "community secretary")
    grant_admin(secretary, RoleAssignment)
    client.force_login(secretary)
    account = UserFactory()

    response = post_grant(client, account, Role.COMMUNITY_SECRETARY, tree["comm_a"])

    assert list(form_errors(response)) == ["user"]  # no account is offered at all
    assert not RoleAssignment.objects.filter(user=account).exists()


def test_the_account_search_offers_only_grantable_accounts(tree, street_staff, client):
    accounts = {name: make_account(tree, name) for name in ACCOUNTS}

    response = client.get(reverse(GRANTABLE), {"term": ""})
    site_wide = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "organizations", "model_name": "roleassignment", "field_name": "user"},
    )

    offered = {int(r["id"]) for r in json.loads(response.content)["results"]}
    assert offered & {a.pk for a in accounts.values()} == {a.pk for n, a in accounts.items() if ACCOUNTS[n][1]}
    assert site_wide.status_code == 403
    form = client.get(reverse(ADD)).content.decode()
    assert reverse(GRANTABLE) in form


def test_the_account_search_refuses_users_without_the_role_admin(tree, client):
    client.force_login(make_granter(tree, "street staff"))

    assert client.get(reverse(GRANTABLE), {"term": ""}).status_code in (302, 403)


def test_an_assignment_street_staff_could_not_grant_is_read_only_for_them(tree, street_staff, client):
    wide = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"])
    inside = services.role_assign(user=wide, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    own = services.role_assign(user=UserFactory(), role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    change = reverse("admin:organizations_roleassignment_change", args=[inside.pk])
    data = {"user": wide.pk, "role": Role.COMMUNITY_SECRETARY, "organization": tree["comm_b"].pk, "_save": "保存"}

    assert client.post(change, data).status_code == 403
    assert (
        client.post(reverse("admin:organizations_roleassignment_delete", args=[inside.pk]), {"post": "yes"}).status_code
        == 403
    )
    deleted = client.post(reverse("admin:organizations_roleassignment_delete", args=[own.pk]), {"post": "yes"})

    assert deleted.status_code == 302
    assert RoleAssignment.objects.get(pk=inside.pk).organization == tree["comm_a"]
    assert not RoleAssignment.objects.filter(pk=own.pk).exists()


def test_bulk_delete_of_an_assignment_street_staff_could_not_grant_is_refused(tree, street_staff, client):
    wide = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"])
    inside = services.role_assign(user=wide, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    own = services.role_assign(user=UserFactory(), role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])

    response = client.post(
        reverse("admin:organizations_roleassignment_changelist"),
        {"action": "delete_selected", "_selected_action": [inside.pk, own.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert RoleAssignment.objects.filter(pk__in=[inside.pk, own.pk]).count() == 2


def test_the_account_search_runs_the_same_queries_whatever_the_number_of_accounts(tree, street_staff, client):
    def search() -> tuple[int, int]:
        """(accounts offered, queries run)."""
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(GRANTABLE), {"term": "user"})
        assert response.status_code == 200
        return len(json.loads(response.content)["results"]), len(queries)

    for _ in range(3):
        make_account(tree, "a secretary in the street")
    few = search()
    for _ in range(12):
        make_account(tree, "a secretary in the street")
        make_account(tree, "a merchant of a shop in the street")
    many = search()

    assert many[0] > few[0] >= 3
    assert many[1] == few[1] <= 8
