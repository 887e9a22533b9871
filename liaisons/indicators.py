"""Figures of 单位联小区, for any subtree of the organization tree (a pairing and a problem count where
their compound is)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Unit, UnitType
from yiling.indicators import indicator

from . import selectors

if TYPE_CHECKING:
    from organizations.models import Organization


@indicator("agencies", _("District agencies"))
def agencies(scope: Organization | None) -> int:
    """The district's agencies (区直单位): a district-wide list, the same for every subtree."""
    return Unit.objects.filter(unit_type=UnitType.AGENCY).count()


@indicator("paired_compounds", _("Compounds paired with an agency"))
def paired_compounds(scope: Organization | None) -> int:
    today = timezone.localdate()
    return selectors.liaisons_within(scope).active_on(today).values("compound_id").distinct().count()


@indicator("unpaired_compounds", _("Compounds without an agency"))
def unpaired_compounds(scope: Organization | None) -> int:
    return selectors.unpaired_compounds(scope).count()


@indicator("problems_open", _("Open problems"))
def problems_open(scope: Organization | None) -> int:
    return selectors.demands_within(scope).open().count()


@indicator("problems_overdue", _("Overdue problems"))
def problems_overdue(scope: Organization | None) -> int:
    return selectors.demands_within(scope).overdue(timezone.localdate()).count()


@indicator("problems_resolved", _("Resolved problems"))
def problems_resolved(scope: Organization | None) -> int:
    return selectors.demands_within(scope).done().count()


@indicator("median_days_to_resolve", _("Median days to resolve a problem"))
def median_days_to_resolve(scope: Organization | None) -> float | None:
    return selectors.median_days(selectors.demands_within(scope))
