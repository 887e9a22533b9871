"""In a real browser on a phone (390×844): a refused form of the alliance page opens at itself with its
message and what was chosen, and its address opened again is the page at the form, not a 405."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alliances.models import JointMeeting
from organizations.models import Role
from tests.alliances.factories import make_alliance, park_tree
from tests.organizations.factories import user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_refused_meeting_opens_at_its_form_and_its_address_reloads(live_server, page):
    tree = park_tree()
    alliance = make_alliance(tree)
    second = tree["branches"][1]
    user_with_role(Role.STREET_STAFF, organization=tree["park"], username="parksec")
    page.set_viewport_size(PHONE)
    log_in(page, f"{live_server.url}{alliance.get_absolute_url()}", "parksec")

    page.click("details#form-meeting summary")
    form = page.locator("form.meeting")
    form.locator("select[name=host]").select_option(str(second.pk))
    form.locator("input[name=topic]").fill("联席会议:年度计划")
    # A meeting cannot be recorded before it is held: the service refuses the date.
    form.locator("input[name=held_on]").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    form.locator("input[name=attendance]").fill("12")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url.endswith("#form-meeting")
    box = page.locator("#form-meeting")
    assert box.get_attribute("open") is not None
    field = box.locator(".field.invalid").first
    top = field.bounding_box()["y"]
    assert 0 <= top < PHONE["height"]
    assert page.evaluate("document.activeElement.name") == "held_on"
    assert box.locator("input[name=attendance]").input_value() == "12"
    assert box.locator("input[name=topic]").input_value() == "联席会议:年度计划"
    assert box.locator("select[name=host]").input_value() == str(second.pk)
    assert not JointMeeting.objects.exists()

    response = page.goto(page.url.split("#")[0])
    assert response.status == 200
    assert page.locator("h1").inner_text() == alliance.name
    assert page.url.endswith(f"{alliance.get_absolute_url()}#form-meeting")
