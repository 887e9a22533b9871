"""On a phone (390×844): the agency contact moves a problem to resolved with a note, the compound
secretary confirms it, and the timeline shows both steps."""

from __future__ import annotations

import pytest

from liaisons.models import Demand, State
from organizations.models import Role
from tests.liaisons.factories import liaison_world, raise_demand
from tests.organizations.factories import district_tree, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDTH = "document.scrollingElement.scrollWidth"


def test_agency_resolves_and_the_secretary_confirms_on_a_phone(live_server, browser):
    world = liaison_world(district_tree())
    demand = raise_demand(world["compound_a_unit"], title="单元门禁损坏", state=State.IN_PROGRESS)
    user_with_role(Role.AGENCY_CONTACT, unit=world["agency"], username="agency")
    user_with_role(Role.COMPOUND_SECRETARY, organization=world["compound_a"], username="compound")

    agency = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE).new_page()
    log_in(agency, f"{live_server.url}/liaisons/", "agency")
    assert agency.locator("#pairings tr[data-pairing]").count() == 1
    assert agency.evaluate(WIDTH) <= PHONE["width"]
    agency.click("#open-problems a:has-text('单元门禁损坏')")
    agency.wait_for_load_state()
    agency.click("a[data-move='resolved']")
    agency.wait_for_load_state()
    # Asked first: what it does, with the note; nothing has moved yet.
    assert "标记为已解决" in agency.locator("h1").inner_text()
    demand.refresh_from_db()
    assert demand.state == State.IN_PROGRESS
    assert agency.evaluate(WIDTH) <= PHONE["width"]
    agency.fill("textarea[name=note]", "已更换门禁主板，试用正常")
    agency.locator("form.confirm-action button[type=submit]").click()
    agency.wait_for_load_state()
    assert "已解决" in agency.locator("ul.messages li.success").inner_text()
    assert agency.locator("a[data-move='confirmed']").count() == 0  # the agency never confirms its own work
    agency.context.close()

    secretary = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE).new_page()
    log_in(secretary, f"{live_server.url}{demand.get_absolute_url()}", "compound")
    secretary.click("a[data-move='confirmed']")
    secretary.wait_for_load_state()
    secretary.locator("form.confirm-action button[type=submit]").click()
    secretary.wait_for_load_state()
    timeline = secretary.locator("#timeline").inner_text()
    assert "已更换门禁主板，试用正常" in timeline
    assert secretary.locator("#timeline li[data-step='resolved']").count() == 1
    assert secretary.locator("#timeline li[data-step='confirmed']").count() == 1
    assert secretary.locator("dd.state").inner_text().startswith("已确认")
    assert secretary.evaluate(WIDTH) <= PHONE["width"]
    assert Demand.objects.get(pk=demand.pk).state == State.CONFIRMED
    secretary.context.close()
