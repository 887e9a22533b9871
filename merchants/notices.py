"""Notice rules of the party-member merchants: complaints past their due date, feedback left waiting for
moderation, and the year's rating cycle opening and closing.

Registered with yiling's notice registry; ``run_notices`` and the beat schedules run them. Each rule
reads what is due in a fixed number of queries, whatever the number of shops or messages. The
business-district secretary is the holder of that role at the district's organization or above the shop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import Role, RoleAssignment
from yiling.notices.models import NoticeKind
from yiling.notices.recipients import Directory
from yiling.notices.registry import Draft, notice_rule
from yiling.templatetags.portal import cn_date

from .models import Feedback, Merchant, RatingCycle

MARKET = (str(Role.MARKET_SECRETARY),)
#: Feedback still awaiting review this many days after it came in is reminded.
MODERATION_WAIT_DAYS = 3
#: The month from which an unpublished rating cycle of the year is reminded as closing.
CLOSING_MONTH = 12


def _overdue_period(feedback: Feedback) -> str:
    return f"{feedback.due_on}:overdue"


def complaint_still_due(subject_key: str, period: str, today: date) -> bool:
    feedback = Feedback.objects.complaints_open().filter(pk=subject_key.removeprefix("feedback:")).first()
    return (
        feedback is not None
        and feedback.due_on is not None
        and feedback.due_on < today
        and _overdue_period(feedback) == period
    )


@notice_rule(
    "merchants.complaints_overdue",
    kind=NoticeKind.MERCHANTS,
    label=gettext_lazy("Complaints past their due date"),
    still_due=complaint_still_due,
)
def complaints_overdue(as_of: date) -> Iterator[Draft]:
    """Once per complaint and due date: an open complaint past its due date reaches the secretary of
    the shop's business district (a new due date is a new reminder; a closed one is not sent)."""
    complaints = (
        Feedback.objects.complaints_open()
        .filter(due_on__lt=as_of)
        .select_related("merchant__shop__organization")
        .order_by("due_on", "pk")
    )
    directory: Directory | None = None
    for feedback in complaints:
        shop = feedback.merchant.shop
        if shop.organization is None:
            continue
        directory = directory or Directory()
        yield Draft(
            subject_key=f"feedback:{feedback.pk}",
            period=_overdue_period(feedback),
            title=_("Complaint %(receipt)s about %(shop)s is past its due date (%(due)s)")
            % {"receipt": feedback.receipt, "shop": shop.name, "due": cn_date(feedback.due_on)},
            body=feedback.text[:200],
            url=reverse("merchants:complaints"),
            recipients=directory.above(shop.organization.path, MARKET),
        )


def moderation_still_due(subject_key: str, period: str, today: date) -> bool:
    return Feedback.objects.filter(pk=subject_key.removeprefix("feedback:"), status=Feedback.Status.PENDING).exists()


@notice_rule(
    "merchants.feedback_waiting",
    kind=NoticeKind.MERCHANTS,
    label=gettext_lazy("Customer feedback waiting for moderation more than 3 days"),
    still_due=moderation_still_due,
)
def feedback_waiting(as_of: date) -> Iterator[Draft]:
    """Once per message still awaiting review three days after it came in: the district's secretary."""
    waiting = (
        Feedback.objects.filter(
            status=Feedback.Status.PENDING, submitted_at__date__lte=as_of - timedelta(days=MODERATION_WAIT_DAYS)
        )
        .select_related("merchant__shop__organization")
        .order_by("submitted_at", "pk")
    )
    directory: Directory | None = None
    for feedback in waiting:
        shop = feedback.merchant.shop
        if shop.organization is None:
            continue
        directory = directory or Directory()
        yield Draft(
            subject_key=f"feedback:{feedback.pk}",
            period="moderation",
            title=_("%(kind)s %(receipt)s about %(shop)s has waited for review since %(date)s")
            % {
                "kind": feedback.get_kind_display(),
                "receipt": feedback.receipt,
                "shop": shop.name,
                "date": cn_date(timezone.localdate(feedback.submitted_at)),
            },
            url=reverse("merchants:moderation"),
            recipients=directory.above(shop.organization.path, MARKET),
        )


def _merchant_accounts() -> list[tuple[str, int]]:
    """(organization path of the shop, user id) of every displaying merchant's active account (one query)."""
    displaying = Merchant.objects.displaying().values("shop_id")
    return list(
        RoleAssignment.objects.filter(
            role=Role.MERCHANT, unit__in=displaying, unit__organization__isnull=False, user__is_active=True
        ).values_list("unit__organization__path", "user_id")
    )


def cycle_open_still_due(subject_key: str, period: str, today: date) -> bool:
    return RatingCycle.objects.filter(
        pk=subject_key.removeprefix("cycle:"), is_published=False, year=today.year
    ).exists()


@notice_rule(
    "merchants.rating_cycle_open",
    kind=NoticeKind.MERCHANTS,
    label=gettext_lazy("A rating cycle has opened"),
    still_due=cycle_open_still_due,
)
def rating_cycle_open(as_of: date) -> Iterator[Draft]:
    """Once per cycle of the year, while it is not published: the merchants of the shops it rates and
    the secretaries who run it hear that the integrity rating has opened, with its criteria."""
    cycles = list(
        RatingCycle.objects.filter(year=as_of.year, is_published=False).select_related("organization").order_by("pk")
    )
    if not cycles:
        return
    directory = Directory()
    merchants: dict[str, list[int]] = defaultdict(list)
    for path, user_id in _merchant_accounts():
        merchants[path].append(user_id)
    for cycle in cycles:
        path = cycle.organization.path
        rated = {user for shop_path, users in merchants.items() if shop_path.startswith(path) for user in users}
        yield Draft(
            subject_key=f"cycle:{cycle.pk}",
            period=f"{cycle.year}:open",
            title=_("The %(year)s integrity rating of %(org)s has opened")
            % {"year": cycle.year, "org": cycle.organization.name},
            body=cycle.criteria[:500],
            url=reverse("merchants:desk"),
            recipients=sorted(rated | set(directory.at(cycle.organization_id, MARKET))),
        )


def cycle_closing_still_due(subject_key: str, period: str, today: date) -> bool:
    return today.month >= CLOSING_MONTH and cycle_open_still_due(subject_key, period, today)


@notice_rule(
    "merchants.rating_cycle_closing",
    kind=NoticeKind.MERCHANTS,
    label=gettext_lazy("A rating cycle closes at the year's end and is not published"),
    schedule="0 8 1 12 *",
    still_due=cycle_closing_still_due,
)
def rating_cycle_closing(as_of: date) -> Iterator[Draft]:
    """Once per cycle, in December: the secretaries who run an unpublished cycle of the year hear how
    many displaying merchants it has not rated yet, to finish and publish it before the year ends."""
    if as_of.month < CLOSING_MONTH:
        return
    cycles = list(
        RatingCycle.objects.filter(year=as_of.year, is_published=False)
        .select_related("organization")
        .annotate(rated=Count("ratings"))
        .order_by("pk")
    )
    if not cycles:
        return
    directory = Directory()
    displaying: dict[str, int] = defaultdict(int)
    for path in Merchant.objects.displaying().values_list("shop__organization__path", flat=True):
        displaying[path or ""] += 1
    for cycle in cycles:
        path = cycle.organization.path
        total = sum(n for shop_path, n in displaying.items() if shop_path.startswith(path))
        yield Draft(
            subject_key=f"cycle:{cycle.pk}",
            period=f"{cycle.year}:closing",
            title=_(
                "The %(year)s integrity rating of %(org)s closes at the year's end: "
                "%(rated)s of %(total)s merchants rated, not yet published"
            )
            % {"year": cycle.year, "org": cycle.organization.name, "rated": cycle.rated, "total": total},
            url=reverse("merchants:ratings"),
            recipients=directory.at(cycle.organization_id, MARKET),
        )
