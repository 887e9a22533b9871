"""Figures of 单位联小区, for any subtree of the organization tree (a pairing and a problem count where
their compound is)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Unit, UnitType
from yiling.indicators import indicator, percent

from . import selectors
from .models import DONE_STATES

if TYPE_CHECKING:
    from organizations.models import Organization

REPORT = "liaisons:report"
PROBLEMS = "liaisons:demand-list"


@indicator(
    "agencies",
    _("District agencies"),
    definition=_(
        "District agencies (区直单位) in the tree: one list for the whole district, the same in every subtree."
    ),
    link=REPORT,
    opens_for=selectors.may_see_report,
)
def agencies(scope: Organization | None) -> int:
    """The district's agencies (区直单位): a district-wide list, the same for every subtree."""
    return Unit.objects.filter(unit_type=UnitType.AGENCY).count()


@indicator(
    "paired_compounds",
    _("Compounds paired with an agency"),
    definition=_("Compounds of the subtree with an agency pairing (单位联小区) that lasts today."),
    link=REPORT,
    opens_for=selectors.may_see_report,
)
def paired_compounds(scope: Organization | None) -> int:
    today = timezone.localdate()
    return selectors.liaisons_within(scope).active_on(today).values("compound_id").distinct().count()


@indicator(
    "unpaired_compounds",
    _("Compounds without an agency"),
    definition=_("Compounds of the subtree that no agency is paired with today."),
    link=REPORT,
    opens_for=selectors.may_see_report,
)
def unpaired_compounds(scope: Organization | None) -> int:
    return selectors.unpaired_compounds(scope).count()


@indicator(
    "problems_open",
    _("Open problems"),
    definition=_(
        "Problems raised by the subtree's compounds and not yet resolved (raised, accepted, in progress, reopened)."
    ),
    link=PROBLEMS,
)
def problems_open(scope: Organization | None) -> int:
    return selectors.demands_within(scope).open().count()


@indicator(
    "problems_overdue",
    _("Overdue problems"),
    definition=_("Open problems whose due date has passed."),
    link=PROBLEMS,
)
def problems_overdue(scope: Organization | None) -> int:
    return selectors.demands_within(scope).overdue(timezone.localdate()).count()


@indicator(
    "problems_resolved",
    _("Resolved problems"),
    definition=_("Problems the agency resolved, confirmed by the compound or waiting for its confirmation."),
    link=PROBLEMS,
)
def problems_resolved(scope: Organization | None) -> int:
    return selectors.demands_within(scope).done().count()


@indicator(
    "median_days_to_resolve",
    _("Median days to resolve a problem"),
    definition=_("Of the resolved problems, the median number of days from raised to resolved."),
    link=PROBLEMS,
)
def median_days_to_resolve(scope: Organization | None) -> float | None:
    return selectors.median_days(selectors.demands_within(scope))


@indicator(
    "problems_raised",
    _("Problems raised"),
    definition=_("Every problem the subtree's compounds have raised with their paired agency, in any state."),
    link=PROBLEMS,
)
def problems_raised(scope: Organization | None) -> int:
    return selectors.demands_within(scope).count()


@indicator(
    "problem_resolution_rate",
    _("Problems resolved (%)"),
    definition=_("Share of the problems raised that the agency has resolved (confirmed or awaiting confirmation)."),
    numerator="problems_resolved",
    denominator="problems_raised",
    link=PROBLEMS,
)
def problem_resolution_rate(scope: Organization | None) -> Decimal | None:
    counts = selectors.demands_within(scope).aggregate(
        raised=Count("pk"), resolved=Count("pk", filter=Q(state__in=DONE_STATES))
    )
    return percent(counts["resolved"], counts["raised"])
