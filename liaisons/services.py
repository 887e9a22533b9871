"""Writes of the liaisons app. The admin, the portal pages, the pairing import and the demo seed all come
here; every move of a problem goes through :func:`demand_move`, where the state machine lives.

``by`` is the acting user. None is the system (the import command, the demo seed): it may make any
legal move. A user must be on the right side for a move: the paired agency accepts, starts and
resolves; the compound (its secretary, or the community, street or district staff above it)
confirms or reopens, and raises problems and records deliberations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations import selectors as org_selectors
from organizations.models import Role, Unit, UnitType
from yiling.scoping import assignments_of
from yiling.templatetags.portal import cn_date

from .models import (
    ATTACHMENT_CHECK,
    Contribution,
    ContributionKind,
    Deliberation,
    Demand,
    DemandStep,
    Liaison,
    State,
)

AGENCY, COMPOUND = "agency", "compound"
LIAISON_FIELDS = ("agency_contact", "compound_contact", "notes")


@dataclass(frozen=True)
class Move:
    """A legal move: the states it starts from, which side makes it, and whether a note is required."""

    sources: tuple[str, ...]
    side: str
    note_required: bool
    #: What the move does, for buttons and messages ("accept", "confirm").
    verb: Any


#: The state machine: every legal move, by the state it leads to.
MOVES: dict[str, Move] = {
    State.ACCEPTED: Move((State.RAISED, State.REOPENED), AGENCY, False, gettext_lazy("Accept")),
    State.IN_PROGRESS: Move((State.ACCEPTED, State.REOPENED), AGENCY, False, gettext_lazy("Start work")),
    State.RESOLVED: Move((State.IN_PROGRESS,), AGENCY, True, gettext_lazy("Mark resolved")),
    State.CONFIRMED: Move((State.RESOLVED,), COMPOUND, False, gettext_lazy("Confirm resolved")),
    State.REOPENED: Move((State.RESOLVED,), COMPOUND, True, gettext_lazy("Reopen")),
}


# --- who is on which side ----------------------------------------------------------------------------


def _superuser(user: Any) -> bool:
    return bool(user is not None and user.is_active and getattr(user, "is_superuser", False))


def agency_ids_of(user: Any) -> set[int]:
    """The agencies ``user`` is a contact of (no query beyond the cached assignments)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return {a.unit_id for a in assignments_of(user) if a.role == Role.AGENCY_CONTACT and a.unit_id}


def is_agency_side(user: Any, compound: Unit, day: date | None = None) -> bool:
    """Whether ``user`` is a contact of an agency paired with ``compound`` on ``day`` (today)."""
    agencies = agency_ids_of(user)
    if not agencies:
        return False
    day = day or timezone.localdate()
    return Liaison.objects.active_on(day).filter(compound=compound, agency_id__in=agencies).exists()


def is_compound_side(user: Any, compound: Unit) -> bool:
    """Whether ``user`` acts for ``compound``: an organization role whose subtree covers it."""
    if user is None:
        return False
    reach = org_selectors.acting_reach(user)
    return reach is not None and Unit.objects.filter(reach).filter(pk=compound.pk).exists()


def moves_for(user: Any, demand: Demand) -> list[str]:
    """The states ``user`` may move ``demand`` to now (for the buttons on the problem page)."""
    possible = [to for to, move in MOVES.items() if demand.state in move.sources]
    if not possible:
        return []
    if _superuser(user):
        return possible
    sides = set()
    if is_agency_side(user, demand.compound):
        sides.add(AGENCY)
    elif is_compound_side(user, demand.compound):
        sides.add(COMPOUND)
    return [to for to in possible if MOVES[to].side in sides]


def _check_side(user: Any, demand: Demand, move: Move, to_state: str) -> None:
    if user is None or _superuser(user):
        return
    agency = is_agency_side(user, demand.compound)
    if move.side == AGENCY:
        if not agency:
            raise ValidationError(
                _("Only the agency paired with %(compound)s can do this: %(verb)s.")
                % {"compound": demand.compound.name, "verb": move.verb}
            )
        return
    if agency:
        # Also when the contact holds another role: an agency never confirms its own work.
        message = (
            _("The agency cannot confirm its own work: the compound confirms that the problem is solved.")
            if to_state == State.CONFIRMED
            else _("The agency cannot reopen the problem: the compound reopens it when it is not solved.")
        )
        raise ValidationError(message)
    if not is_compound_side(user, demand.compound):
        raise ValidationError(
            _("Only %(compound)s's secretary or the staff above it can do this: %(verb)s.")
            % {"compound": demand.compound.name, "verb": move.verb}
        )


def _check_attachment(attachment: UploadedFile | None) -> None:
    if attachment is None:
        return
    try:
        ATTACHMENT_CHECK(attachment)
    except ValidationError as exc:
        raise ValidationError({"attachment": exc.messages}) from exc


def _name(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_username()


# --- pairings --------------------------------------------------------------------------------------


def _overlapping(liaison: Liaison) -> Any:
    """Other pairings of the same agency or compound whose dates meet ``liaison``'s."""
    qs = Liaison.objects.exclude(pk=liaison.pk)
    if liaison.ended_on is not None:
        qs = qs.filter(started_on__lt=liaison.ended_on)
    qs = qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=liaison.started_on))
    return qs.filter(Q(agency_id=liaison.agency_id) | Q(compound_id=liaison.compound_id)).select_related(
        "agency", "compound"
    )


def _check_overlap(liaison: Liaison) -> None:
    clash = _overlapping(liaison).first()
    if clash is None:
        return
    field = "agency" if clash.agency_id == liaison.agency_id else "compound"
    names = {"pairing": clash, "start": cn_date(clash.started_on)}
    if clash.ended_on is None:
        message = _(
            "%(pairing)s lasts from %(start)s and has not ended: pairings of one agency or one compound cannot overlap."
        )
    else:
        names["end"] = cn_date(clash.ended_on)
        message = _(
            "%(pairing)s lasted from %(start)s until %(end)s: pairings of one agency or one compound cannot overlap."
        )
    raise ValidationError({field: message % names})


def _save_liaison(liaison: Liaison, update_fields: list[str] | None = None) -> None:
    """Save, turning the database's refusal of an overlap (a race the check did not see) into a message."""
    try:
        with transaction.atomic():
            liaison.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise ValidationError(
            _("Pairings of one agency or one compound cannot overlap: another pairing was saved meanwhile.")
        ) from exc


@transaction.atomic
def liaison_start(
    *,
    agency: Unit,
    compound: Unit,
    started_on: date,
    ended_on: date | None = None,
    agency_contact: str = "",
    compound_contact: str = "",
    notes: str = "",
) -> Liaison:
    """Pair an agency with a compound from ``started_on`` (until ``ended_on`` when already known)."""
    if agency.unit_type != UnitType.AGENCY:
        raise ValidationError({"agency": _("%(unit)s is not a district agency.") % {"unit": agency}})
    if compound.unit_type != UnitType.COMPOUND:
        raise ValidationError({"compound": _("%(unit)s is not a compound.") % {"unit": compound}})
    # Serialize pairings of this agency and compound: two staff pairing at once see each other.
    list(Unit.objects.select_for_update().filter(pk__in=[agency.pk, compound.pk]).order_by("pk"))
    liaison = Liaison(
        agency=agency,
        compound=compound,
        started_on=started_on,
        ended_on=ended_on,
        agency_contact=agency_contact.strip(),
        compound_contact=compound_contact.strip(),
        notes=notes.strip(),
    )
    _check_overlap(liaison)
    liaison.full_clean()
    _save_liaison(liaison)
    return liaison


@transaction.atomic
def liaisons_start_many(*, pairs: list[tuple[Unit, Unit, str]], started_on: date) -> list[Liaison]:
    """Pair many agencies with compounds from ``started_on`` at once (the demo's 67; a first list):
    ``pairs`` are (agency, compound, agency contact). The same rules as :func:`liaison_start`, checked
    for the whole list in one query, then one insert (and one for the history)."""
    from simple_history.utils import bulk_create_with_history

    agencies = [a for a, _c, _n in pairs]
    compounds = [c for _a, c, _n in pairs]
    for field, units, unit_type in (("agency", agencies, UnitType.AGENCY), ("compound", compounds, UnitType.COMPOUND)):
        for unit in units:
            if unit.unit_type != unit_type:
                raise ValidationError(
                    {field: _("%(unit)s is not a %(type)s.") % {"unit": unit, "type": unit_type.label}}
                )
        if len({u.pk for u in units}) != len(units):
            raise ValidationError({field: _("Pairings of one agency or one compound cannot overlap.")})
    clash = (
        Liaison.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=started_on))
        .filter(Q(agency__in=agencies) | Q(compound__in=compounds))
        .select_related("agency", "compound")
        .first()
    )
    if clash is not None:
        _check_overlap(Liaison(agency=clash.agency, compound=clash.compound, started_on=started_on))
    liaisons = [
        Liaison(agency=agency, compound=compound, started_on=started_on, agency_contact=contact.strip())
        for agency, compound, contact in pairs
    ]
    for liaison in liaisons:
        liaison.full_clean(validate_unique=False, validate_constraints=False)
    return bulk_create_with_history(liaisons, Liaison)


@transaction.atomic
def liaison_update(*, liaison: Liaison, **changes: Any) -> Liaison:
    """Change the contact persons or the notes of a pairing (not its parties or dates)."""
    unknown = set(changes) - set(LIAISON_FIELDS)
    if unknown:
        raise TypeError(f"liaison_update() got unexpected fields {sorted(unknown)}")
    changed = [f for f, v in changes.items() if getattr(liaison, f) != v.strip()]
    if not changed:
        return liaison
    for f in changed:
        setattr(liaison, f, changes[f].strip())
    liaison.full_clean()
    liaison.save(update_fields=changed)
    return liaison


@transaction.atomic
def liaison_end(*, liaison: Liaison, ended_on: date) -> Liaison:
    """End a pairing: from ``ended_on`` the agency no longer reaches the compound."""
    locked = Liaison.objects.select_for_update().select_related("agency", "compound").get(pk=liaison.pk)
    if locked.ended_on is not None:
        raise ValidationError(_("This pairing has already ended."))
    if ended_on <= locked.started_on:
        raise ValidationError({"ended_on": _("A pairing must end after it starts.")})
    locked.ended_on = ended_on
    locked.full_clean(validate_constraints=False)
    _check_overlap(locked)
    _save_liaison(locked, update_fields=["ended_on"])
    return locked


# --- problems ----------------------------------------------------------------------------------------


@transaction.atomic
def demand_raise(
    *,
    compound: Unit,
    category: str,
    title: str,
    description: str = "",
    priority: str = "normal",
    due_on: date | None = None,
    by: Any = None,
    raised_on: date | None = None,
    at: datetime | None = None,
) -> Demand:
    """A compound raises a problem for the agency it is paired with; the first timeline entry is written."""
    if compound.unit_type != UnitType.COMPOUND:
        raise ValidationError({"compound": _("%(unit)s is not a compound.") % {"unit": compound}})
    raised_on = raised_on or timezone.localdate()
    if raised_on > timezone.localdate():
        raise ValidationError({"raised_on": _("The date cannot be in the future.")})
    if by is not None and not _superuser(by) and not is_compound_side(by, compound):
        raise ValidationError(
            _("Only %(compound)s's secretary or the staff above it can raise its problems.")
            % {"compound": compound.name}
        )
    liaison = Liaison.objects.active_on(raised_on).filter(compound=compound).first()
    if liaison is None:
        raise ValidationError(
            _("%(compound)s is not paired with an agency: ask the district to pair it first.")
            % {"compound": compound.name}
        )
    demand = Demand(
        compound=compound,
        liaison=liaison,
        category=category,
        title=title.strip(),
        description=description.strip(),
        priority=priority,
        due_on=due_on,
        raised_on=raised_on,
        raised_by=by,
    )
    demand.full_clean()
    demand.save()
    step = DemandStep(
        demand=demand,
        from_state="",
        to_state=State.RAISED,
        at=at or timezone.now(),
        by=by,
        by_name=_name(by),
        note=demand.description[:2000],
    )
    step.full_clean()
    step.save()
    return demand


@transaction.atomic
def demand_move(
    *,
    demand: Demand,
    to_state: str,
    by: Any = None,
    note: str = "",
    attachment: UploadedFile | None = None,
    deliberation: Deliberation | None = None,
    at: datetime | None = None,
) -> DemandStep:
    """Move a problem to ``to_state``: the one place where its state changes. Refused with a message
    for a move the state machine does not have, a user on the wrong side (an agency confirming its
    own work), a missing note where one is needed, or an attachment that is not a JPG, PNG or PDF."""
    locked = Demand.objects.select_for_update().select_related("compound").get(pk=demand.pk)
    if to_state not in MOVES:
        if to_state in State.values:
            raise ValidationError(
                {"to_state": _("A problem cannot be moved back to %(state)s.") % {"state": State(to_state).label}}
            )
        raise ValidationError({"to_state": _("Unknown state.")})
    move = MOVES[to_state]
    if locked.state not in move.sources:
        raise ValidationError(
            {
                "to_state": _("A problem that is %(state)s cannot be moved to %(to)s; it can be from: %(sources)s.")
                % {
                    "state": State(locked.state).label,
                    "to": State(to_state).label,
                    "sources": "、".join(str(State(s).label) for s in move.sources),
                }
            }
        )
    _check_side(by, locked, move, to_state)
    note = note.strip()
    if move.note_required and not note:
        raise ValidationError({"note": _("Say in a note what was done or what is still wrong.")})
    _check_attachment(attachment)
    if deliberation is not None and deliberation.compound_id != locked.compound_id:
        raise ValidationError({"deliberation": _("Choose a deliberation of this compound.")})
    when = at or timezone.now()
    today = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    step = DemandStep(
        demand=locked,
        from_state=locked.state,
        to_state=to_state,
        at=when,
        by=by,
        by_name=_name(by),
        note=note,
        deliberation=deliberation,
    )
    if attachment is not None:
        step.attachment = attachment
    step.full_clean()
    locked.state = to_state
    if to_state == State.RESOLVED:
        locked.resolved_on = max(today, locked.raised_on)
    elif to_state == State.REOPENED:
        locked.resolved_on = None
    locked._history_user = by  # type: ignore[attr-defined]
    locked.full_clean()
    locked.save(update_fields=["state", "resolved_on"])
    step.save()
    demand.state, demand.resolved_on = locked.state, locked.resolved_on
    return step


# --- what the agency brought, and the compound's meetings ---------------------------------------------


@transaction.atomic
def contribution_record(
    *,
    liaison: Liaison,
    kind: str,
    given_on: date,
    description: str,
    amount: Decimal | None = None,
    hours: Decimal | None = None,
    demand: Demand | None = None,
    by: Any = None,
) -> Contribution:
    """Record what the agency brought to the compound (money, goods with their value, volunteer hours)."""
    if by is not None and not _superuser(by):
        if liaison.agency_id not in agency_ids_of(by) and not org_selectors.is_district_wide(by):
            raise ValidationError(_("Only the paired agency records what it brought."))
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The date cannot be in the future.")})
    if given_on < liaison.started_on or (liaison.ended_on is not None and given_on >= liaison.ended_on):
        raise ValidationError({"given_on": _("The date is outside the pairing's time.")})
    if demand is not None and demand.compound_id != liaison.compound_id:
        raise ValidationError({"demand": _("Choose a problem of this compound.")})
    if kind == ContributionKind.VOLUNTEER_HOURS and amount is not None:
        raise ValidationError({"amount": _("Volunteer hours have no amount in yuan: give the hours.")})
    if kind != ContributionKind.VOLUNTEER_HOURS and hours is not None:
        raise ValidationError({"hours": _("Hours are for volunteer service only.")})
    contribution = Contribution(
        liaison=liaison,
        kind=kind,
        given_on=given_on,
        description=description.strip(),
        amount=amount,
        hours=hours,
        demand=demand,
        recorded_by=by,
    )
    contribution.full_clean()
    contribution.save()
    return contribution


@transaction.atomic
def deliberation_record(
    *,
    compound: Unit,
    held_on: date,
    topic: str,
    attendees: str,
    attendance: int,
    decisions: str,
    demands: Iterable[Demand] = (),
    by: Any = None,
) -> Deliberation:
    """Record a compound's regular meeting with the problems it discussed."""
    if compound.unit_type != UnitType.COMPOUND:
        raise ValidationError({"compound": _("%(unit)s is not a compound.") % {"unit": compound}})
    if by is not None and not _superuser(by) and not is_compound_side(by, compound):
        raise ValidationError(
            _("Only %(compound)s's secretary or the staff above it can record its deliberations.")
            % {"compound": compound.name}
        )
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("The date cannot be in the future.")})
    demands = list(demands)
    if any(d.compound_id != compound.pk for d in demands):
        raise ValidationError({"demands": _("Choose problems of this compound.")})
    deliberation = Deliberation(
        compound=compound,
        held_on=held_on,
        topic=topic.strip(),
        attendees=attendees.strip(),
        attendance=attendance,
        decisions=decisions.strip(),
        recorded_by=by,
    )
    deliberation.full_clean()
    deliberation.save()
    if demands:
        deliberation.demands.set(demands)
    return deliberation
