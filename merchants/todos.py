"""What waits at the business-district desk: feedback to moderate, pledge proposals to approve or return,
complaints past their due date.

For the users of the desk only (district and street staff, business-district secretaries); each item
is one query, limited to what the user sees, grouped by business district, linked to its desk page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiling.todos import Entry, todo

from .models import Feedback, Pledge
from .selectors import may_use_desk

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from yiling.scoping import UserLike

SHOWN = 20


def _by_district(rows: QuerySet, url: str) -> list[Entry]:
    grouped = (
        rows.order_by()
        .values("merchant__shop__parent__code", "merchant__shop__parent__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "merchant__shop__parent__code")
    )
    return [Entry(where=r["merchant__shop__parent__name"] or "", count=r["n"], url=url) for r in grouped[:SHOWN]]


@todo(
    "feedback_to_moderate",
    _("Feedback waiting for moderation"),
    definition=_("Customers' praise, complaints and suggestions not yet published or kept off the board."),
    order=70,
)
def feedback_to_moderate(user: UserLike) -> list[Entry]:
    if not may_use_desk(user):
        return []
    rows = Feedback.objects.visible_to(user).filter(status=Feedback.Status.PENDING)
    return _by_district(rows, reverse("merchants:moderation"))


@todo(
    "pledge_proposals",
    _("Pledge proposals"),
    definition=_("Pledges a merchant proposed, waiting for you to approve or return them."),
    order=71,
)
def pledge_proposals(user: UserLike) -> list[Entry]:
    if not may_use_desk(user):
        return []
    rows = Pledge.objects.visible_to(user).filter(status=Pledge.Status.PROPOSED)
    return _by_district(rows, reverse("merchants:pledges"))


@todo(
    "complaints_overdue",
    _("Overdue complaints"),
    definition=_("Complaints still open after their due date (three working days unless postponed)."),
    order=72,
)
def complaints_overdue(user: UserLike) -> list[Entry]:
    if not may_use_desk(user):
        return []
    rows = Feedback.objects.visible_to(user).complaints_open().filter(due_on__lt=timezone.localdate())
    return _by_district(rows, reverse("merchants:complaints"))
