"""The accounts admin: create with a role, one-time passwords shown once, reset, deactivate, the import,
scoped to what the user may manage, phones masked, and a list whose queries do not grow."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Member
from organizations.models import Role, RoleAssignment
from tests.organizations.factories import district_tree, grant_admin, user_with_role

pytestmark = pytest.mark.django_db
User = get_user_model()
CHANGELIST = reverse("admin:yiling_user_changelist")
ADD = reverse("admin:yiling_user_add")
IMPORT = reverse("admin:yiling_user_import")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def import_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("yiling.admin_users.UserAdmin.import_dir", tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def tree():
    return district_tree()


def staff(tree, role=Role.DISTRICT_STAFF, where="root"):
    user = user_with_role(role, organization=tree[where])
    grant_admin(user, User)
    return user


def body(response) -> str:
    return html.unescape(response.content.decode())


def password_on(page: str) -> str:
    return re.search(r'class="password"><code>([^<]+)</code>', page)[1]


def test_district_staff_create_an_account_and_see_its_one_time_password_once(tree, client):
    clerk = staff(tree)
    client.force_login(clerk)

    response = client.post(
        ADD,
        {
            "full_name": "王芳",
            "phone": "13800001234",
            "username": "",
            "role": Role.COMMUNITY_SECRETARY,
            "organization": tree["comm_c"].pk,
        },
    )

    page = body(response)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    user = User.objects.get(full_name="王芳")
    assert user.check_password(password_on(page)) and user.must_change_password
    assert user.username in page
    assert RoleAssignment.objects.get(user=user).organization == tree["comm_c"]


def test_street_staff_may_only_choose_organizations_and_roles_of_their_street(tree, client):
    client.force_login(staff(tree, Role.STREET_STAFF, "street_a"))
    form = body(client.get(ADD))
    assert "甲社区党委" in form and "丙社区党委" not in form
    assert "党员商户" not in form

    response = client.post(
        ADD, {"full_name": "赵四", "role": Role.COMMUNITY_SECRETARY, "organization": tree["comm_c"].pk}
    )
    assert response.status_code == 200 and "选择一个有效的选项" in body(response)
    response = client.post(
        ADD, {"full_name": "赵四", "role": Role.COMMUNITY_SECRETARY, "organization": tree["compound_a"].pk}
    )
    assert "社区书记必须绑定到所在单位为社区的党组织。" in body(response)
    assert not User.objects.filter(full_name="赵四").exists()


def test_street_staff_list_only_their_streets_accounts_with_phones_masked(tree, client):
    street = staff(tree, Role.STREET_STAFF, "street_a")
    inside = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], phone="13800001234")
    outside = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"], username="outsider")
    client.force_login(street)

    page = body(client.get(CHANGELIST))
    rows = page.split('id="result_list"', 1)[1]
    assert inside.username in rows and "138****1234" in rows and "13800001234" not in rows
    assert outside.username not in rows
    assert client.get(reverse("admin:yiling_user_change", args=[outside.pk])).status_code == 302
    assert client.get(reverse("admin:auth_user_password_change", args=[inside.pk])).status_code == 403


def test_a_user_with_the_permission_sees_the_phone(tree, client):
    clerk = staff(tree)
    grant_admin(clerk, Member)
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], phone="13800001234")
    client.force_login(clerk)
    assert "13800001234" in body(client.get(CHANGELIST))


def test_the_list_takes_the_same_queries_for_more_accounts(tree, client, django_assert_max_num_queries):
    client.force_login(staff(tree, Role.STREET_STAFF, "street_a"))
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST)
    for _ in range(10):
        user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_b"])
    with django_assert_max_num_queries(len(few)):
        page = body(client.get(CHANGELIST))
    assert page.count("乙小区党支部") == 10


def test_reset_and_deactivate_through_the_actions(tree, client):
    client.force_login(staff(tree, Role.STREET_STAFF, "street_a"))
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])

    reset = client.post(CHANGELIST, {"action": "reset_passwords", "_selected_action": [secretary.pk]})
    secretary.refresh_from_db()
    assert secretary.check_password(password_on(body(reset))) and secretary.must_change_password

    client.post(CHANGELIST, {"action": "deactivate_accounts", "_selected_action": [secretary.pk]})
    secretary.refresh_from_db()
    assert not secretary.is_active and not RoleAssignment.objects.filter(user=secretary).exists()


def test_staff_edit_name_and_phone_only(tree, client):
    client.force_login(staff(tree, Role.STREET_STAFF, "street_a"))
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    url = reverse("admin:yiling_user_change", args=[secretary.pk])
    client.post(url, {"full_name": "新名字", "is_superuser": "on", "is_staff": "on"})
    secretary.refresh_from_db()
    assert (secretary.full_name, secretary.is_superuser, secretary.is_staff) == ("新名字", False, False)


def test_the_import_previews_then_shows_the_new_passwords_once(tree, client):
    client.force_login(staff(tree))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "手机号", "角色", "组织或单位代码"])
    writer.writerow(["王芳", "13800001111", "社区书记", tree["comm_a"].code])
    upload = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    upload.name = "accounts.csv"

    preview = body(client.post(IMPORT, {"file": upload}))
    assert "将新增 1，更新 0，未变 0。" in preview and "138****1111" in preview
    assert not User.objects.filter(phone="13800001111").exists()
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview)[1]

    confirmed = client.post(IMPORT, {"token": token})

    page = body(confirmed)
    wang = User.objects.get(phone="13800001111")
    assert wang.check_password(password_on(page)) and wang.username in page
    assert "请现在记下或当面交给本人" in page


def test_the_export_is_the_import_format_with_phones_masked_on_a_link(tree, client):
    client.force_login(staff(tree, Role.STREET_STAFF, "street_a"))
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], full_name="王芳", phone="13800001234")
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"], full_name="外街道")

    response = client.get(reverse("admin:yiling_user_export") + "?format=csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["姓名", "手机号", "角色", "组织或单位代码"],
        ["王芳", "138****1234", "社区书记", tree["comm_a"].code],
    ]


def test_no_search_by_phone_without_the_permission(tree, client):
    client.force_login(staff(tree, Role.STREET_STAFF, "street_a"))
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], phone="13800001234")

    found = body(client.get(CHANGELIST, {"q": "13800001234"}))
    assert secretary.username not in found.split('id="result_list"', 1)[-1]
    assert secretary.username in body(client.get(CHANGELIST, {"q": secretary.username}))


def test_the_change_form_links_to_another_role(tree, client):
    client.force_login(staff(tree))
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    page = body(client.get(reverse("admin:yiling_user_change", args=[secretary.pk])))
    assert f"{reverse('admin:organizations_roleassignment_add')}?user={secretary.pk}" in page
