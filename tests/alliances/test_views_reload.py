"""An alliance action's address after a refused form: the page opens at the form with what was typed,
and the address opened again (a reload, a shared link) is the page at the form, never a 405."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from alliances import services
from alliances.models import (
    AllianceMembership,
    HostTurn,
    InstructorVisit,
    JointActivity,
    JointMeeting,
    OwnActivity,
    ResourceBooking,
)
from organizations.models import Role
from tests.organizations.factories import user_with_role

from .factories import make_alliance, park_secretary

pytestmark = pytest.mark.django_db

#: Each action of the alliance page and the box on the page that holds its form.
ACTIONS = {
    "alliances:meeting-record": "form-meeting",
    "alliances:turns-swap": "form-swap",
    "alliances:member-add": "form-member",
    "alliances:own-activity-record": "form-own",
    "alliances:activity-plan": "form-plan",
    "alliances:activity-held": "form-held",
    "alliances:resource-book": "form-booking",
    "alliances:lead-set": "form-lead",
}


@pytest.fixture
def secretary(tree, client):
    user = park_secretary(tree)
    client.force_login(user)
    return user


def zh(msgid: str) -> str:
    """A message as the portal shows it (in the site language, whatever the catalogue holds)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(msgid)


def _written() -> list[int]:
    return [
        model.objects.count()
        for model in (AllianceMembership, HostTurn, JointActivity, JointMeeting, OwnActivity, ResourceBooking)
    ]


def _alliance_with_a_room(tree):
    """An alliance whose page holds every form (the booking form shows once there is a resource)."""
    alliance = make_alliance(tree)
    services.resource_add(alliance=alliance, name="活动室", kind="room")
    return alliance


def _box(page: str, anchor: str) -> str:
    """The <details> box ``anchor`` of the page, as sent."""
    return re.search(rf'<details class="action-box" id="{anchor}".*?</details>', page, re.S).group(0)


@pytest.mark.parametrize(("name", "anchor"), ACTIONS.items())
def test_an_action_address_opened_is_the_page_at_its_form(tree, secretary, client, name, anchor):
    alliance = _alliance_with_a_room(tree)
    before = _written()

    response = client.get(reverse(name, args=[alliance.code]))

    assert (response.status_code, response["Location"]) == (302, f"{alliance.get_absolute_url()}#{anchor}")
    page = client.get(response["Location"]).content.decode()
    assert f'id="{anchor}"' in page  # the anchor is there to open at
    assert _written() == before
    alliance.refresh_from_db()
    assert alliance.lead_branch_id is None


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_address_of_another_parks_alliance_is_not_found_on_get(tree, client, name):
    alliance = make_alliance(tree)
    client.force_login(user_with_role(Role.STREET_STAFF, organization=tree["other_park"]))
    assert client.get(reverse(name, args=[alliance.code])).status_code == 404
    assert client.get(alliance.get_absolute_url()).status_code == 404


def test_every_form_of_the_alliance_page_posts_to_its_own_box_in_the_year_shown(tree, secretary, client):
    alliance = _alliance_with_a_room(tree)
    page = client.get(alliance.get_absolute_url()).content.decode()
    for name, anchor in ACTIONS.items():
        action = f"{reverse(name, args=[alliance.code])}?year={timezone.localdate().year}#{anchor}"
        assert f'action="{action}"' in _box(page, anchor), name


def test_a_refused_swap_opens_at_its_form_with_the_branches_chosen(tree, secretary, client):
    alliance = make_alliance(tree, members=3)
    a = tree["branches"][0]
    url = reverse("alliances:turns-swap", args=[alliance.code])
    turns = list(alliance.memberships.current().order_by("turn").values_list("branch", flat=True))

    response = client.post(url, {"first": a.pk, "second": a.pk})

    assert response.status_code == 200
    page = response.content.decode()
    box = _box(page, "form-swap")
    # Posted to the address ending at the form: the browser shows the page there, the box open.
    assert f'action="{url}?year={timezone.localdate().year}#form-swap"' in box
    assert '<details class="action-box" id="form-swap" open>' in box
    assert zh("Choose two different branches.") in box
    assert box.count(f'<option value="{a.pk}" selected>') == 2
    assert list(alliance.memberships.current().order_by("turn").values_list("branch", flat=True)) == turns
    # The other boxes stay closed and empty.
    assert '<details class="action-box" id="form-meeting">' in page


def test_a_refused_meeting_keeps_what_was_typed_with_the_cursor_in_the_wrong_field(tree, secretary, client):
    alliance = make_alliance(tree)
    second = tree["branches"][1]
    url = reverse("alliances:meeting-record", args=[alliance.code])

    response = client.post(
        url, {"held_on": "2025-02-30", "host": second.pk, "topic": "联席会议:年度计划", "attendance": 12}
    )

    assert response.status_code == 200
    box = _box(response.content.decode(), "form-meeting")
    assert f'action="{url}?year={timezone.localdate().year}#form-meeting"' in box and 'class="form-errors"' in box
    held_on = re.search(r'<div class="field invalid" data-field="held_on">.*?</div>', box, re.S).group(0)
    assert "autofocus" in held_on
    assert box.count("autofocus") == 1
    assert 'value="联席会议:年度计划"' in box and 'value="12"' in box
    assert f'<option value="{second.pk}" selected>' in box
    assert not JointMeeting.objects.exists()


# --- the instructors' list -----------------------------------------------------------------------


def _assignment(tree):
    branch = tree["branches"][0]
    services.enterprise_profile_save(unit=branch.unit, is_large_scale=True)
    return services.instructor_assign(enterprise=branch.unit, instructor_name="丁", started_on=date(2025, 1, 1))


def test_the_visit_address_opened_is_the_instructors_list(tree, secretary, client):
    assignment = _assignment(tree)

    response = client.get(reverse("alliances:visit-log", args=[assignment.pk]))

    assert (response.status_code, response["Location"]) == (302, reverse("alliances:instructor-list"))
    assert not InstructorVisit.objects.exists()


def test_the_visit_address_outside_the_park_is_not_found_on_get(tree, client):
    assignment = _assignment(tree)
    client.force_login(user_with_role(Role.STREET_STAFF, organization=tree["other_park"]))
    assert client.get(reverse("alliances:visit-log", args=[assignment.pk])).status_code == 404
    client.force_login(park_secretary(tree))
    visit = {"visited_on": timezone.localdate().isoformat(), "summary": "走访"}
    assert client.post(reverse("alliances:visit-log", args=[assignment.pk]), visit).status_code == 302
    assert InstructorVisit.objects.count() == 1


def test_a_refused_visit_opens_the_list_at_its_form_with_what_was_typed(tree, secretary, client):
    assignment = _assignment(tree)
    url = reverse("alliances:visit-log", args=[assignment.pk])
    typed = (timezone.localdate() - timedelta(days=3)).isoformat()

    response = client.post(f"{url}?show=overdue", {"visited_on": typed, "summary": ""})

    page = response.content.decode()
    assert response.status_code == 200
    box = _box(page, f"visit-{assignment.pk}")
    assert box.startswith(f'<details class="action-box" id="visit-{assignment.pk}" open>')
    assert f'action="{url}?show=overdue#visit-{assignment.pk}"' in box
    assert f'value="{typed}"' in box and 'class="field invalid"' in box and "autofocus" in box
    assert not InstructorVisit.objects.exists()
    # Reloaded, the address goes back to the same list.
    again = client.get(f"{url}?show=overdue")
    assert again["Location"] == reverse("alliances:instructor-list") + "?show=overdue"
