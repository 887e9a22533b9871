"""The writes of the alliances app: what the database holds after each, and what is refused."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alliances import selectors, services
from alliances.models import (
    AllianceMembership,
    EnterpriseProfile,
    FormationMode,
    HostTurn,
    InstructorAssignment,
    JointMeeting,
    ResourceKind,
)
from tests.constraints import refused_by
from tests.members.factories import make_member

from .factories import make_alliance, make_enterprise

pytestmark = pytest.mark.django_db
DAY = date(2025, 3, 1)


def meet(alliance, host, day=DAY, **kw):
    return services.joint_meeting_record(alliance=alliance, held_on=day, host=host, topic="联席会议", **kw)


def next_host(alliance):
    alliance.refresh_from_db()
    return selectors.upcoming_hosts(alliance, 1)[0].branch


def test_meeting_hosted_by_proposed_branch_moves_the_rotation_on(tree):
    alliance = make_alliance(tree)
    a, b, c, d = tree["branches"]
    assert next_host(alliance) == a
    meeting = meet(alliance, a, attendance=12, minutes="学习", decisions="轮流承办")
    assert meeting.host_turn.round == 1
    assert next_host(alliance) == b
    for branch in (b, c, d):
        meet(alliance, branch)
    alliance.refresh_from_db()
    assert alliance.current_round == 2 and next_host(alliance) == a
    assert list(HostTurn.objects.filter(alliance=alliance, round=1).values_list("branch", flat=True)) == [
        x.pk for x in (a, b, c, d)
    ]


def test_second_hosting_in_a_round_is_recorded_but_takes_no_turn(tree):
    alliance = make_alliance(tree)
    a, b, *_ = tree["branches"]
    meet(alliance, a)
    again = meet(alliance, a)
    assert JointMeeting.objects.filter(alliance=alliance).count() == 2
    assert not HostTurn.objects.filter(meeting=again).exists()
    assert next_host(alliance) == b


def test_leaving_branch_is_skipped_and_the_last_leaver_can_close_the_round(tree):
    alliance = make_alliance(tree)
    a, b, c, d = tree["branches"]
    meet(alliance, a)
    services.membership_end(membership=alliance.memberships.get(branch=b), left_on=DAY)
    assert next_host(alliance) == c
    meet(alliance, c)
    services.membership_end(membership=alliance.memberships.get(branch=d), left_on=DAY)
    alliance.refresh_from_db()
    assert alliance.current_round == 2 and next_host(alliance) == a


def test_new_member_hosts_at_the_end_of_the_current_round(tree):
    alliance = make_alliance(tree, members=2)
    a, b, c, _d = tree["branches"]
    meet(alliance, a)
    services.membership_add(alliance=alliance, branch=c, joined_on=DAY)
    alliance.refresh_from_db()
    assert [t.branch for t in selectors.upcoming_hosts(alliance, 4)] == [b, c, a, b]


def test_swap_exchanges_two_due_turns_and_refuses_a_taken_one(tree):
    alliance = make_alliance(tree)
    a, b, c, d = tree["branches"]
    services.turns_swap(alliance=alliance, first=a, second=d)
    assert [t.branch for t in selectors.upcoming_hosts(alliance, 4)] == [d, b, c, a]
    meet(alliance, d)
    with pytest.raises(ValidationError) as refused:
        services.turns_swap(alliance=alliance, first=d, second=b)
    assert "本轮已承办过的支部不能调换顺序" in str(refused.value)


def test_rotation_in_the_database_over_random_joins_leaves_swaps_and_meetings(tree):
    """The same property as the pure rotation, through the services: each round, every branch that
    was a member all round hosted exactly once."""
    rng = random.Random(7)
    alliance = make_alliance(tree, members=3)
    spare = [tree["branches"][3]]
    ended: list = []
    for _step in range(40):
        alliance.refresh_from_db()
        members = list(alliance.memberships.current().select_related("branch"))
        op = rng.random()
        if op < 0.1 and spare:
            services.membership_add(alliance=alliance, branch=spare.pop(), joined_on=DAY)
        elif op < 0.2 and len(members) > 2:
            leaver = rng.choice(members)
            services.membership_end(membership=leaver, left_on=DAY)
            ended.append(leaver.branch)
        elif op < 0.3 and len(members) > 1:
            due = selectors.rotation_of(alliance).due
            if len(due) > 1:
                x, y = rng.sample(list(due), 2)
                services.turns_swap(
                    alliance=alliance,
                    first=members[0].branch.__class__.objects.get(pk=x),
                    second=members[0].branch.__class__.objects.get(pk=y),
                )
        else:
            meet(alliance, next_host(alliance))
    alliance.refresh_from_db()
    for round_ in range(1, alliance.current_round):
        hosts = list(HostTurn.objects.filter(alliance=alliance, round=round_).values_list("branch", flat=True))
        assert len(hosts) == len(set(hosts)), f"round {round_} has a double turn"


def test_meeting_host_must_be_a_member(tree):
    alliance = make_alliance(tree, members=2)
    with pytest.raises(ValidationError):
        meet(alliance, tree["branches"][3])
    with pytest.raises(ValidationError):
        meet(alliance, tree["branches"][0], day=timezone.localdate() + timedelta(days=1))


def test_only_enterprise_branches_under_the_committee_join(tree):
    alliance = make_alliance(tree, members=0)
    with pytest.raises(ValidationError):
        services.membership_add(alliance=alliance, branch=tree["other_branch"], joined_on=DAY)
    with pytest.raises(ValidationError):
        services.membership_add(alliance=alliance, branch=tree["street"], joined_on=DAY)


def test_database_refuses_a_branch_twice_and_two_members_on_one_turn(tree):
    alliance = make_alliance(tree, members=2)
    a, b, c, _ = tree["branches"]
    with refused_by(AllianceMembership, "alliances_alliancemembership_one_current_per_branch"):
        AllianceMembership.objects.create(alliance=alliance, branch=a, joined_on=DAY, turn=9)
    with refused_by(AllianceMembership, "alliances_alliancemembership_one_member_per_turn"):
        AllianceMembership.objects.create(alliance=alliance, branch=c, joined_on=DAY, turn=1)
    meet(alliance, a)
    with refused_by(HostTurn, "alliances_hostturn_once_per_round"):
        HostTurn.objects.create(alliance=alliance, round=1, branch=a, hosted_on=DAY)


def test_lead_branch_must_be_a_member_and_is_dropped_when_it_leaves(tree):
    alliance = make_alliance(tree, members=2)
    a, _b, c, _ = tree["branches"]
    with pytest.raises(ValidationError):
        services.alliance_set_lead(alliance=alliance, branch=c)
    services.alliance_set_lead(alliance=alliance, branch=a)
    services.membership_end(membership=alliance.memberships.get(branch=a), left_on=DAY)
    alliance.refresh_from_db()
    assert alliance.lead_branch is None
    assert alliance.history.count() >= 2


def test_minutes_and_unminuted_meetings(tree):
    alliance = make_alliance(tree, members=2)
    meeting = meet(alliance, tree["branches"][0])
    assert list(JointMeeting.objects.unminuted()) == [meeting]
    with pytest.raises(ValidationError):
        services.joint_meeting_minute(meeting=meeting, minutes="  ")
    services.joint_meeting_minute(meeting=meeting, minutes="会议学习了文件", decisions="下次由企业2承办")
    assert not JointMeeting.objects.unminuted().exists()


def test_joint_programme_and_own_activities(tree):
    alliance = make_alliance(tree, members=2)
    a, b, c, _ = tree["branches"]
    plan = services.joint_activity_plan(
        alliance=alliance, year=2025, title="轮流观摩", kind="observation", planned_on=DAY
    )
    with pytest.raises(ValidationError):
        services.joint_activity_plan(alliance=alliance, year=2024, title="x", kind="study", planned_on=DAY)
    services.joint_activity_held(activity=plan, held_on=DAY, host=a)
    assert next_host(alliance) == b
    services.own_activity_record(alliance=alliance, branch=b, title="支部学习", held_on=DAY, joint_activity=plan)
    services.own_activity_record(alliance=alliance, branch=b, title="主题党日", held_on=DAY)
    with pytest.raises(ValidationError):
        services.own_activity_record(alliance=alliance, branch=c, title="非成员", held_on=DAY)
    work = {row["branch"]: row for row in selectors.branch_work(alliance, 2025)}
    assert (work[b]["total"], work[b]["following"], work[a]["hosted"]) == (2, 1, 1)


def test_resource_booked_once_a_day(tree):
    alliance = make_alliance(tree, members=1)
    room = services.resource_add(alliance=alliance, name="娃哈哈党员活动室", kind=ResourceKind.ROOM)
    plan = services.joint_activity_plan(alliance=alliance, year=2025, title="学习", kind="study", planned_on=DAY)
    services.resource_book(resource=room, activity=plan, booked_for=DAY)
    with pytest.raises(ValidationError):
        services.resource_book(resource=room, activity=plan, booked_for=DAY)


def test_instructor_one_to_one_and_visits(tree):
    firm = make_enterprise(tree)
    other = make_enterprise(tree)
    member = make_member(home_organization=tree["root"])
    assignment = services.instructor_assign(enterprise=firm, member=member, started_on=DAY)
    with pytest.raises(ValidationError):
        services.instructor_assign(enterprise=firm, instructor_name="王指导", started_on=DAY)
    with pytest.raises(ValidationError):
        services.instructor_assign(enterprise=other, member=member, started_on=DAY)
    with pytest.raises(ValidationError):
        services.instructor_assign(enterprise=tree["street"].unit, instructor_name="王指导", started_on=DAY)
    with refused_by(InstructorAssignment, "alliances_instructorassignment_member_or_name"):
        InstructorAssignment.objects.create(enterprise=other, started_on=DAY)
    with pytest.raises(ValidationError):
        services.instructor_visit_log(assignment=assignment, visited_on=DAY - timedelta(days=1), summary="走访")
    visit = services.instructor_visit_log(assignment=assignment, visited_on=DAY, summary="指导换届")
    assert visit.assignment.display_name == member.name


def test_enterprise_profile_branch_follows_mode(tree):
    firm = tree["branches"][0].unit
    profile = services.enterprise_profile_save(
        unit=firm, formation_mode=FormationMode.STANDALONE, branch=tree["branches"][0], staff=300, is_large_scale=True
    )
    assert profile.is_large_scale
    with pytest.raises(ValidationError):
        services.enterprise_profile_save(unit=firm, formation_mode=FormationMode.NONE)
    with refused_by(EnterpriseProfile, "alliances_enterpriseprofile_branch_matches_mode"):
        EnterpriseProfile.objects.filter(pk=profile.pk).update(branch=None)
    services.enterprise_profile_save(unit=firm, staff=320)
    assert EnterpriseProfile.objects.get(pk=profile.pk).staff == 320


def test_bulk_services_check_each_row_and_write_nothing_when_one_is_refused(tree):
    from alliances.models import InstructorVisit

    firms = [make_enterprise(tree) for _ in range(3)]
    with pytest.raises(ValidationError):
        services.enterprise_profiles_create_bulk(
            profiles=[EnterpriseProfile(unit=firms[0]), EnterpriseProfile(unit=firms[1], formation_mode="joint")]
        )
    assert not EnterpriseProfile.objects.exists()
    services.enterprise_profiles_create_bulk(profiles=[EnterpriseProfile(unit=f, is_large_scale=True) for f in firms])
    assert EnterpriseProfile.objects.large().count() == 3
    with pytest.raises(ValidationError):
        services.instructors_assign_bulk(
            assignments=[
                InstructorAssignment(enterprise=firms[0], instructor_name="甲", started_on=DAY),
                InstructorAssignment(enterprise=firms[0], instructor_name="乙", started_on=DAY),
            ]
        )
    assert not InstructorAssignment.objects.exists()
    made = services.instructors_assign_bulk(
        assignments=[
            InstructorAssignment(enterprise=f, instructor_name=f"指导员{i}", started_on=DAY)
            for i, f in enumerate(firms)
        ]
    )
    with pytest.raises(ValidationError):
        services.instructor_visits_log_bulk(visits=[InstructorVisit(assignment=made[0], visited_on=DAY, summary=" ")])
    services.instructor_visits_log_bulk(
        visits=[InstructorVisit(assignment=a, visited_on=DAY, summary="走访") for a in made]
    )
    assert InstructorVisit.objects.count() == 3 and InstructorAssignment.history.count() == 3
