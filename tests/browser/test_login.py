"""In a real browser (Debian's Chromium, zh-CN): district staff in the admin, a secretary in the portal."""

from __future__ import annotations

import pytest

from organizations.models import Organization, Role, RoleAssignment, Unit
from tests.organizations.factories import district_tree, grant_admin, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_staff_see_the_chinese_admin(live_server, page):
    tree = district_tree()
    staff = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], username="district")
    grant_admin(staff, Organization, Unit, RoleAssignment)

    log_in(page, f"{live_server.url}/admin/login/", "district")

    assert page.locator("#site-name").inner_text().strip() == "夷陵区城市基层党建综合体"
    assert "夷陵党建综合体" in page.title()
    page.goto(f"{live_server.url}/admin/organizations/organization/?q=社区")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert "区委 / 甲街道党工委 / 甲社区党委" in page.locator("#result_list").inner_text()


def test_community_secretary_sees_only_their_community_in_the_portal(live_server, page):
    tree = district_tree()
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], username="community")

    log_in(page, f"{live_server.url}/", "community")

    # Landed on their own work page: what waits for them, then their role, their community and its figures.
    assert page.locator("h1").inner_text() == "我的工作"
    assert page.locator("#todo h2").inner_text().startswith("待办事项")
    assert page.locator("main > h2", has_text="我管辖的组织架构").count() == 1
    section = page.locator("section.card.role").first.inner_text()
    assert "社区书记" in section and "甲社区党委" in section
    assert "区委 / 甲街道党工委 / 甲社区党委" in section

    page.click("header nav >> text=组织架构")
    listing = page.locator("ul.tree").text_content()  # folded levels too
    assert "甲社区党委" in listing and "甲小区党支部" in listing
    assert "乙社区党委" not in listing and "丙社区党委" not in listing and "甲街道党工委" not in listing

    response = page.goto(f"{live_server.url}/organizations/{tree['comm_b'].code}/")
    assert response.status == 404
