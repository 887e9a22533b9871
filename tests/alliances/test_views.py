"""The alliance pages as a park secretary uses them: what each shows, what each write does, budgets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliances import services
from alliances.models import AllianceMembership, JointMeeting
from organizations.models import Role, UnitType
from tests.organizations.factories import make_org, user_with_role

from .factories import make_alliance, make_enterprise, park_secretary

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(tree, client):
    user = park_secretary(tree)
    client.force_login(user)
    return user


def test_home_shows_alliances_next_host_and_unminuted_meetings(tree, secretary, client):
    alliance = make_alliance(tree)
    services.joint_meeting_record(
        alliance=alliance, held_on=timezone.localdate(), host=tree["branches"][0], topic="年度计划"
    )
    page = client.get(reverse("alliances:home")).content.decode()
    assert alliance.name in page and tree["branches"][1].name in page  # the next host
    assert "年度计划" in page and reverse("alliances:home") in page  # unminuted, and the header link


def test_other_park_alliance_is_not_found(tree, client):
    alliance = make_alliance(tree)
    outsider = user_with_role(Role.STREET_STAFF, organization=tree["other_park"])
    client.force_login(outsider)
    assert client.get(alliance.get_absolute_url()).status_code == 404
    assert client.post(reverse("alliances:meeting-record", args=[alliance.code]), {}).status_code == 404
    assert alliance.name not in client.get(reverse("alliances:home")).content.decode()


def test_recording_a_meeting_with_the_proposed_host_moves_the_rotation(tree, secretary, client):
    alliance = make_alliance(tree)
    a, b = tree["branches"][:2]
    detail = client.get(alliance.get_absolute_url()).content.decode()
    assert f'<option value="{a.pk}" selected>' in detail  # the proposed host comes pre-selected
    today = timezone.localdate()
    response = client.post(
        reverse("alliances:meeting-record", args=[alliance.code]),
        {"held_on": today.isoformat(), "host": a.pk, "topic": "联席会议", "attendance": 15, "minutes": "学习文件"},
    )
    assert response.status_code == 302
    meeting = JointMeeting.objects.get(alliance=alliance)
    assert (meeting.host, meeting.attendance, meeting.minutes) == (a, 15, "学习文件")
    detail = client.get(alliance.get_absolute_url()).content.decode()
    assert f'<option value="{b.pk}" selected>' in detail


def test_bad_input_is_answered_with_messages_and_nothing_written(tree, secretary, client):
    alliance = make_alliance(tree)
    response = client.post(
        reverse("alliances:meeting-record", args=[alliance.code]),
        {"held_on": "2025-02-30", "host": tree["other_branch"].pk, "topic": ""},
    )
    assert response.status_code == 200
    assert not JointMeeting.objects.exists()
    assert len(list(response.context["messages"])) >= 3
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("alliances:meeting-record", args=[alliance.code]),
        {"held_on": future, "host": tree["branches"][0].pk, "topic": "会议", "attendance": 3},
    )
    assert response.status_code == 200 and not JointMeeting.objects.exists()
    assert client.get(alliance.get_absolute_url() + "?year=abc&page=x").status_code == 200


def test_minutes_page_saves_minutes(tree, secretary, client):
    alliance = make_alliance(tree)
    meeting = services.joint_meeting_record(
        alliance=alliance, held_on=date(2025, 1, 5), host=tree["branches"][0], topic="会议"
    )
    url = reverse("alliances:meeting-minutes", args=[meeting.pk])
    assert client.post(url, {"minutes": "", "decisions": ""}).status_code == 200
    client.post(url, {"minutes": "会议纪要", "decisions": "决定"})
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.decisions) == ("会议纪要", "决定")


def test_removing_a_member_asks_first_then_moves_the_rotation_on(tree, secretary, client):
    alliance = make_alliance(tree)
    first = alliance.memberships.get(branch=tree["branches"][0])
    url = reverse("alliances:member-end", args=[first.pk])
    confirm = client.get(url).content.decode()
    assert "移出该支部" in confirm and "轮流承办将跳过它继续进行" in confirm
    assert AllianceMembership.objects.get(pk=first.pk).left_on is None
    client.post(url)
    assert AllianceMembership.objects.get(pk=first.pk).left_on == timezone.localdate()
    detail = client.get(alliance.get_absolute_url()).content.decode()
    assert f'<option value="{tree["branches"][1].pk}" selected>' in detail


def test_swap_and_add_member_from_the_page(tree, secretary, client):
    alliance = make_alliance(tree, members=3)
    a, b, c, d = tree["branches"]
    client.post(reverse("alliances:turns-swap", args=[alliance.code]), {"first": a.pk, "second": c.pk})
    assert list(alliance.memberships.current().order_by("turn").values_list("branch", flat=True)) == [c.pk, b.pk, a.pk]
    client.post(
        reverse("alliances:member-add", args=[alliance.code]),
        {"branch": d.pk, "joined_on": timezone.localdate().isoformat()},
    )
    assert alliance.memberships.current().filter(branch=d).exists()


def _grow(tree, n):
    for _ in range(n):
        branch = make_org(tree["park"], unit_type=UnitType.ENTERPRISE, unit_parent=tree["park"].unit)
        alliance = make_alliance({"park": tree["park"], "branches": [branch, *tree["branches"]]})
        services.joint_meeting_record(alliance=alliance, held_on=date(2025, 1, 5), host=branch, topic="会议")
        services.joint_activity_plan(
            alliance=alliance,
            year=timezone.localdate().year,
            title="观摩",
            kind="observation",
            planned_on=timezone.localdate(),
        )
        services.enterprise_profile_save(unit=branch.unit, is_large_scale=True)
        a = services.instructor_assign(enterprise=branch.unit, instructor_name="丁", started_on=date(2025, 1, 1))
        services.instructor_visit_log(assignment=a, visited_on=date(2025, 2, 1), summary="走访")
        make_enterprise(tree)


@pytest.mark.parametrize("url", ["alliances:home", "alliances:instructor-list", "alliances:enterprise-list", "detail"])
def test_page_queries_do_not_grow(
    tree, secretary, client, url, django_assert_max_num_queries, django_assert_num_queries
):
    _grow(tree, 1)
    from alliances.models import Alliance

    def address():
        if url == "detail":
            return Alliance.objects.order_by("pk").first().get_absolute_url()
        return reverse(url)

    with django_assert_max_num_queries(40) as small:
        assert client.get(address()).status_code == 200
    _grow(tree, 3)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(address()).status_code == 200


def test_plan_hold_book_and_lead_from_the_page(tree, secretary, client):
    from alliances.models import HostTurn, JointActivity, ResourceBooking

    alliance = make_alliance(tree)
    a, b = tree["branches"][:2]
    today = timezone.localdate()
    client.post(
        reverse("alliances:activity-plan", args=[alliance.code]),
        {"title": "轮流观摩", "kind": "observation", "planned_on": today.isoformat()},
    )
    activity = JointActivity.objects.get(alliance=alliance, title="轮流观摩")
    assert activity.year == today.year
    client.post(
        reverse("alliances:activity-held", args=[alliance.code]),
        {"activity": activity.pk, "held_on": today.isoformat(), "host": a.pk},
    )
    assert HostTurn.objects.get(activity=activity).branch == a
    room = services.resource_add(alliance=alliance, name="活动室", kind="room")
    client.post(
        reverse("alliances:resource-book", args=[alliance.code]),
        {"resource": room.pk, "activity": activity.pk, "booked_for": today.isoformat()},
    )
    assert ResourceBooking.objects.filter(resource=room, activity=activity).exists()
    again = client.post(
        reverse("alliances:resource-book", args=[alliance.code]),
        {"resource": room.pk, "activity": activity.pk, "booked_for": today.isoformat()},
    )
    assert again.status_code == 200 and ResourceBooking.objects.count() == 1  # refused, said on the page
    client.post(reverse("alliances:lead-set", args=[alliance.code]), {"branch": b.pk})
    alliance.refresh_from_db()
    assert alliance.lead_branch == b


def test_a_past_years_activity_is_held_from_that_years_page(tree, secretary, client):
    from alliances.models import HostTurn, JointActivity

    alliance = make_alliance(tree)
    last_year = timezone.localdate().year - 1
    planned = date(last_year, 11, 20)
    services.joint_activity_plan(
        alliance=alliance, year=last_year, title="去年的观摩", kind="observation", planned_on=planned
    )
    activity = JointActivity.objects.get(title="去年的观摩")
    page = client.get(f"{alliance.get_absolute_url()}?year={last_year}").content.decode()
    held_action = f"{reverse('alliances:activity-held', args=[alliance.code])}?year={last_year}#form-held"
    assert f'action="{held_action}"' in page

    done = client.post(
        held_action.split("#")[0],
        {"activity": activity.pk, "held_on": planned.isoformat(), "host": tree["branches"][0].pk},
    )

    assert HostTurn.objects.get(activity=activity).branch == tree["branches"][0]
    assert done["Location"].startswith(f"{alliance.get_absolute_url()}?year={last_year}#")
