"""Notice rules of the organization tree and compound governance: terms ending and the money.

Registered with yiling's notice registry; ``run_notices`` and the beat schedules run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiling.notices.models import NoticeKind
from yiling.notices.recipients import SECRETARIES, STREET_STAFF, Directory
from yiling.notices.registry import Draft, notice_rule
from yiling.templatetags.portal import cn_date

from .models import Allowance, Expense, FundAllocation, Organization, OwnersCommittee, UnitType

#: Days before a term ends when its secretary and street are reminded.
TERM_THRESHOLDS = (90, 30, 7)
#: An expense whose receipt is not attached this many days after it was spent is reminded.
RECEIPT_GRACE_DAYS = 7


def term_threshold(ends_on: date, as_of: date) -> int | None:
    """The latest threshold reached: after downtime only that one is sent, never the missed ones."""
    days_left = (ends_on - as_of).days
    if days_left < 0:
        return None
    reached = [t for t in TERM_THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


def _term_period(ends_on: date, as_of: date) -> str | None:
    threshold = term_threshold(ends_on, as_of)
    return None if threshold is None else f"{ends_on}:{threshold}"


def _compound_url(org: Organization, anchor: str = "") -> str:
    if org.unit_id and org.unit.unit_type == UnitType.COMPOUND:
        return reverse("organizations:compound-detail", kwargs={"code": org.unit.code}) + anchor
    return org.get_absolute_url()


def _people(directory: Directory, org: Organization) -> list[int]:
    """The organization's secretary and the staff of the street above it."""
    return sorted(set(directory.at(org.pk, SECRETARIES)) | set(directory.above(org.path, (STREET_STAFF,))))


def branch_term_still_due(subject_key: str, period: str, today: date) -> bool:
    org = Organization.objects.filter(pk=subject_key.removeprefix("organization:"), is_active=True).first()
    return org is not None and org.term_ends_on is not None and _term_period(org.term_ends_on, today) == period


@notice_rule(
    "organizations.branch_term_expiry",
    kind=NoticeKind.TERM,
    label=gettext_lazy("Branch committee terms ending (90, 30, 7 days)"),
    still_due=branch_term_still_due,
)
def branch_term_expiry(as_of: date) -> Iterator[Draft]:
    directory = Directory()
    orgs = Organization.objects.filter(
        is_active=True, term_ends_on__gte=as_of, term_ends_on__lte=as_of + timedelta(days=max(TERM_THRESHOLDS))
    ).select_related("unit")
    for org in orgs:
        period = _term_period(org.term_ends_on, as_of)
        if period is None:
            continue
        yield Draft(
            subject_key=f"organization:{org.pk}",
            period=period,
            title=_("%(org)s: the committee's term ends on %(date)s (%(days)s days)")
            % {"org": org.name, "date": cn_date(org.term_ends_on), "days": (org.term_ends_on - as_of).days},
            body=_("Prepare the re-election, together with the owners' committee where the terms are synchronized."),
            url=_compound_url(org),
            recipients=_people(directory, org),
        )


def committee_term_still_due(subject_key: str, period: str, today: date) -> bool:
    committee = OwnersCommittee.objects.filter(pk=subject_key.removeprefix("committee:"), is_current=True).first()
    return committee is not None and _term_period(committee.term_ends_on, today) == period


@notice_rule(
    "organizations.committee_term_expiry",
    kind=NoticeKind.TERM,
    label=gettext_lazy("Owners' committee terms ending (90, 30, 7 days)"),
    still_due=committee_term_still_due,
)
def committee_term_expiry(as_of: date) -> Iterator[Draft]:
    directory = Directory()
    committees = OwnersCommittee.objects.filter(
        is_current=True, term_ends_on__gte=as_of, term_ends_on__lte=as_of + timedelta(days=max(TERM_THRESHOLDS))
    ).select_related("compound__organization__unit")
    for committee in committees:
        period = _term_period(committee.term_ends_on, as_of)
        org = committee.compound.organization
        if period is None:
            continue
        yield Draft(
            subject_key=f"committee:{committee.pk}",
            period=period,
            title=_("%(compound)s: the owners' committee's term ends on %(date)s (%(days)s days)")
            % {
                "compound": committee.compound.name,
                "date": cn_date(committee.term_ends_on),
                "days": (committee.term_ends_on - as_of).days,
            },
            url=reverse("organizations:compound-detail", kwargs={"code": committee.compound.code}),
            recipients=_people(directory, org),
        )


def allowance_still_due(subject_key: str, period: str, today: date) -> bool:
    return Allowance.objects.filter(pk=subject_key.removeprefix("allowance:"), paid_on__isnull=True).exists()


@notice_rule(
    "organizations.unpaid_allowances",
    kind=NoticeKind.FUNDING,
    label=gettext_lazy("Secretary allowances not yet paid out (monthly)"),
    schedule="0 9 1 * *",
    still_due=allowance_still_due,
)
def unpaid_allowances(as_of: date) -> Iterator[Draft]:
    """Once a month, district staff and the street hear of each allowance granted but not paid."""
    directory = Directory()
    district = directory.district_staff()
    allowances = Allowance.objects.filter(paid_on__isnull=True, year__lte=as_of.year).select_related(
        "organization__unit"
    )
    for allowance in allowances.order_by("year", "pk"):
        org = allowance.organization
        yield Draft(
            subject_key=f"allowance:{allowance.pk}",
            period=f"{as_of:%Y-%m}",
            title=_("%(org)s: the %(year)s secretary allowance of %(amount)s yuan is not paid out")
            % {"org": org.name, "year": allowance.year, "amount": f"{allowance.amount:,.2f}"},
            url=_compound_url(org),
            recipients=sorted(set(district) | set(directory.above(org.path, (STREET_STAFF,)))),
        )


def _balance(allocation_pk: int) -> Decimal:
    allocation = (
        FundAllocation.objects.filter(pk=allocation_pk)
        .annotate(spent=Coalesce(Sum("expenses__amount"), Value(Decimal("0")), output_field=DecimalField()))
        .first()
    )
    return Decimal("0") if allocation is None else allocation.amount - allocation.spent


def unspent_still_due(subject_key: str, period: str, today: date) -> bool:
    return today.month >= 10 and _balance(int(subject_key.removeprefix("allocation:"))) > 0


@notice_rule(
    "organizations.unspent_balances",
    kind=NoticeKind.FUNDING,
    label=gettext_lazy("Balances unspent in the fourth quarter (monthly)"),
    schedule="0 9 1 10-12 *",
    still_due=unspent_still_due,
)
def unspent_balances(as_of: date) -> Iterator[Draft]:
    """In October, November and December: each of the year's allocations with money left."""
    if as_of.month < 10:
        return
    directory = Directory()
    allocations = (
        FundAllocation.objects.filter(year=as_of.year)
        .annotate(spent=Coalesce(Sum("expenses__amount"), Value(Decimal("0")), output_field=DecimalField()))
        .select_related("organization__unit")
        .order_by("pk")
    )
    for allocation in allocations:
        balance = allocation.amount - allocation.spent
        if balance <= 0:
            continue
        org = allocation.organization
        yield Draft(
            subject_key=f"allocation:{allocation.pk}",
            period=f"{as_of:%Y-%m}",
            title=_("%(org)s: %(balance)s yuan of the %(year)s %(source)s is unspent")
            % {
                "org": org.name,
                "balance": f"{balance:,.2f}",
                "year": allocation.year,
                "source": allocation.get_source_display(),
            },
            url=_compound_url(org, f"?year={allocation.year}"),
            recipients=directory.at(org.pk, SECRETARIES),
        )


def receipt_still_due(subject_key: str, period: str, today: date) -> bool:
    return Expense.objects.filter(pk=subject_key.removeprefix("expense:"), receipt="").exists()


@notice_rule(
    "organizations.expenses_without_receipts",
    kind=NoticeKind.FUNDING,
    label=gettext_lazy("Expenses without an attached receipt"),
    still_due=receipt_still_due,
)
def expenses_without_receipts(as_of: date) -> Iterator[Draft]:
    """Once per expense recorded with a receipt number only, a week after it was spent: attach the scan."""
    directory = Directory()
    expenses = (
        Expense.objects.filter(receipt="", spent_on__lte=as_of - timedelta(days=RECEIPT_GRACE_DAYS))
        .filter(allocation__year__gte=as_of.year - 1)
        .select_related("allocation__organization__unit")
        .order_by("pk")
    )
    for expense in expenses:
        org = expense.allocation.organization
        yield Draft(
            subject_key=f"expense:{expense.pk}",
            period="receipt",
            title=_("%(org)s: the expense of %(amount)s yuan on %(date)s (%(purpose)s) has no receipt attached")
            % {
                "org": org.name,
                "amount": f"{expense.amount:,.2f}",
                "date": cn_date(expense.spent_on),
                "purpose": expense.purpose,
            },
            url=_compound_url(org, f"?year={expense.allocation.year}#expense-{expense.pk}"),
            recipients=directory.at(org.pk, SECRETARIES),
        )
