"""Reads of the alliances app, every one through the scoping rule (``visible_to``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from organizations.models import Organization

from .models import (
    VISIT_OVERDUE_DAYS,
    Alliance,
    AllianceMembership,
    EnterpriseProfile,
    FormationMode,
    HostTurn,
    InstructorAssignment,
    InstructorVisit,
    JointActivity,
    JointMeeting,
    OwnActivity,
    SharedResource,
)
from .rotation import Rotation


def alliances_for(user: Any) -> QuerySet[Alliance]:
    """The alliances ``user`` reaches, with their park, committee, lead branch and member count."""
    return (
        Alliance.objects.visible_to(user)
        .select_related("park", "committee", "lead_branch")
        .annotate(member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
        .order_by("code")
    )


def current_members(alliance: Alliance) -> QuerySet[AllianceMembership]:
    return alliance.memberships.current().select_related("branch").order_by("turn")


def past_members(alliance: Alliance) -> QuerySet[AllianceMembership]:
    return alliance.memberships.filter(left_on__isnull=False).select_related("branch").order_by("-left_on")


def rotation_of(alliance: Alliance) -> Rotation[int]:
    """The hosting rotation as a pure value over branch ids (two queries)."""
    order = list(alliance.memberships.current().order_by("turn").values_list("branch_id", flat=True))
    hosted = HostTurn.objects.filter(alliance=alliance, round=alliance.current_round).values_list(
        "branch_id", flat=True
    )
    return Rotation.of(order, hosted, alliance.current_round)


@dataclass(frozen=True)
class Turn:
    round: int
    branch: Organization


def upcoming_hosts(alliance: Alliance, n: int = 5) -> list[Turn]:
    """The next ``n`` proposed hosts in the fair rotation (three queries)."""
    upcoming = rotation_of(alliance).upcoming(n)
    branches = Organization.objects.in_bulk([pk for _r, pk in upcoming])
    return [Turn(round=r, branch=branches[pk]) for r, pk in upcoming]


def next_hosts_for(alliances: list[Alliance]) -> dict[int, Organization | None]:
    """The proposed next host of each alliance, for a list of alliances in three queries."""
    ids = [a.pk for a in alliances]
    order: dict[int, list[int]] = {pk: [] for pk in ids}
    for alliance_id, branch_id in (
        AllianceMembership.objects.filter(alliance_id__in=ids, left_on__isnull=True)
        .order_by("alliance_id", "turn")
        .values_list("alliance_id", "branch_id")
    ):
        order[alliance_id].append(branch_id)
    rounds = {a.pk: a.current_round for a in alliances}
    hosted: dict[int, set[int]] = {pk: set() for pk in ids}
    for alliance_id, round_, branch_id in HostTurn.objects.filter(alliance_id__in=ids).values_list(
        "alliance_id", "round", "branch_id"
    ):
        if round_ == rounds[alliance_id]:
            hosted[alliance_id].add(branch_id)
    nexts = {pk: Rotation.of(order[pk], hosted[pk], rounds[pk]).next_host() for pk in ids}
    branches = Organization.objects.in_bulk([b for b in nexts.values() if b is not None])
    return {pk: branches.get(b) if b is not None else None for pk, b in nexts.items()}


def host_history(alliance: Alliance) -> QuerySet[HostTurn]:
    return alliance.turns.select_related("branch", "meeting", "activity").order_by("-round", "-hosted_on", "-pk")


def meetings_for(user: Any, *, alliance: Alliance | None = None, unminuted: bool = False) -> QuerySet[JointMeeting]:
    qs = JointMeeting.objects.visible_to(user).select_related("alliance", "host")
    if alliance is not None:
        qs = qs.filter(alliance=alliance)
    if unminuted:
        qs = qs.unminuted()
    return qs.order_by("-held_on", "-pk")


def joint_programme(alliance: Alliance, year: int) -> QuerySet[JointActivity]:
    """The joint activities of a year, each with the own activities that follow it."""
    return (
        alliance.joint_activities.filter(year=year)
        .select_related("host")
        .prefetch_related("own_activities__branch")
        .order_by("planned_on", "pk")
    )


def own_activities_outside_plan(alliance: Alliance, year: int) -> QuerySet[OwnActivity]:
    return alliance.own_activities.filter(joint_activity__isnull=True, held_on__year=year).select_related("branch")


def branch_work(alliance: Alliance, year: int) -> list[dict[str, Any]]:
    """Per current member branch: own activities in the year, how many follow the joint programme."""
    counts = {
        row["branch_id"]: row
        for row in alliance.own_activities.filter(held_on__year=year)
        .values("branch_id")
        .annotate(total=Count("pk"), following=Count("pk", filter=Q(joint_activity__isnull=False)))
    }
    hosted = dict(
        alliance.turns.filter(hosted_on__year=year)
        .values("branch_id")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "n")
    )
    return [
        {
            "branch": m.branch,
            "total": counts.get(m.branch_id, {}).get("total", 0),
            "following": counts.get(m.branch_id, {}).get("following", 0),
            "hosted": hosted.get(m.branch_id, 0),
        }
        for m in current_members(alliance)
    ]


def calendar_for(user: Any, *, start: date, end: date) -> list[dict[str, Any]]:
    """Joint activities and meetings of the user's alliances between ``start`` and ``end``, by date."""
    activities = (
        JointActivity.objects.visible_to(user)
        .filter(Q(planned_on__range=(start, end)) | Q(held_on__range=(start, end)))
        .select_related("alliance", "host")
    )
    meetings = (
        JointMeeting.objects.visible_to(user).filter(held_on__range=(start, end)).select_related("alliance", "host")
    )
    entries = [
        {
            "date": a.held_on or a.planned_on,
            "kind": "activity",
            "title": a.title,
            "alliance": a.alliance,
            "host": a.host,
        }
        for a in activities
    ] + [
        {"date": m.held_on, "kind": "meeting", "title": m.topic, "alliance": m.alliance, "host": m.host}
        for m in meetings
    ]
    return sorted(entries, key=lambda e: (e["date"], e["alliance"].code, e["title"]))


def resources_of(alliance: Alliance) -> QuerySet[SharedResource]:
    return alliance.resources.select_related("provider").annotate(booking_count=Count("bookings"))


def enterprises_for(
    user: Any,
    *,
    large: bool | None = None,
    demonstration: bool | None = None,
    without_organization: bool = False,
    sector: str = "",
) -> QuerySet[EnterpriseProfile]:
    """Enterprise profiles ``user`` reaches; ``without_organization``: members but no organization."""
    qs = EnterpriseProfile.objects.visible_to(user).select_related("unit", "unit__parent", "branch", "building")
    if large is not None:
        qs = qs.filter(is_large_scale=large)
    if demonstration is not None:
        qs = qs.filter(is_demonstration_site=demonstration)
    if without_organization:
        qs = qs.filter(party_members__gt=0, formation_mode=FormationMode.NONE)
    if sector:
        qs = qs.filter(sector=sector)
    return qs.order_by("unit__code")


def instructor_coverage(
    user: Any, *, today: date, overdue_days: int = VISIT_OVERDUE_DAYS
) -> QuerySet[EnterpriseProfile]:
    """Large-scale enterprises the user reaches, each with its current instructor assignment and last visit.

    ``overdue``: an instructor but no visit in ``overdue_days`` (counted from the start when never
    visited); ``has_instructor``: a current assignment.
    """
    current = InstructorAssignment.objects.filter(enterprise_id=OuterRef("unit_id"), ended_on__isnull=True)
    last_visit = (
        InstructorVisit.objects.filter(assignment__enterprise_id=OuterRef("unit_id"), assignment__ended_on__isnull=True)
        .order_by()
        .values("assignment__enterprise_id")
        .annotate(last=Max("visited_on"))
        .values("last")
    )
    return (
        enterprises_for(user, large=True)
        .annotate(
            assignment_id=Subquery(current.values("pk")[:1]),
            assignment_started_on=Subquery(current.values("started_on")[:1]),
            instructor_member=Subquery(current.values("member__name")[:1]),
            instructor_named=Subquery(current.values("instructor_name")[:1]),
            last_visit=Subquery(last_visit),
        )
        .order_by("unit__code")
    )


def coverage_rows(profiles: Any, *, today: date, overdue_days: int = VISIT_OVERDUE_DAYS) -> list[dict[str, Any]]:
    """The rows of :func:`instructor_coverage` with the instructor's name and whether visits are overdue."""
    since = today - timedelta(days=overdue_days)
    rows = []
    for p in profiles:
        has = p.assignment_id is not None
        reference = p.last_visit or p.assignment_started_on
        rows.append(
            {
                "profile": p,
                "instructor": (p.instructor_member or p.instructor_named) if has else "",
                "has_instructor": has,
                "last_visit": p.last_visit,
                "overdue": has and reference is not None and reference < since,
            }
        )
    return rows


def assignments_for(user: Any) -> QuerySet[InstructorAssignment]:
    return InstructorAssignment.objects.visible_to(user).select_related("enterprise", "member")
