"""The merchants app's figures for the indicator registry (yiling/indicators.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count as models_count
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yiling.indicators import indicator, percent

from . import selectors
from .models import BusinessDistrictProfile, Feedback, Merchant, ServiceTeam

#: The public list of business districts and their boards; the desk and its complaints (staff).
BOARDS = "board:board-list"
DESK = "merchants:desk"
COMPLAINTS = "merchants:complaints"


def _merchants(scope: Any) -> Any:
    return Merchant.objects.within(scope)


def _districts(scope: Any) -> Any:
    qs = BusinessDistrictProfile.objects.all()
    return qs if scope is None else qs.filter(unit__organization__path__startswith=scope.path)


def _feedback(scope: Any) -> Any:
    qs = Feedback.objects.all()
    return qs if scope is None else qs.filter(merchant__shop__organization__path__startswith=scope.path)


@indicator(
    "business_districts",
    _("Business districts"),
    definition=_("Shopping streets and markets (商圈) of the subtree with a business-district profile."),
    link=BOARDS,
)
def business_districts(scope: Any) -> int:
    return _districts(scope).count()


@indicator(
    "demonstration_business_districts",
    _("Demonstration business districts"),
    definition=_("Business districts marked as demonstration districts (示范商圈)."),
    link=BOARDS,
)
def demonstration_business_districts(scope: Any) -> int:
    return _districts(scope).filter(is_demonstration=True).count()


@indicator(
    "merchants_displaying",
    _("Member merchants displaying"),
    definition=_(
        "Shops run by a party member that display their plaque and pledges now (亮身份), not suspended or revoked."
    ),
    link=BOARDS,
)
def merchants_displaying(scope: Any) -> int:
    return _merchants(scope).displaying().count()


@indicator(
    "service_teams",
    _("Service teams"),
    definition=_("Volunteer service teams of the subtree's business districts."),
    link=DESK,
    opens_for=selectors.may_use_desk,
)
def service_teams(scope: Any) -> int:
    qs = ServiceTeam.objects.all()
    return (qs if scope is None else qs.filter(organization__path__startswith=scope.path)).count()


@indicator(
    "feedback_received",
    _("Customer messages received"),
    definition=_("Praise, complaints and suggestions customers left on the subtree's merchants' boards, in any state."),
    link=DESK,
    opens_for=selectors.may_use_desk,
)
def feedback_received(scope: Any) -> int:
    return _feedback(scope).count()


@indicator(
    "complaints_open",
    _("Complaints open"),
    definition=_("Complaints not yet closed with a result (those kept off the board excepted)."),
    link=COMPLAINTS,
    opens_for=selectors.may_use_desk,
)
def complaints_open(scope: Any) -> int:
    return _feedback(scope).complaints_open().count()


def _closed_complaints(scope: Any) -> Any:
    return _feedback(scope).filter(kind=Feedback.Kind.COMPLAINT, closed_at__isnull=False)


ON_TIME = Q(closed_at__date__lte=F("due_on"))


@indicator(
    "complaints_closed",
    _("Complaints closed"),
    definition=_("Complaints closed with a result."),
    link=COMPLAINTS,
    opens_for=selectors.may_use_desk,
)
def complaints_closed(scope: Any) -> int:
    return _closed_complaints(scope).count()


@indicator(
    "complaints_closed_on_time",
    _("Complaints closed on time"),
    definition=_("Of the closed complaints, those closed by their due date."),
    link=COMPLAINTS,
    opens_for=selectors.may_use_desk,
)
def complaints_closed_on_time(scope: Any) -> int:
    return _closed_complaints(scope).filter(ON_TIME).count()


@indicator(
    "complaints_resolved_on_time_rate",
    _("Complaints resolved on time (%)"),
    definition=_("Of the closed complaints, the share closed by their due date; none before any is closed."),
    numerator="complaints_closed_on_time",
    denominator="complaints_closed",
    link=COMPLAINTS,
    opens_for=selectors.may_use_desk,
)
def complaints_resolved_on_time_rate(scope: Any) -> Decimal | None:
    """Of the closed complaints, the share closed by their due date; None before any is closed."""
    counts = _closed_complaints(scope).aggregate(total=models_count("pk"), on_time=models_count("pk", filter=ON_TIME))
    return percent(counts["on_time"], counts["total"])
