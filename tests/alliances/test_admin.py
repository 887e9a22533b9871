"""The alliances admin: scoped lists, writes through the services, the enterprises import and export."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from alliances import services
from alliances.models import (
    Alliance,
    AllianceMembership,
    EnterpriseProfile,
    FormationMode,
    HostTurn,
    InstructorAssignment,
    JointMeeting,
)
from tests.organizations.factories import grant_admin

from .factories import make_alliance, park_secretary

pytestmark = pytest.mark.django_db
ALLIANCE_MODELS = [m for m in admin.site._registry if m._meta.app_label == "alliances"]


@pytest.fixture
def staff(tree):
    user = park_secretary(tree)
    grant_admin(user, *ALLIANCE_MODELS)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def data(tree):
    ours = make_alliance(tree)
    other = services.alliance_create(
        code="OUT",
        name="外园联盟",
        park=tree["other_park"].unit,
        committee=tree["other_park"],
        formed_on=date(2024, 1, 1),
    )
    services.membership_add(alliance=other, branch=tree["other_branch"], joined_on=date(2024, 1, 2))
    services.joint_meeting_record(alliance=ours, held_on=date(2024, 2, 1), host=tree["branches"][0], topic="本园会议")
    services.joint_meeting_record(alliance=other, held_on=date(2024, 2, 1), host=tree["other_branch"], topic="外园会议")
    for branch in (tree["branches"][0], tree["other_branch"]):
        services.enterprise_profile_save(
            unit=branch.unit, formation_mode=FormationMode.STANDALONE, branch=branch, is_large_scale=True
        )
        services.instructor_assign(
            enterprise=branch.unit, instructor_name=f"{branch.name}指导员", started_on=date(2024, 3, 1)
        )
    return {"ours": ours, "other": other}


@pytest.mark.parametrize("model", ALLIANCE_MODELS, ids=lambda m: m._meta.label)
def test_every_changelist_opens_and_shows_only_the_park(staff, data, model):
    response = staff.get(reverse(f"admin:alliances_{model._meta.model_name}_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "外园" not in page


def test_other_park_rows_are_not_reachable_by_url(staff, data):
    meeting = JointMeeting.objects.get(topic="外园会议")
    assert staff.get(reverse("admin:alliances_jointmeeting_change", args=[meeting.pk])).status_code in (302, 403, 404)
    assert staff.get(reverse("admin:alliances_alliance_change", args=[data["other"].pk])).status_code in (302, 403, 404)


def test_adding_a_meeting_in_the_admin_goes_through_the_service(staff, data, tree):
    response = staff.post(
        reverse("admin:alliances_jointmeeting_add"),
        {"alliance": data["ours"].pk, "held_on": "2024-03-01", "host": tree["branches"][1].pk, "topic": "后台会议",
         "attendance": 9, "minutes": "", "decisions": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = JointMeeting.objects.get(topic="后台会议")
    assert HostTurn.objects.filter(meeting=meeting, branch=tree["branches"][1]).exists()
    # a host from outside the alliance is refused by the service, shown on the form
    response = staff.post(
        reverse("admin:alliances_jointmeeting_add"),
        {"alliance": data["ours"].pk, "held_on": "2024-03-02", "host": tree["other_branch"].pk, "topic": "x",
         "attendance": 1},
    )  # fmt: skip
    assert response.status_code == 200 and not JointMeeting.objects.filter(topic="x").exists()


def test_leave_action_moves_the_rotation_on(staff, data, tree):
    second = AllianceMembership.objects.get(alliance=data["ours"], branch=tree["branches"][1])
    staff.post(
        reverse("admin:alliances_alliancemembership_changelist"),
        {"action": "leave_today", "_selected_action": [second.pk]},
    )
    second.refresh_from_db()
    assert second.left_on is not None
    from alliances.selectors import upcoming_hosts

    assert upcoming_hosts(Alliance.objects.get(pk=data["ours"].pk), 1)[0].branch == tree["branches"][2]


def test_enterprise_export_holds_only_the_park(staff, data):
    response = staff.get(reverse("admin:alliances_enterpriseprofile_export") + "?format=csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert "企业编码" in text and EnterpriseProfile.objects.count() == 2
    assert InstructorAssignment.objects.count() == 2
    assert "外园企业" not in text
