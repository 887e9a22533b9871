"""In a real browser on a phone (390×844): a park secretary lands on the alliances page, records a joint
meeting hosted by the proposed branch with its minutes, and the next proposed host moves on."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alliances.models import HostTurn, JointMeeting
from organizations.models import Role
from tests.alliances.factories import make_alliance, park_tree
from tests.organizations.factories import user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = "document.scrollingElement.scrollWidth"
OPEN_ALL = "document.querySelectorAll('details').forEach(d => { d.open = true; })"


def test_park_secretary_records_a_meeting_hosted_by_the_proposed_branch(live_server, page):
    tree = park_tree()
    alliance = make_alliance(tree)
    first, second = tree["branches"][:2]
    user_with_role(Role.STREET_STAFF, organization=tree["park"], username="parksec")
    page.set_viewport_size({"width": 390, "height": 844})

    log_in(page, f"{live_server.url}/alliances/", "parksec")
    row = page.locator(f"tr[data-alliance='{alliance.code}']")
    assert row.locator("td.next-host").inner_text() == first.name
    page.evaluate(OPEN_ALL)
    assert page.evaluate(WIDTH) <= 390
    row.locator("a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == alliance.name
    assert page.locator("ol.upcoming li.proposed").inner_text().startswith(first.name)

    page.click("details#form-meeting summary")
    form = page.locator("form.meeting")
    # the proposed host is chosen already
    assert form.locator("select[name=host]").input_value() == str(first.pk)
    form.locator("input[name=held_on]").fill(timezone.localdate().isoformat())
    form.locator("input[name=topic]").fill("联席会议:轮流观摩安排")
    form.locator("input[name=attendance]").fill("18")
    form.locator("textarea[name=minutes]").fill("会议研究了下半年轮流观摩安排。")
    form.locator("textarea[name=decisions]").fill("下次由第二家企业承办。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("ul.messages li.success").count() == 1
    assert "联席会议:轮流观摩安排" in page.locator("table.meetings").inner_text()
    # the rotation moved on: the next proposed host is the second branch
    assert page.locator("ol.upcoming li.proposed").inner_text().startswith(second.name)
    page.evaluate(OPEN_ALL)
    assert page.evaluate(WIDTH) <= 390

    meeting = JointMeeting.objects.get()
    assert (meeting.host, meeting.attendance, meeting.minutes) == (first, 18, "会议研究了下半年轮流观摩安排。")
    assert HostTurn.objects.get(meeting=meeting).branch == first

    # back on the landing page: the next host shows there too, and nothing is left to minute
    page.goto(f"{live_server.url}/alliances/")
    assert page.locator(f"tr[data-alliance='{alliance.code}'] td.next-host").inner_text() == second.name
    assert page.locator("ul.unminuted li[data-meeting]").count() == 0
