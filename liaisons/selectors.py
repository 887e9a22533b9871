"""Reads of the liaisons app. Every list goes through the scoping rule and reads a fixed number of
queries, whatever the number of pairings, problems or steps."""

from __future__ import annotations

from statistics import median
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from organizations.models import Organization, Unit, UnitType
from organizations.selectors import is_district_wide

from .models import Contribution, Deliberation, Demand, DemandStep, Liaison, LiaisonQuerySet, State

if TYPE_CHECKING:
    from yiling.scoping import UserLike


# --- within a subtree (indicators, staff figures) ------------------------------------------------------


def compounds_within(scope: Organization | None) -> QuerySet[Unit]:
    qs = Unit.objects.filter(unit_type=UnitType.COMPOUND)
    return qs if scope is None else qs.filter(organization__path__startswith=scope.path)


def liaisons_within(scope: Organization | None) -> LiaisonQuerySet:
    qs = Liaison.objects.all()
    return qs if scope is None else qs.filter(compound__organization__path__startswith=scope.path)


def demands_within(scope: Organization | None) -> QuerySet[Demand]:
    qs = Demand.objects.all()
    return qs if scope is None else qs.filter(compound__organization__path__startswith=scope.path)


def unpaired_compounds(scope: Organization | None = None) -> QuerySet[Unit]:
    """The compounds of ``scope``'s subtree with no pairing lasting today."""
    today = timezone.localdate()
    paired = Liaison.objects.active_on(today).filter(compound=OuterRef("pk"))
    return compounds_within(scope).filter(~Exists(paired))


def days_to_resolve(qs: QuerySet[Demand]) -> list[int]:
    return [(resolved - raised).days for raised, resolved in qs.done().values_list("raised_on", "resolved_on")]


def median_days(qs: QuerySet[Demand]) -> float | None:
    days = days_to_resolve(qs)
    return float(median(days)) if days else None


# --- the portal ----------------------------------------------------------------------------------------


def liaison_list(*, user: UserLike, active_only: bool = True) -> LiaisonQuerySet:
    """The pairings the user sees (lasting today unless ``active_only`` is False), with the counts of
    each pairing's compound's open and overdue problems, in one query."""
    today = timezone.localdate()
    qs = Liaison.objects.visible_to(user)
    if active_only:
        qs = qs.active_on(today)
    return (
        qs.select_related("agency", "compound", "compound__parent")
        .annotate(
            open_count=Count("compound__demands", filter=Q(compound__demands__state__in=_open()), distinct=True),
            overdue_count=Count(
                "compound__demands",
                filter=Q(compound__demands__state__in=_open(), compound__demands__due_on__lt=today),
                distinct=True,
            ),
        )
        .order_by("compound__code", "-started_on")
    )


def _open() -> list[str]:
    from .models import OPEN_STATES

    return list(OPEN_STATES)


def demand_list(
    *, user: UserLike, state: str = "", compound: Unit | None = None, open_only: bool = False
) -> QuerySet[Demand]:
    """The problems the user sees, most urgent first: overdue, then by due date."""
    qs = Demand.objects.visible_to(user).select_related("compound", "liaison__agency")
    if compound is not None:
        qs = qs.filter(compound=compound)
    if state:
        qs = qs.filter(state=state)
    elif open_only:
        qs = qs.open()
    return qs.order_by(F("due_on").asc(nulls_last=True), "-raised_on", "-pk")


def demand_get(*, user: UserLike, pk: int) -> Demand:
    """One problem the user sees, with its timeline, or 404."""
    steps = DemandStep.objects.select_related("by", "deliberation").order_by("at", "pk")
    qs = (
        Demand.objects.visible_to(user)
        .select_related("compound", "compound__parent", "liaison__agency", "raised_by")
        .prefetch_related(
            Prefetch("steps", queryset=steps),
            Prefetch("contributions", queryset=Contribution.objects.order_by("-given_on", "-pk")),
            Prefetch("deliberations", queryset=Deliberation.objects.order_by("-held_on", "-pk")),
        )
    )
    return get_object_or_404(qs, pk=pk)


def step_with_attachment(*, user: UserLike, pk: int) -> DemandStep:
    """A timeline entry with an attachment, of a problem the user sees, or 404."""
    qs = DemandStep.objects.visible_to(user).exclude(attachment="")
    return get_object_or_404(qs, pk=pk)


def compound_get(*, user: UserLike, code: str) -> Unit:
    """A compound the user sees (a paired compound for an agency contact), or 404."""
    qs = Unit.objects.visible_to(user).filter(unit_type=UnitType.COMPOUND).select_related("parent", "organization")
    return get_object_or_404(qs, code=code)


def current_liaison(compound: Unit) -> Liaison | None:
    return Liaison.objects.active_on(timezone.localdate()).filter(compound=compound).select_related("agency").first()


def liaison_get(*, user: UserLike, pk: int) -> Liaison:
    qs = Liaison.objects.visible_to(user).select_related("agency", "compound", "compound__parent")
    return get_object_or_404(qs, pk=pk)


def contributions_of(liaison: Liaison) -> QuerySet[Contribution]:
    return liaison.contributions.select_related("demand").order_by("-given_on", "-pk")


def deliberation_list(*, user: UserLike, compound: Unit | None = None) -> QuerySet[Deliberation]:
    qs = Deliberation.objects.visible_to(user).select_related("compound").annotate(demand_count=Count("demands"))
    if compound is not None:
        qs = qs.filter(compound=compound)
    return qs.order_by("-held_on", "-pk")


def deliberation_get(*, user: UserLike, pk: int) -> Deliberation:
    qs = (
        Deliberation.objects.visible_to(user)
        .select_related("compound", "recorded_by")
        .prefetch_related(
            Prefetch("demands", queryset=Demand.objects.order_by("-raised_on", "-pk")),
            Prefetch("steps", queryset=DemandStep.objects.select_related("demand").order_by("at", "pk")),
        )
    )
    return get_object_or_404(qs, pk=pk)


def open_demands_of(compound: Unit) -> QuerySet[Demand]:
    """The problems of a compound a deliberation may discuss (all but confirmed ones)."""
    return Demand.objects.filter(compound=compound).exclude(state=State.CONFIRMED).order_by("-raised_on", "-pk")


def may_see_report(user: UserLike) -> bool:
    """Whether the report by agency and street opens for ``user``: the district's staff, and anyone
    with a problem within reach (the report counts only those)."""
    return is_district_wide(user) or Demand.objects.visible_to(user).exists()


def state_counts(qs: QuerySet[Demand]) -> dict[str, int]:
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return {s: counts.get(s, 0) for s in State.values}


def by_group(qs: QuerySet[Demand], key: str) -> list[dict[str, Any]]:
    """Open, overdue and resolved problems, and the median days to resolve, per ``key`` (a lookup
    naming the agency or the street), in two queries."""
    today = timezone.localdate()
    rows = (
        qs.order_by()
        .values(key)
        .annotate(
            open=Count("pk", filter=Q(state__in=_open())),
            overdue=Count("pk", filter=Q(state__in=_open(), due_on__lt=today)),
            resolved=Count("pk", filter=Q(state__in=[State.RESOLVED, State.CONFIRMED])),
        )
        .order_by(key)
    )
    days: dict[Any, list[int]] = {}
    for group, raised, resolved in qs.done().order_by().values_list(key, "raised_on", "resolved_on"):
        days.setdefault(group, []).append((resolved - raised).days)
    return [
        {
            "name": row[key] or "",
            "open": row["open"],
            "overdue": row["overdue"],
            "resolved": row["resolved"],
            "median_days": float(median(days[row[key]])) if days.get(row[key]) else None,
        }
        for row in rows
    ]
