"""On a phone (390x844): a district clerk onboards a community secretary, who must change the one-time
password at first login and then lands on their own page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from organizations.models import Role
from tests.organizations.factories import district_tree, grant_admin, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "Yiling-2026-secret"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_district_clerk_onboards_a_community_secretary(live_server, page):
    tree = district_tree()
    clerk = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], username="clerk")
    grant_admin(clerk, get_user_model())
    page.set_viewport_size(PHONE)

    log_in(page, f"{live_server.url}/admin/login/", "clerk")
    page.goto(f"{live_server.url}/admin/yiling/user/add/")
    page.fill("#id_full_name", "王芳")
    page.fill("#id_phone", "13800001234")
    page.select_option("#id_role", Role.COMMUNITY_SECRETARY.value)
    page.select_option("#id_organization", label="甲社区党委")
    page.locator("input[name=_save]").click()

    assert "请现在记下或当面交给本人" in page.locator("#content-main").inner_text()
    username = page.locator("#one-time-passwords td.username").inner_text().strip()
    password = page.locator("#one-time-passwords td.password").inner_text().strip()
    page.context.clear_cookies()

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form [type=submit]").last.click()

    page.wait_for_url(f"{live_server.url}/accounts/password_change/")
    assert "请先设置自己的密码" in page.locator("main").inner_text()
    assert fits(page)
    page.goto(f"{live_server.url}/members/")  # nothing else opens before the change
    assert page.url == f"{live_server.url}/accounts/password_change/"
    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.locator("main form [type=submit]").click()

    page.wait_for_url(f"{live_server.url}/")
    assert "密码已修改，欢迎使用！" in page.locator(".messages").inner_text()
    assert page.locator("h1").inner_text() == "我的工作"
    assert "甲社区党委" in page.locator("section.card.role").first.inner_text()
    assert fits(page)


def test_the_lockout_page_on_a_phone(live_server, page):
    user_with_role(Role.COMMUNITY_SECRETARY, organization=district_tree()["comm_a"], username="zhang")
    page.set_viewport_size(PHONE)
    for _ in range(5):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "zhang")
        page.fill("#id_password", "wrong-password")
        with page.expect_navigation() as answer:
            page.locator("main form [type=submit]").click()

    assert answer.value.status == 429
    text = page.locator("main").inner_text()
    assert "登录已锁定" in text and "请在 1 小时后再试。" in text and "请联系区委组织部。" in text
    assert fits(page)
