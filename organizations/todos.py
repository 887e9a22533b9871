"""What waits for a secretary in compound governance: terms running out, expenses without a receipt."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiling.scoping import assignments_of
from yiling.todos import Entry, todo

from .models import ORGANIZATION_ROLES, Expense, Organization, OwnersCommittee

if TYPE_CHECKING:
    from yiling.scoping import UserLike

#: How far ahead a term running out is shown.
TERM_WARNING_DAYS = 90
SHOWN = 20


def _compound_url(code: str, anchor: str) -> str:
    return reverse("organizations:compound-detail", kwargs={"code": code}) + anchor


def _acting(user: UserLike, lookup: str) -> Q | None:
    """Rows whose organization (its path reached through ``lookup``) lies in the subtree of one of the
    user's organization-bound roles; everything for a superuser; None: nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Q()
    paths = [a.organization.path for a in assignments_of(user) if a.role in ORGANIZATION_ROLES and a.organization_id]
    if not paths:
        return None
    return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in paths))


@todo(
    "terms_expiring",
    _("Terms expiring within 90 days"),
    definition=_("Branches and owners' committees whose term ends within 90 days: prepare the election."),
    order=30,
)
def terms_expiring(user: UserLike) -> list[Entry]:
    branches_reach, committees_reach = _acting(user, "path"), _acting(user, "compound__organization__path")
    if branches_reach is None or committees_reach is None:
        return []
    today = timezone.localdate()
    window = (today, today + timedelta(days=TERM_WARNING_DAYS))
    branches = (
        Organization.objects.visible_to(user)
        .active()
        .filter(branches_reach, term_ends_on__range=window)
        .order_by("term_ends_on", "code")
        .values("code", "name")
    )
    committees = (
        OwnersCommittee.objects.visible_to(user)
        .current()
        .filter(committees_reach, term_ends_on__range=window)
        .order_by("term_ends_on", "compound__code")
        .values("compound__code", "compound__name")
    )
    entries = [
        Entry(where=r["name"], count=1, url=reverse("organizations:organization-detail", kwargs={"code": r["code"]}))
        for r in branches[:SHOWN]
    ]
    entries += [
        Entry(
            where=str(_("%(compound)s owners' committee") % {"compound": r["compound__name"]}),
            count=1,
            url=_compound_url(r["compound__code"], "#committee"),
        )
        for r in committees[:SHOWN]
    ]
    return entries


@todo(
    "expenses_without_receipts",
    _("Expenses without receipts"),
    definition=_("Expenses recorded with a receipt number only, no photograph or scan of the receipt."),
    order=40,
)
def expenses_without_receipts(user: UserLike) -> list[Entry]:
    reach = _acting(user, "allocation__organization__path")
    if reach is None:
        return []
    rows = (
        Expense.objects.visible_to(user)
        .filter(reach, receipt="", allocation__organization__unit__isnull=False)
        .order_by()
        .values("allocation__organization__unit__code", "allocation__organization__unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "allocation__organization__unit__code")
    )
    return [
        Entry(
            where=r["allocation__organization__unit__name"],
            count=r["n"],
            url=_compound_url(r["allocation__organization__unit__code"], "#money"),
        )
        for r in rows[:SHOWN]
    ]
