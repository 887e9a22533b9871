"""Figures of the organization tree, for any subtree.

Each figure says what it counts (``definition``), a rate names the two figures it divides, and the
figures a dashboard ranks subtrees by also say how to count many subtrees in one query
(``per_subtree``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiling.indicators import Kind, aggregate_per_subtree, count_per_subtree, indicator, per_subtree

from . import selectors
from .models import (
    Activity,
    BranchPost,
    CommitteeSeat,
    Expense,
    FundAllocation,
    Organization,
    OwnersCommittee,
    Unit,
    UnitType,
    Venue,
)

ZERO = Decimal("0.00")
TREE = "organizations:organization-list"
COMPOUNDS = "organizations:compound-list"
FUNDS = "organizations:fund-execution"


@indicator(
    "organizations",
    _("Party organizations"),
    definition=_("Active party organizations in the subtree, the top one included."),
    link=TREE,
)
def organizations(scope: Organization | None) -> int:
    return selectors.organizations_within(scope).active().count()


@indicator("communities", _("Communities"), definition=_("Communities covered by the subtree."), link=TREE)
def communities(scope: Organization | None) -> int:
    return selectors.units_within(scope).of_type(UnitType.COMMUNITY).count()


@indicator("streets", _("Streets"), definition=_("Streets covered by the subtree."), link=TREE)
def streets(scope: Organization | None) -> int:
    return selectors.units_within(scope).of_type(UnitType.STREET).count()


# --- compound governance and funds (小区建支部) ------------------------------------------------------


@indicator(
    "compounds",
    _("Compounds"),
    definition=_("Residential compounds with a property company (物业小区) in the subtree."),
    link=COMPOUNDS,
)
def compounds(scope: Organization | None) -> int:
    return selectors.compounds_within(scope).count()


@per_subtree("compounds")
def compounds_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    return count_per_subtree(Unit.objects.of_type(UnitType.COMPOUND), "organization__path", scopes)


@indicator(
    "compound_party_organizations",
    _("Compounds with a party organization"),
    definition=_("Compounds where an active party organization sits (a branch of their own)."),
    link=COMPOUNDS,
)
def compound_party_organizations(scope: Organization | None) -> int:
    return selectors.compounds_within(scope).filter(organizations__is_active=True).distinct().count()


@per_subtree("compound_party_organizations")
def compound_party_organizations_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    with_branch = Unit.objects.of_type(UnitType.COMPOUND).filter(organizations__is_active=True)
    return count_per_subtree(with_branch, "organization__path", scopes, distinct="pk")


@indicator(
    "compound_organization_coverage",
    _("Organization coverage of compounds (%)"),
    definition=_("Share of the compounds that have a party organization of their own (两个覆盖: organization)."),
    numerator="compound_party_organizations",
    denominator="compounds",
    link=COMPOUNDS,
)
def compound_organization_coverage(scope: Organization | None) -> Decimal | None:
    return selectors.percent(compound_party_organizations(scope), compounds(scope))


def _worked_compounds() -> Any:
    year = timezone.localdate().year
    held = Activity.objects.filter(compound=OuterRef("pk"), held_on__year=year)
    return Unit.objects.of_type(UnitType.COMPOUND).filter(Exists(held))


@indicator(
    "compounds_with_party_work",
    _("Compounds with party activities this year"),
    definition=_("Compounds where at least one party activity was recorded this year."),
    link=COMPOUNDS,
)
def compounds_with_party_work(scope: Organization | None) -> int:
    return _worked_compounds().within(scope).count()


@per_subtree("compounds_with_party_work")
def compounds_with_party_work_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    return count_per_subtree(_worked_compounds(), "organization__path", scopes)


@indicator(
    "compound_work_coverage",
    _("Work coverage of compounds (%)"),
    definition=_("Share of the compounds where party work is actually done this year (两个覆盖: work)."),
    numerator="compounds_with_party_work",
    denominator="compounds",
    link=COMPOUNDS,
)
def compound_work_coverage(scope: Organization | None) -> Decimal | None:
    return selectors.percent(compounds_with_party_work(scope), compounds(scope))


@indicator(
    "owners_committees",
    _("Owners' committees"),
    definition=_("Owners' committees whose term is current, one per compound at most."),
    link=COMPOUNDS,
)
def owners_committees(scope: Organization | None) -> int:
    return OwnersCommittee.objects.current().filter(compound__in=selectors.compounds_within(scope)).count()


@per_subtree("owners_committees")
def owners_committees_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    current = OwnersCommittee.objects.current().filter(compound__unit_type=UnitType.COMPOUND)
    return count_per_subtree(current, "compound__organization__path", scopes)


@indicator(
    "venues",
    _("Activity venues"),
    definition=_("Venues in use for party and residents' activities (党员活动阵地)."),
    link=COMPOUNDS,
)
def venues(scope: Organization | None) -> int:
    return Venue.objects.active().filter(unit__in=selectors.units_within(scope)).count()


@per_subtree("venues")
def venues_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    return count_per_subtree(Venue.objects.active(), "unit__organization__path", scopes)


@indicator(
    "red_property_companies",
    _("Red property companies"),
    definition=_("Property companies with party organization managing compounds of the subtree."),
    link=COMPOUNDS,
)
def red_property_companies(scope: Organization | None) -> int:
    managed = selectors.compounds_within(scope).filter(property_company__is_red=True)
    return managed.values("property_company_id").distinct().count()


def _own_branch_seats() -> Any:
    """Seats of current owners' committees, of compounds that have a branch of their own."""
    return CommitteeSeat.objects.filter(
        committee__is_current=True,
        ended_on__isnull=True,
        committee__compound__organization__unit_id=F("committee__compound_id"),
    )


def _cross_seats() -> Any:
    in_branch = BranchPost.objects.filter(
        organization__unit=OuterRef("committee__compound"), member=OuterRef("member"), ended_on__isnull=True
    )
    return _own_branch_seats().filter(member__isnull=False).filter(Exists(in_branch))


SEAT_PATH = "committee__compound__organization__path"


@indicator(
    "committee_seats",
    _("Owners' committee seats"),
    definition=_("Seats of current owners' committees in compounds that have a branch of their own."),
    link=COMPOUNDS,
)
def committee_seats(scope: Organization | None) -> int:
    return selectors.cross_appointment_counts(selectors.compounds_within(scope))[1]


@per_subtree("committee_seats")
def committee_seats_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    return count_per_subtree(_own_branch_seats(), SEAT_PATH, scopes)


@indicator(
    "cross_appointed_seats",
    _("Cross-appointed seats"),
    definition=_("Of those seats, the ones held by someone who also holds a post in the compound's branch."),
    link=COMPOUNDS,
)
def cross_appointed_seats(scope: Organization | None) -> int:
    return selectors.cross_appointment_counts(selectors.compounds_within(scope))[0]


@per_subtree("cross_appointed_seats")
def cross_appointed_seats_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    return count_per_subtree(_cross_seats(), SEAT_PATH, scopes)


@indicator(
    "cross_appointment_rate",
    _("Cross-appointment rate (%)"),
    definition=_("Share of owners' committee seats held by someone who also holds a post in the compound's branch."),
    numerator="cross_appointed_seats",
    denominator="committee_seats",
    link=COMPOUNDS,
)
def cross_appointment_rate(scope: Organization | None) -> Decimal | None:
    """Seats of current owners' committees held by someone who also holds a post in the compound's own
    branch, as a share of all such seats (compounds that have both)."""
    return selectors.cross_appointment_rate(selectors.compounds_within(scope))


def _allocations(year: int) -> Any:
    return FundAllocation.objects.filter(year=year)


@indicator(
    "funds_allocated",
    _("Funds allocated this year"),
    definition=_("Activity funds and public-revenue shares granted to the subtree's branches this year."),
    kind=Kind.MONEY,
    link=FUNDS,
)
def funds_allocated(scope: Organization | None) -> Decimal:
    allocations = _allocations(timezone.localdate().year).filter(organization__in=selectors.organizations_within(scope))
    return allocations.aggregate(total=Sum("amount"))["total"] or ZERO


@per_subtree("funds_allocated")
def funds_allocated_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    year = timezone.localdate().year
    return aggregate_per_subtree(_allocations(year), "organization__path", scopes, Sum("amount"), ZERO)


@indicator(
    "funds_spent",
    _("Funds spent this year"),
    definition=_("Expenses recorded against this year's allocations of the subtree's branches."),
    kind=Kind.MONEY,
    link=FUNDS,
)
def funds_spent(scope: Organization | None) -> Decimal:
    year = timezone.localdate().year
    allocations = _allocations(year).filter(organization__in=selectors.organizations_within(scope))
    return Expense.objects.filter(allocation__in=allocations).aggregate(total=Sum("amount"))["total"] or ZERO


@per_subtree("funds_spent")
def funds_spent_per_subtree(scopes: Sequence[Organization]) -> dict[int, Any]:
    year = timezone.localdate().year
    spent = Expense.objects.filter(allocation__year=year)
    return aggregate_per_subtree(spent, "allocation__organization__path", scopes, Sum("amount"), ZERO)


@indicator(
    "fund_execution_rate",
    _("Fund execution rate this year (%)"),
    definition=_("Money spent as a share of money allocated this year."),
    numerator="funds_spent",
    denominator="funds_allocated",
    link=FUNDS,
)
def fund_execution_rate(scope: Organization | None) -> Decimal | None:
    """Spent as a share of allocated, this year, over the compound branches of the subtree."""
    return selectors.percent(funds_spent(scope), funds_allocated(scope))
