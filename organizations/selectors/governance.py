"""Reads of compound governance and funds. Every list goes through the scoping rule; every page reads
a fixed number of queries whatever the number of compounds, people or expenses."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ..models import (
    Activity,
    Allowance,
    BranchPosition,
    BranchPost,
    CommitteePosition,
    CommitteeSeat,
    Expense,
    FundAllocation,
    Organization,
    OwnersCommittee,
    PropertyCompany,
    Unit,
    UnitQuerySet,
    UnitType,
    Venue,
)
from .tree import acting_reach

if TYPE_CHECKING:
    from yiling.scoping import UserLike

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
#: How many of a compound's latest activities and expenses its page shows.
RECENT = 20


def _rank(choices: Any) -> Case:
    """Order rows by the position's rank (the order of the choices), not alphabetically."""
    return Case(*(When(position=value, then=Value(i)) for i, value in enumerate(choices.values)), default=Value(99))


POSITION_RANK = _rank(BranchPosition)
SEAT_RANK = _rank(CommitteePosition)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def compounds_within(scope: Organization | None) -> UnitQuerySet:
    """The compounds covered by ``scope``'s subtree (all 70 for None)."""
    return Unit.objects.all().within(scope).of_type(UnitType.COMPOUND)


# --- per-compound figures as subqueries ----------------------------------------------------------


def _current_committee() -> Any:
    return OwnersCommittee.objects.filter(compound=OuterRef("pk"), is_current=True)


def _seats() -> Any:
    return CommitteeSeat.objects.filter(
        committee__compound=OuterRef("pk"), committee__is_current=True, ended_on__isnull=True
    )


def _cross_seats() -> Any:
    """Seats of the current committee held by a member who also holds a post in the compound's own branch."""
    in_branch = BranchPost.objects.filter(
        organization__unit=OuterRef("committee__compound"), member=OuterRef("member"), ended_on__isnull=True
    )
    return _seats().filter(member__isnull=False).filter(Exists(in_branch))


def _scalar_count(qs: Any) -> Any:
    """A correlated COUNT(*) of ``qs`` (a subquery that always returns one row)."""
    return Coalesce(
        Subquery(qs.order_by().annotate(_g=Value(1)).values("_g").annotate(n=Count("*")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def _scalar_sum(qs: Any, column: str) -> Any:
    return Coalesce(
        Subquery(qs.order_by().annotate(_g=Value(1)).values("_g").annotate(s=Sum(column)).values("s")[:1]),
        ZERO,
        output_field=MONEY,
    )


def cross_appointment_counts(compounds: UnitQuerySet) -> tuple[int, int]:
    """(seats also held by someone on the compound's own branch, all seats) of the current owners'
    committees of the given compounds that have a branch of their own: one query."""
    own_branch = compounds.filter(organization__unit_id=F("pk")).annotate(
        n_seats=_scalar_count(_seats()), n_cross=_scalar_count(_cross_seats())
    )
    totals = own_branch.aggregate(seats=Sum("n_seats"), cross_seats=Sum("n_cross"))
    return totals["cross_seats"] or 0, totals["seats"] or 0


def cross_appointment_rate(compounds: UnitQuerySet) -> Decimal | None:
    """Seats of current owners' committees also held by someone on the compound's own branch, as a
    share of all such seats, over the given compounds that have a branch of their own."""
    return percent(*cross_appointment_counts(compounds))


def with_governance(qs: UnitQuerySet, *, year: int) -> UnitQuerySet:
    """Annotate compounds with their governance figures and the year's money, in the same query."""
    committee = _current_committee()
    allocations = FundAllocation.objects.filter(organization__unit=OuterRef("pk"), year=year)
    expenses = Expense.objects.filter(allocation__organization__unit=OuterRef("pk"), allocation__year=year)
    return qs.select_related("organization", "parent", "parent__parent", "property_company").annotate(
        committee_elected_on=Subquery(committee.values("elected_on")[:1]),
        committee_term_ends_on=Subquery(committee.values("term_ends_on")[:1]),
        seat_count=_scalar_count(_seats()),
        cross_count=_scalar_count(_cross_seats()),
        branch_post_count=_scalar_count(
            BranchPost.objects.filter(organization__unit=OuterRef("pk"), ended_on__isnull=True)
        ),
        venue_count=_scalar_count(Venue.objects.filter(unit=OuterRef("pk"), is_active=True)),
        allocated=_scalar_sum(allocations, "amount"),
        spent=_scalar_sum(expenses, "amount"),
    )


def describe(compound: Unit) -> Unit:
    """Derived figures of an annotated compound, for pages and exports (no query)."""
    own = compound.organization if compound.organization.unit_id == compound.pk else None
    compound.own_organization = own  # type: ignore[attr-defined]
    compound.has_party_organization = own is not None  # type: ignore[attr-defined]
    compound.has_owners_committee = compound.committee_elected_on is not None  # type: ignore[attr-defined]
    compound.dual_established = own is not None and compound.has_owners_committee  # type: ignore[attr-defined]
    compound.cross_rate = percent(compound.cross_count, compound.seat_count)  # type: ignore[attr-defined]
    branch_end = own.term_ends_on if own is not None else None
    compound.branch_term_ends_on = branch_end  # type: ignore[attr-defined]
    compound.terms_synchronized = terms_synchronized(branch_end, compound.committee_term_ends_on)  # type: ignore[attr-defined]
    today = timezone.localdate()
    compound.branch_term_expired = branch_end is not None and branch_end < today  # type: ignore[attr-defined]
    committee_end = compound.committee_term_ends_on
    compound.committee_term_expired = committee_end is not None and committee_end < today  # type: ignore[attr-defined]
    compound.balance = compound.allocated - compound.spent  # type: ignore[attr-defined]
    compound.execution_rate = percent(compound.spent, compound.allocated)  # type: ignore[attr-defined]
    compound.street = compound.parent.parent if compound.parent_id and compound.parent.parent_id else None  # type: ignore[attr-defined]
    return compound


def terms_synchronized(branch_ends: Any, committee_ends: Any) -> bool | None:
    """同步改选: both terms end in the same month. None when either term is unknown."""
    if branch_ends is None or committee_ends is None:
        return None
    return (branch_ends.year, branch_ends.month) == (committee_ends.year, committee_ends.month)


def compound_list(
    *, user: UserLike, year: int, scope: Organization | None = None, search: str = "", community: str = ""
) -> list[Unit]:
    """The compounds the user may see, with their governance figures: one query."""
    qs = Unit.objects.visible_to(user).of_type(UnitType.COMPOUND).within(scope)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if community:
        qs = qs.filter(parent__code=community)
    qs = with_governance(qs, year=year).order_by("parent__parent__code", "parent__code", "code")
    return [describe(c) for c in qs]


def compound_get(*, user: UserLike, code: str, year: int) -> Unit:
    """One compound the user may see (404 otherwise), with its figures and ``can_act``."""
    reach = acting_reach(user)
    can_act = ExpressionWrapper(reach, output_field=BooleanField()) if reach is not None else Value(False)
    qs = with_governance(Unit.objects.visible_to(user).of_type(UnitType.COMPOUND), year=year).annotate(can_act=can_act)
    return describe(get_object_or_404(qs, code=code))


def manageable_compound(*, user: UserLike, code: str) -> Unit:
    """A compound the user may act on (a secretary or staff whose part of the tree covers it), or 404."""
    reach = acting_reach(user)
    if reach is None:
        raise Http404
    qs = Unit.objects.visible_to(user).of_type(UnitType.COMPOUND).filter(reach).select_related("organization", "parent")
    return get_object_or_404(qs, code=code)


def manageable_seat(*, user: UserLike, code: str, pk: int) -> CommitteeSeat:
    """A seat on a committee of a compound the user may act on, or 404."""
    compound = manageable_compound(user=user, code=code)
    qs = CommitteeSeat.objects.select_related("committee__compound")
    return get_object_or_404(qs, pk=pk, committee__compound=compound)


@dataclass
class CompoundRecords:
    """Everything the compound page lists, read with a fixed number of queries."""

    branch_posts: list[BranchPost]
    committee: OwnersCommittee | None
    seats: list[CommitteeSeat]
    past_committees: list[OwnersCommittee]
    venues: list[Venue]
    activities: list[Activity]
    allocations: list[FundAllocation]
    expenses: list[Expense]
    allowances: list[Allowance]
    cross_member_ids: set[int] = field(default_factory=set)


def compound_records(*, compound: Unit, year: int) -> CompoundRecords:
    own = compound.organization if compound.organization.unit_id == compound.pk else None
    branch_posts = (
        list(
            BranchPost.objects.active()
            .filter(organization=own)
            .select_related("member", "member__employer")
            .order_by(POSITION_RANK, "started_on", "pk")
        )
        if own
        else []
    )
    committees = list(OwnersCommittee.objects.filter(compound=compound).order_by("-elected_on"))
    current = next((c for c in committees if c.is_current), None)
    seats = (
        list(
            CommitteeSeat.objects.filter(committee=current, ended_on__isnull=True)
            .select_related("member")
            .order_by(SEAT_RANK, "name", "pk")
        )
        if current
        else []
    )
    branch_member_ids = {p.member_id for p in branch_posts}
    cross = {s.member_id for s in seats if s.member_id in branch_member_ids}
    for post in branch_posts:
        post.cross_appointed = post.member_id in cross  # type: ignore[attr-defined]
    for seat in seats:
        seat.cross_appointed = seat.member_id in cross  # type: ignore[attr-defined]
    allocations = (
        list(
            FundAllocation.objects.filter(organization=own, year=year)
            .annotate(spent=Coalesce(Sum("expenses__amount"), ZERO, output_field=MONEY))
            .annotate(balance=ExpressionWrapper(F("amount") - F("spent"), output_field=MONEY))
            .order_by("source", "granted_on", "pk")
        )
        if own
        else []
    )
    expenses = (
        list(
            Expense.objects.filter(allocation__organization=own, allocation__year=year)
            .select_related("allocation", "activity")
            .order_by("-spent_on", "-pk")[:RECENT]
        )
        if own
        else []
    )
    allowances = list(Allowance.objects.filter(organization=own, year=year).select_related("member")) if own else []
    return CompoundRecords(
        branch_posts=branch_posts,
        committee=current,
        seats=seats,
        past_committees=[c for c in committees if not c.is_current],
        venues=list(Venue.objects.filter(unit=compound).order_by("-is_active", "name")),
        activities=list(
            Activity.objects.filter(compound=compound).select_related("venue").order_by("-held_on", "-pk")[:RECENT]
        ),
        allocations=allocations,
        expenses=expenses,
        allowances=allowances,
        cross_member_ids=cross,
    )


def venue_choices(*, compound: Unit) -> list[Venue]:
    """Venues an activity of the compound can be held in: its own and its community's."""
    return list(
        Venue.objects.active().filter(unit_id__in=[compound.pk, compound.parent_id]).order_by("unit_id", "name")
    )


def open_allocations(*, compound: Unit, year: int) -> list[FundAllocation]:
    """The compound branch's allocations of ``year`` an expense can draw on, with their balances."""
    own = compound.organization if compound.organization.unit_id == compound.pk else None
    if own is None:
        return []
    return list(
        FundAllocation.objects.filter(organization=own, year=year)
        .annotate(spent=Coalesce(Sum("expenses__amount"), ZERO, output_field=MONEY))
        .annotate(balance=ExpressionWrapper(F("amount") - F("spent"), output_field=MONEY))
        .order_by("source", "pk")
    )


def manageable_allocation(*, user: UserLike, compound: Unit, pk: int) -> FundAllocation:
    """An allocation of the compound's own branch that the user may draw on, or 404."""
    return get_object_or_404(FundAllocation.objects.visible_to(user).filter(organization__unit=compound), pk=pk)


def receipt_expense(*, user: UserLike, pk: int) -> Expense:
    """An expense with a receipt file the user may see, or 404."""
    qs = Expense.objects.visible_to(user).exclude(receipt="")
    return get_object_or_404(qs, pk=pk)


# --- execution of funds ---------------------------------------------------------------------------


@dataclass
class ExecutionRow:
    label: str
    code: str
    allocated: Decimal = ZERO
    spent: Decimal = ZERO
    compounds: int = 0
    street: str = ""
    community: str = ""

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.spent

    @property
    def rate(self) -> Decimal | None:
        return percent(self.spent, self.allocated)


@dataclass
class Execution:
    year: int
    compounds: list[ExecutionRow]
    streets: list[ExecutionRow]
    total: ExecutionRow


def fund_execution(*, user: UserLike, year: int, scope: Organization | None = None) -> Execution:
    """Money allocated and spent in ``year``, by compound (those with a branch of their own) and by
    street, within what the user may see: one query."""
    compounds = [c for c in compound_list(user=user, year=year, scope=scope) if c.has_party_organization]
    rows = []
    streets: OrderedDict[str, ExecutionRow] = OrderedDict()
    total = ExecutionRow(label="", code="")
    for c in compounds:
        street = c.street
        row = ExecutionRow(
            label=c.name,
            code=c.code,
            allocated=c.allocated,
            spent=c.spent,
            compounds=1,
            street=street.name if street else "",
            community=c.parent.name if c.parent_id else "",
        )
        rows.append(row)
        key = street.code if street else ""
        agg = streets.setdefault(key, ExecutionRow(label=row.street, code=key))
        for target in (agg, total):
            target.allocated += row.allocated
            target.spent += row.spent
            target.compounds += 1
    return Execution(year=year, compounds=rows, streets=list(streets.values()), total=total)


def property_company_list(*, user: UserLike) -> Any:
    return PropertyCompany.objects.visible_to(user).annotate(compound_count=Count("compounds")).order_by("code")


def compound_type_communities(*, user: UserLike, scope: Organization | None = None) -> list[Unit]:
    """The compound-type communities (小区型社区) the user may see, with the compound each is formed around."""
    return list(
        Unit.objects.visible_to(user)
        .within(scope)
        .filter(unit_type=UnitType.COMMUNITY, is_compound_type=True)
        .select_related("parent")
        .prefetch_related("children")
        .order_by("code")
    )
