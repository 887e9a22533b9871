"""Figures of the organization tree, for any subtree."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiling.indicators import indicator

from . import selectors
from .models import Expense, FundAllocation, Organization, OwnersCommittee, UnitType, Venue


@indicator("organizations", _("Party organizations"))
def organizations(scope: Organization | None) -> int:
    return selectors.organizations_within(scope).active().count()


@indicator("communities", _("Communities"))
def communities(scope: Organization | None) -> int:
    return selectors.units_within(scope).of_type(UnitType.COMMUNITY).count()


@indicator("streets", _("Streets"))
def streets(scope: Organization | None) -> int:
    return selectors.units_within(scope).of_type(UnitType.STREET).count()


# --- compound governance and funds (小区建支部) ------------------------------------------------------


@indicator("compounds", _("Compounds"))
def compounds(scope: Organization | None) -> int:
    return selectors.compounds_within(scope).count()


@indicator("compound_party_organizations", _("Compounds with a party organization"))
def compound_party_organizations(scope: Organization | None) -> int:
    return selectors.compounds_within(scope).filter(organizations__is_active=True).distinct().count()


@indicator("owners_committees", _("Owners' committees"))
def owners_committees(scope: Organization | None) -> int:
    return OwnersCommittee.objects.current().filter(compound__in=selectors.compounds_within(scope)).count()


@indicator("venues", _("Activity venues"))
def venues(scope: Organization | None) -> int:
    return Venue.objects.active().filter(unit__in=selectors.units_within(scope)).count()


@indicator("red_property_companies", _("Red property companies"))
def red_property_companies(scope: Organization | None) -> int:
    managed = selectors.compounds_within(scope).filter(property_company__is_red=True)
    return managed.values("property_company_id").distinct().count()


@indicator("cross_appointment_rate", _("Cross-appointment rate (%)"))
def cross_appointment_rate(scope: Organization | None) -> Decimal | None:
    """Seats of current owners' committees held by someone who also holds a post in the compound's own
    branch, as a share of all such seats (compounds that have both)."""
    return selectors.cross_appointment_rate(selectors.compounds_within(scope))


@indicator("fund_execution_rate", _("Fund execution rate this year (%)"))
def fund_execution_rate(scope: Organization | None) -> Decimal | None:
    """Spent as a share of allocated, this year, over the compound branches of the subtree."""
    year = timezone.localdate().year
    allocations = FundAllocation.objects.filter(year=year, organization__in=selectors.organizations_within(scope))
    allocated = allocations.aggregate(total=Sum("amount"))["total"] or 0
    spent = Expense.objects.filter(allocation__in=allocations).aggregate(total=Sum("amount"))["total"] or 0
    return selectors.percent(spent, allocated)
