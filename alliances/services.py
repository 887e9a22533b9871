"""Writes of the alliances app. Admin, portal pages, the importer and the demo data all come here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from organizations.models import Organization, Unit, UnitType

from .models import (
    Alliance,
    AllianceMembership,
    Building,
    EnterpriseProfile,
    FormationMode,
    HostTurn,
    InstructorAssignment,
    InstructorVisit,
    JointActivity,
    JointMeeting,
    OwnActivity,
    ResourceBooking,
    SharedResource,
)
from .rotation import Rotation, RotationError
from .selectors import rotation_of

PROFILE_FIELDS = (
    "building",
    "sector",
    "staff",
    "is_large_scale",
    "is_demonstration_site",
    "party_members",
    "formation_mode",
    "branch",
)
ALLIANCE_FIELDS = ("name", "park", "committee", "lead_branch", "formed_on")


def _apply(obj: Any, allowed: tuple[str, ...], changes: dict[str, Any], what: str) -> Any:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"{what}() got unexpected fields {sorted(unknown)}")
    changed = [f for f, v in changes.items() if getattr(obj, f) != v]
    if not changed:
        return obj
    for f in changed:
        setattr(obj, f, changes[f])
    obj.full_clean()
    obj.save(update_fields=changed)
    return obj


def _not_future(day: date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


# --- buildings and enterprises --------------------------------------------------------------------


@transaction.atomic
def building_create(*, code: str, name: str, park: Unit, address: str = "") -> Building:
    if park.unit_type != UnitType.PARK:
        raise ValidationError({"park": _("A building stands in an industrial park.")})
    building = Building(code=code, name=name, park=park, address=address)
    building.full_clean()
    building.save()
    return building


def _check_profile(profile: EnterpriseProfile) -> None:
    if profile.unit.unit_type != UnitType.ENTERPRISE:
        raise ValidationError({"unit": _("Only an enterprise has an enterprise profile.")})
    if profile.building_id and profile.unit.parent_id and profile.building.park_id not in _park_chain(profile.unit):
        raise ValidationError({"building": _("The building is not in the enterprise's park.")})


def _park_chain(unit: Unit) -> set[int]:
    """The parks an enterprise is located in (through the units it sits in), two levels at most."""
    ids = set()
    parent = unit.parent
    for _level in range(3):
        if parent is None:
            break
        if parent.unit_type == UnitType.PARK:
            ids.add(parent.pk)
        parent = parent.parent
    return ids


@transaction.atomic
def enterprise_profile_save(*, unit: Unit, **fields: Any) -> EnterpriseProfile:
    """Create or change what the park keeps about an enterprise."""
    profile = EnterpriseProfile.objects.filter(unit=unit).first()
    if profile is None:
        unknown = set(fields) - set(PROFILE_FIELDS)
        if unknown:
            raise TypeError(f"enterprise_profile_save() got unexpected fields {sorted(unknown)}")
        profile = EnterpriseProfile(unit=unit, **fields)
        _check_profile(profile)
        profile.full_clean()
        profile.save()
        return profile
    _check_profile(EnterpriseProfile(unit=unit, **{**{f: getattr(profile, f) for f in PROFILE_FIELDS}, **fields}))
    return _apply(profile, PROFILE_FIELDS, fields, "enterprise_profile_save")


# --- alliances and their members ------------------------------------------------------------------


def _check_alliance(alliance: Alliance) -> None:
    if alliance.park.unit_type != UnitType.PARK:
        raise ValidationError({"park": _("An alliance is formed in an industrial park.")})


@transaction.atomic
def alliance_create(
    *,
    code: str,
    name: str,
    park: Unit,
    committee: Organization,
    formed_on: date,
    lead_branch: Organization | None = None,
) -> Alliance:
    alliance = Alliance(code=code, name=name, park=park, committee=committee, formed_on=formed_on)
    _check_alliance(alliance)
    _not_future(formed_on, "formed_on")
    alliance.full_clean()
    alliance.save()
    if lead_branch is not None:
        alliance_set_lead(alliance=alliance, branch=lead_branch)
    return alliance


@transaction.atomic
def alliance_update(*, alliance: Alliance, **changes: Any) -> Alliance:
    if "lead_branch" in changes and changes["lead_branch"] is not None:
        branch = changes.pop("lead_branch")
        alliance = alliance_set_lead(alliance=alliance, branch=branch)
    _apply(alliance, ALLIANCE_FIELDS, changes, "alliance_update")
    _check_alliance(alliance)
    return alliance


@transaction.atomic
def alliance_set_lead(*, alliance: Alliance, branch: Organization | None) -> Alliance:
    """Name the lead branch (以强带弱); it must be a current member."""
    if branch is not None and not alliance.memberships.current().filter(branch=branch).exists():
        raise ValidationError({"lead_branch": _("The lead branch must be a current member of the alliance.")})
    return _apply(alliance, ("lead_branch",), {"lead_branch": branch}, "alliance_set_lead")


def _locked(alliance: Alliance) -> Alliance:
    """The alliance row locked: rotation changes of one alliance happen one at a time."""
    return Alliance.objects.select_for_update().get(pk=alliance.pk)


def _save_round(alliance: Alliance, rotation: Rotation[int]) -> None:
    if rotation.round != alliance.current_round:
        alliance.current_round = rotation.round
        alliance.save(update_fields=["current_round"])


@transaction.atomic
def membership_add(*, alliance: Alliance, branch: Organization, joined_on: date) -> AllianceMembership:
    """Add a member branch; it takes the last turn of the current round."""
    alliance = _locked(alliance)
    if branch.unit_id is None or branch.unit.unit_type != UnitType.ENTERPRISE:
        raise ValidationError({"branch": _("Only an enterprise branch joins an alliance.")})
    if not branch.path.startswith(alliance.committee.path):
        raise ValidationError({"branch": _("The branch is not under the alliance's committee.")})
    _not_future(joined_on, "joined_on")
    last = alliance.memberships.current().aggregate(m=Max("turn"))["m"]
    membership = AllianceMembership(alliance=alliance, branch=branch, joined_on=joined_on, turn=(last or 0) + 1)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_end(*, membership: AllianceMembership, left_on: date) -> AllianceMembership:
    """A branch leaves: the rotation moves on without it, and it is no longer the lead branch."""
    alliance = _locked(membership.alliance)
    membership = AllianceMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise ValidationError({"left_on": _("The branch has already left the alliance.")})
    _not_future(left_on, "left_on")
    rotation = rotation_of(alliance).leave(membership.branch_id)
    membership.left_on = left_on
    membership.full_clean()
    membership.save(update_fields=["left_on"])
    if alliance.lead_branch_id == membership.branch_id:
        alliance.lead_branch = None
        alliance.save(update_fields=["lead_branch"])
    _save_round(alliance, rotation)
    return membership


@transaction.atomic
def turns_swap(*, alliance: Alliance, first: Organization, second: Organization) -> Alliance:
    """Exchange the turns of two member branches that have not yet hosted in this round."""
    alliance = _locked(alliance)
    try:
        rotation_of(alliance).swap(first.pk, second.pk)
    except RotationError as e:
        messages = {
            "a turn already taken in this round cannot be swapped": _(
                "A branch that has already hosted in this round keeps its turn."
            ),
            "a turn is swapped with another member's": _("Choose two different branches."),
        }
        raise ValidationError(messages.get(str(e), _("Only current member branches swap turns."))) from e
    a = alliance.memberships.current().select_for_update().get(branch=first)
    b = alliance.memberships.current().select_for_update().get(branch=second)
    turn_a, turn_b = a.turn, b.turn
    # the turn numbers are unique among current members: park one out of the way first
    spare = (alliance.memberships.current().aggregate(m=Max("turn"))["m"] or 0) + 1
    a.turn = spare
    a.save(update_fields=["turn"])
    b.turn = turn_a
    b.save(update_fields=["turn"])
    a.turn = turn_b
    a.save(update_fields=["turn"])
    return alliance


def _take_turn(
    alliance: Alliance,
    host: Organization,
    day: date,
    *,
    meeting: JointMeeting | None = None,
    activity: JointActivity | None = None,
) -> HostTurn | None:
    """Count a hosting in the rotation; a second hosting in the same round, or by a non-member, counts
    for nothing."""
    rotation = rotation_of(alliance)
    if host.pk not in rotation.order or host.pk in rotation.hosted:
        return None
    turn = HostTurn(
        alliance=alliance, round=alliance.current_round, branch=host, hosted_on=day, meeting=meeting, activity=activity
    )
    turn.full_clean()
    turn.save()
    _save_round(alliance, rotation.host(host.pk))
    return turn


# --- joint meetings, the joint programme and own activities -------------------------------------------


@transaction.atomic
def joint_meeting_record(
    *,
    alliance: Alliance,
    held_on: date,
    host: Organization,
    topic: str,
    attendance: int = 0,
    minutes: str = "",
    decisions: str = "",
) -> JointMeeting:
    """Record a joint meeting (联席会议); its host takes a turn in the rotation."""
    alliance = _locked(alliance)
    if not alliance.memberships.filter(branch=host, joined_on__lte=held_on).exists():
        raise ValidationError({"host": _("The host must be a member branch of the alliance.")})
    _not_future(held_on, "held_on")
    meeting = JointMeeting(
        alliance=alliance,
        held_on=held_on,
        host=host,
        topic=topic.strip(),
        attendance=attendance,
        minutes=minutes.strip(),
        decisions=decisions.strip(),
    )
    meeting.full_clean()
    meeting.save()
    _take_turn(alliance, host, held_on, meeting=meeting)
    return meeting


@transaction.atomic
def joint_meeting_minute(*, meeting: JointMeeting, minutes: str, decisions: str = "") -> JointMeeting:
    """Write the minutes and decisions of a meeting."""
    if not minutes.strip():
        raise ValidationError({"minutes": _("Write the minutes.")})
    return _apply(
        meeting, ("minutes", "decisions"), {"minutes": minutes.strip(), "decisions": decisions.strip()}, "minute"
    )


@transaction.atomic
def joint_activity_plan(
    *,
    alliance: Alliance,
    year: int,
    title: str,
    kind: str,
    planned_on: date,
    host: Organization | None = None,
) -> JointActivity:
    """Put an activity in the alliance's yearly joint programme (公转)."""
    if planned_on.year != year:
        raise ValidationError({"planned_on": _("The planned date falls outside the programme year.")})
    if host is not None and not alliance.memberships.current().filter(branch=host).exists():
        raise ValidationError({"host": _("The host must be a member branch of the alliance.")})
    activity = JointActivity(
        alliance=alliance, year=year, title=title.strip(), kind=kind, planned_on=planned_on, host=host
    )
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def joint_activity_held(*, activity: JointActivity, held_on: date, host: Organization) -> JointActivity:
    """The activity took place, hosted by ``host``, who takes a turn in the rotation."""
    alliance = _locked(activity.alliance)
    if activity.held_on is not None:
        raise ValidationError({"held_on": _("The activity is already recorded as held.")})
    if not alliance.memberships.filter(branch=host, joined_on__lte=held_on).exists():
        raise ValidationError({"host": _("The host must be a member branch of the alliance.")})
    _not_future(held_on, "held_on")
    _apply(activity, ("held_on", "host"), {"held_on": held_on, "host": host}, "joint_activity_held")
    _take_turn(alliance, host, held_on, activity=activity)
    return activity


@transaction.atomic
def own_activity_record(
    *,
    alliance: Alliance,
    branch: Organization,
    title: str,
    held_on: date,
    participants: int = 0,
    joint_activity: JointActivity | None = None,
) -> OwnActivity:
    """Record a member branch's own activity (自转), against the joint activity it follows if any."""
    if not alliance.memberships.filter(branch=branch).exists():
        raise ValidationError({"branch": _("The branch is not a member of the alliance.")})
    if joint_activity is not None and joint_activity.alliance_id != alliance.pk:
        raise ValidationError({"joint_activity": _("The joint activity belongs to another alliance.")})
    _not_future(held_on, "held_on")
    own = OwnActivity(
        alliance=alliance,
        branch=branch,
        title=title.strip(),
        held_on=held_on,
        participants=participants,
        joint_activity=joint_activity,
    )
    own.full_clean()
    own.save()
    return own


# --- shared resources ----------------------------------------------------------------------------------


@transaction.atomic
def resource_add(
    *, alliance: Alliance, name: str, kind: str, provider: Organization | None = None, description: str = ""
) -> SharedResource:
    resource = SharedResource(
        alliance=alliance, name=name.strip(), kind=kind, provider=provider, description=description.strip()
    )
    resource.full_clean()
    resource.save()
    return resource


@transaction.atomic
def resource_book(*, resource: SharedResource, activity: JointActivity, booked_for: date) -> ResourceBooking:
    """Book a shared resource for a joint activity of the same alliance (one booking a day)."""
    if activity.alliance_id != resource.alliance_id:
        raise ValidationError({"activity": _("The activity belongs to another alliance.")})
    SharedResource.objects.select_for_update().get(pk=resource.pk)
    booking = ResourceBooking(resource=resource, activity=activity, booked_for=booked_for)
    booking.full_clean()
    booking.save()
    return booking


# --- instructors ---------------------------------------------------------------------------------------


@transaction.atomic
def instructor_assign(
    *, enterprise: Unit, started_on: date, member: Any = None, instructor_name: str = ""
) -> InstructorAssignment:
    """Send an instructor to an enterprise, one to one."""
    if enterprise.unit_type != UnitType.ENTERPRISE:
        raise ValidationError({"enterprise": _("Instructors are sent to enterprises.")})
    _not_future(started_on, "started_on")
    assignment = InstructorAssignment(
        enterprise=enterprise, member=member, instructor_name=instructor_name.strip(), started_on=started_on
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def instructor_assignment_end(*, assignment: InstructorAssignment, ended_on: date) -> InstructorAssignment:
    if assignment.ended_on is not None:
        raise ValidationError({"ended_on": _("The assignment has already ended.")})
    _not_future(ended_on, "ended_on")
    return _apply(assignment, ("ended_on",), {"ended_on": ended_on}, "instructor_assignment_end")


@transaction.atomic
def instructor_visit_log(*, assignment: InstructorAssignment, visited_on: date, summary: str) -> InstructorVisit:
    """Log an instructor's visit to the enterprise."""
    if visited_on < assignment.started_on or (assignment.ended_on and visited_on > assignment.ended_on):
        raise ValidationError({"visited_on": _("The visit falls outside the instructor's assignment.")})
    _not_future(visited_on, "visited_on")
    visit = InstructorVisit(assignment=assignment, visited_on=visited_on, summary=summary.strip())
    visit.full_clean()
    visit.save()
    return visit


# --- in bulk (seed data, imports) ----------------------------------------------------------------------
#
# A row at a time, each service above asks the database several questions (do the rows it points to
# exist, is it unique, does it meet each check constraint). In bulk the same rules are checked with one
# query per rule for the whole batch; the database's named constraints stay the last word, and a batch
# they refuse is refused whole (the caller's transaction rolls back).


def _clean(obj: Any, relations: tuple[str, ...]) -> None:
    """Field and model validation without the per-row queries (relations are passed as loaded rows)."""
    obj.clean_fields(exclude=list(relations))
    obj.clean()


@transaction.atomic
def enterprise_profiles_create_bulk(*, profiles: list[EnterpriseProfile]) -> list[EnterpriseProfile]:
    """Create many enterprise profiles at once, each checked as :func:`enterprise_profile_save` checks one."""
    taken = set(
        EnterpriseProfile.objects.filter(unit__in=[p.unit for p in profiles]).values_list("unit__code", flat=True)
    )
    for profile in profiles:
        if profile.unit.code in taken:
            raise ValidationError({"unit": _("The enterprise already has a profile.")})
        if profile.unit.unit_type != UnitType.ENTERPRISE:
            raise ValidationError({"unit": _("Only an enterprise has an enterprise profile.")})
        if (profile.formation_mode == FormationMode.NONE) != (profile.branch is None):
            raise ValidationError(
                {"branch": _("An enterprise organized in a branch names that organization; one without names none.")}
            )
        _clean(profile, ("unit", "building", "branch"))
    return bulk_create_with_history(profiles, EnterpriseProfile)


@transaction.atomic
def instructors_assign_bulk(*, assignments: list[InstructorAssignment]) -> list[InstructorAssignment]:
    """Send many instructors at once, each checked as :func:`instructor_assign` checks one."""
    current = InstructorAssignment.objects.current()
    busy_firms = set(current.values_list("enterprise_id", flat=True))
    busy_people = set(current.exclude(member=None).values_list("member_id", flat=True))
    for a in assignments:
        if a.enterprise.unit_type != UnitType.ENTERPRISE:
            raise ValidationError({"enterprise": _("Instructors are sent to enterprises.")})
        if a.enterprise_id in busy_firms:
            raise ValidationError({"enterprise": _("The enterprise already has an instructor.")})
        if a.member_id is not None and a.member_id in busy_people:
            raise ValidationError({"member": _("This instructor is already assigned to an enterprise.")})
        if (a.member_id is None) == (not a.instructor_name):
            raise ValidationError(_("Name the instructor: a party member, or a name for someone else."))
        _not_future(a.started_on, "started_on")
        _clean(a, ("enterprise", "member"))
        busy_firms.add(a.enterprise_id)
        if a.member_id is not None:
            busy_people.add(a.member_id)
    return bulk_create_with_history(assignments, InstructorAssignment)


@transaction.atomic
def instructor_visits_log_bulk(*, visits: list[InstructorVisit]) -> list[InstructorVisit]:
    """Log many visits at once, each checked as :func:`instructor_visit_log` checks one."""
    for visit in visits:
        assignment = visit.assignment
        if visit.visited_on < assignment.started_on or (assignment.ended_on and visit.visited_on > assignment.ended_on):
            raise ValidationError({"visited_on": _("The visit falls outside the instructor's assignment.")})
        _not_future(visit.visited_on, "visited_on")
        visit.summary = visit.summary.strip()
        if not visit.summary:
            raise ValidationError({"summary": _("Say what the visit did.")})
        _clean(visit, ("assignment",))
    return bulk_create_with_history(visits, InstructorVisit)


@transaction.atomic
def building_update(*, building: Building, **changes: Any) -> Building:
    return _apply(building, ("name", "address"), changes, "building_update")
