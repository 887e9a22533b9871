"""Accounts through the services: create with a role, reset, deactivate, refused outside reach, history."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from organizations import services
from organizations.models import Role, RoleAssignment
from organizations.selectors import managed_accounts

from .factories import PASSWORD, UserFactory, user_with_role

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk(tree):
    return user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], username="clerk")


@pytest.fixture
def street_clerk(tree):
    return user_with_role(Role.STREET_STAFF, organization=tree["street_a"], username="street")


def test_district_staff_create_an_account_with_a_role_and_a_one_time_password(tree, clerk):
    user, password = services.account_create(
        full_name="王芳", phone="138 0000 1234", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_c"], by=clerk
    )

    user.refresh_from_db()
    assert (user.full_name, user.phone, user.must_change_password, user.is_active) == (
        "王芳",
        "13800001234",
        True,
        True,
    )
    assert user.username.startswith("yl") and len(user.username) == 8
    assert user.check_password(password)
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "organization")) == [
        (Role.COMMUNITY_SECRETARY, tree["comm_c"].pk)
    ]
    created = user.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == ("+", clerk, "创建账号")
    assert not hasattr(created, "password")


def test_street_staff_create_secretaries_inside_their_street_only(tree, street_clerk):
    user, _password = services.account_create(
        full_name="李明",
        username="liming",
        role=Role.COMPOUND_SECRETARY,
        organization=tree["compound_b"],
        by=street_clerk,
    )
    assert user.role_assignments.get().organization == tree["compound_b"]

    with pytest.raises(ValidationError) as outside:
        services.account_create(
            full_name="赵四", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_c"], by=street_clerk
        )
    assert outside.value.message_dict == {"organization": ["街道和园区工作人员只能在本街道或本园区范围内授予角色。"]}
    with pytest.raises(ValidationError) as staff_role:
        services.account_create(
            full_name="赵四", role=Role.STREET_STAFF, organization=tree["street_a"], by=street_clerk
        )
    assert list(staff_role.value.message_dict) == ["role"]
    assert not User.objects.filter(full_name="赵四").exists()


def test_a_secretary_may_not_create_accounts(tree):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    with pytest.raises(ValidationError):
        services.account_create(
            full_name="赵四", role=Role.COMPOUND_SECRETARY, organization=tree["compound_a"], by=secretary
        )
    assert not User.objects.filter(full_name="赵四").exists()


def test_bad_phone_and_taken_phone_are_refused_in_chinese(tree, clerk):
    services.account_create(
        full_name="甲", phone="13800001234", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]
    )
    with pytest.raises(ValidationError) as bad:
        services.account_create(
            full_name="乙", phone="12345", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]
        )
    assert bad.value.message_dict == {"phone": ["请输入以 1 开头的 11 位手机号码。"]}
    with pytest.raises(ValidationError) as taken:
        services.account_create(
            full_name="乙", phone="13800001234", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]
        )
    assert taken.value.messages == ["已有其他账号使用这个手机号码。"]


def test_reset_gives_a_new_one_time_password_and_records_it(tree, street_clerk):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    password = services.account_password_reset(user=secretary, by=street_clerk)

    secretary.refresh_from_db()
    assert secretary.check_password(password) and secretary.must_change_password
    latest = secretary.history.first()
    assert (latest.history_user, latest.history_change_reason, latest.must_change_password) == (
        street_clerk,
        "重置密码",
        True,
    )


@pytest.mark.parametrize(
    "holds",
    [
        (Role.COMMUNITY_SECRETARY, "comm_c"),  # the other street
        (Role.STREET_STAFF, "street_a"),  # a colleague
        (Role.DISTRICT_STAFF, "root"),
        None,  # no role at all (a deactivated account)
    ],
)
def test_street_staff_may_not_reset_or_deactivate_outside_their_reach(tree, street_clerk, holds):
    other = user_with_role(holds[0], organization=tree[holds[1]]) if holds else UserFactory()
    before = other.password
    with pytest.raises(ValidationError):
        services.account_password_reset(user=other, by=street_clerk)
    with pytest.raises(ValidationError):
        services.account_deactivate(user=other, by=street_clerk)
    other.refresh_from_db()
    assert (other.password, other.is_active) == (before, True)
    assert other not in managed_accounts(by=street_clerk)


def test_district_staff_may_not_touch_a_superuser(clerk):
    root = UserFactory(is_superuser=True)
    with pytest.raises(ValidationError):
        services.account_password_reset(user=root, by=clerk)
    assert root not in managed_accounts(by=clerk)


def test_deactivating_ends_the_roles_and_the_login(tree, street_clerk, client):
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"], username="old")
    services.account_deactivate(user=secretary, by=street_clerk)

    secretary.refresh_from_db()
    assert not secretary.is_active
    assert not RoleAssignment.objects.filter(user=secretary).exists()
    ended = RoleAssignment.history.filter(user_id=secretary.pk, history_type="-").get()
    assert ended.role == Role.COMPOUND_SECRETARY
    assert secretary.history.first().history_change_reason == "停用账号"
    client.post(reverse("login"), {"username": "old", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_only_district_staff_switch_an_account_on_again(tree, clerk, street_clerk):
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    services.account_deactivate(user=secretary, by=clerk)
    with pytest.raises(ValidationError):
        services.account_activate(user=secretary, by=street_clerk)
    services.account_activate(user=secretary, by=clerk)
    secretary.refresh_from_db()
    assert secretary.is_active and secretary.must_change_password


def test_nobody_deactivates_their_own_account(clerk):
    with pytest.raises(ValidationError):
        services.account_deactivate(user=clerk, by=clerk)


def test_logins_write_no_history_rows(tree, client):
    user = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], username="wang")
    rows = user.history.count()
    assert client.post(reverse("login"), {"username": "wang", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" in client.session
    assert user.history.count() == rows


def test_managed_accounts_of_street_staff(tree, street_clerk, django_assert_num_queries):
    inside = [user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]) for _ in range(3)]
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"])
    with django_assert_num_queries(3):  # the granter's roles, the accounts, their roles
        found = list(managed_accounts(by=street_clerk))
        roles = [a.organization.name for u in found for a in u.role_assignments.all()]
    assert sorted(u.pk for u in found) == sorted(u.pk for u in inside)
    assert roles == ["甲社区党委"] * 3


def test_a_staff_role_makes_a_staff_account_in_its_group(tree):
    group = Group.objects.create(name="street staff")
    user, _password = services.account_create(full_name="陈晓燕", role=Role.STREET_STAFF, organization=tree["street_b"])
    user.refresh_from_db()
    assert user.is_staff and list(user.groups.all()) == [group]
    secretary, _password = services.account_create(
        full_name="张丽华", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_c"]
    )
    assert not secretary.is_staff and not secretary.groups.exists()
