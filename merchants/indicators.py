"""The merchants app's figures for the indicator registry (yiling/indicators.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count as models_count
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yiling.indicators import indicator

from .models import BusinessDistrictProfile, Feedback, Merchant, ServiceTeam


def _merchants(scope: Any) -> Any:
    return Merchant.objects.within(scope)


def _districts(scope: Any) -> Any:
    qs = BusinessDistrictProfile.objects.all()
    return qs if scope is None else qs.filter(unit__organization__path__startswith=scope.path)


def _feedback(scope: Any) -> Any:
    qs = Feedback.objects.all()
    return qs if scope is None else qs.filter(merchant__shop__organization__path__startswith=scope.path)


@indicator("business_districts", _("Business districts"))
def business_districts(scope: Any) -> int:
    return _districts(scope).count()


@indicator("demonstration_business_districts", _("Demonstration business districts"))
def demonstration_business_districts(scope: Any) -> int:
    return _districts(scope).filter(is_demonstration=True).count()


@indicator("merchants_displaying", _("Member merchants displaying"))
def merchants_displaying(scope: Any) -> int:
    return _merchants(scope).displaying().count()


@indicator("service_teams", _("Service teams"))
def service_teams(scope: Any) -> int:
    qs = ServiceTeam.objects.all()
    return (qs if scope is None else qs.filter(organization__path__startswith=scope.path)).count()


@indicator("feedback_received", _("Customer messages received"))
def feedback_received(scope: Any) -> int:
    return _feedback(scope).count()


@indicator("complaints_open", _("Complaints open"))
def complaints_open(scope: Any) -> int:
    return _feedback(scope).complaints_open().count()


@indicator("complaints_resolved_on_time_rate", _("Complaints resolved on time (%)"))
def complaints_resolved_on_time_rate(scope: Any) -> float | None:
    """Of the closed complaints, the share closed by their due date; None before any is closed."""
    closed = _feedback(scope).filter(kind=Feedback.Kind.COMPLAINT, closed_at__isnull=False)
    counts = closed.aggregate(
        total=models_count("pk"), on_time=models_count("pk", filter=Q(closed_at__date__lte=F("due_on")))
    )
    if not counts["total"]:
        return None
    return round(100 * counts["on_time"] / counts["total"], 1)
