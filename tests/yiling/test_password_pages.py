"""The account holder's password pages: the first-login change, the portal's change and reset pages in
Chinese, and the lockout page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from organizations import services
from organizations.models import Role
from tests.organizations.factories import PASSWORD, UserFactory, district_tree

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Yiling-2026-secret"


def log_in(client: Client, username: str, password: str) -> None:
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def new_secretary():
    tree = district_tree()
    user, password = services.account_create(
        full_name="王芳", username="wangfang", role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]
    )
    return user, password


def test_a_new_account_must_change_its_password_before_anything_else(client, new_secretary):
    user, password = new_secretary
    log_in(client, user.username, password)

    for url in (reverse("portal-home"), reverse("members:member-list"), "/admin/", reverse("password_change_done")):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("password_change")), url
    page = client.get(reverse("password_change")).content.decode()
    assert "请先设置自己的密码" in page

    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("portal-home")
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(NEW_PASSWORD)
    home = client.get(reverse("portal-home"), follow=True)
    assert home.status_code == 200 and "密码已修改，欢迎使用！" in home.content.decode()
    assert user.history.first().history_change_reason == "本人修改密码"


def test_logging_out_stays_possible_before_the_change(client, new_secretary):
    user, password = new_secretary
    log_in(client, user.username, password)
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_change_page_is_the_portals_in_chinese_with_the_validators_messages(client):
    UserFactory(username="li", full_name="李明")
    log_in(client, "li", PASSWORD)

    home = client.get(reverse("portal-home")).content.decode()
    assert f'href="{reverse("password_change")}"' in home
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Django" not in page and 'class="site-header"' in page
    assert "这个密码太常见了。" in page
    assert "密码只包含数字。" in page
    assert "修改密码" in page

    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Yl-26", "new_password2": "Yl-26"}
    )
    page = response.content.decode()
    assert "密码太短：至少要有 8 个字符。" in page
    assert "This password" not in page

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "您的密码已修改。" in response.content.decode()


def test_reset_by_email_sets_a_password_and_lifts_the_first_login_change(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(username="zhao", email="zhao@example.cn", must_change_password=True)

    form = client.get(reverse("password_reset")).content.decode()
    assert "忘记密码？" in form and "区委组织部" in form and "Django" not in form
    response = client.post(reverse("password_reset"), {"email": "zhao@example.cn"}, follow=True)
    assert "链接已发送" in response.content.decode()

    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    confirm = client.get(link, follow=True)
    assert "设置新密码" in confirm.content.decode()
    done = client.post(
        confirm.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "新密码已设置" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.must_change_password


def test_the_login_page_links_to_the_reset(client):
    assert f'href="{reverse("password_reset")}"' in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("contact", ["", "区委组织部 0717-7820000"])
def test_the_lockout_page_says_how_long_to_wait_and_whom_to_call(settings, contact):
    settings.SUPPORT_CONTACT = contact
    UserFactory(username="zhang")
    client = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "zhang", "password": "wrong"})

    page = response.content.decode()
    assert response.status_code == 429
    assert 'class="site-header"' in page
    assert "登录已锁定" in page
    assert "请在 1 小时后再试。" in page
    assert f"请联系{contact or '区委组织部'}。" in page
