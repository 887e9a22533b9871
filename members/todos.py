"""What waits for a secretary on the roster: report-ins to confirm, volunteer posts nobody holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from organizations.models import Unit, UnitType
from organizations.selectors import acting_reach
from yiling.todos import Entry, todo

from .models import CheckIn, PostKind

if TYPE_CHECKING:
    from yiling.scoping import UserLike

#: How many places an item lists; the total still counts them all.
SHOWN = 20


def _unit_url(code: str, anchor: str) -> str:
    return reverse("members:unit-detail", kwargs={"code": code}) + anchor


@todo(
    "checkins_to_confirm",
    _("Report-ins to confirm"),
    definition=_("Members who reported in at a compound or community you lead and wait for your confirmation."),
    order=10,
)
def checkins_to_confirm(user: UserLike) -> list[Entry]:
    reach = acting_reach(user, "unit")
    if reach is None:
        return []
    rows = (
        CheckIn.objects.visible_to(user)
        .filter(reach, status=CheckIn.Status.PENDING)
        .order_by()
        .values("unit__code", "unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__code")
    )
    return [
        Entry(where=r["unit__name"], count=r["n"], url=_unit_url(r["unit__code"], "#pending")) for r in rows[:SHOWN]
    ]


@todo(
    "empty_volunteer_posts",
    _("Empty volunteer posts"),
    definition=_("Of the six posts (六员) of each compound you lead, those nobody holds now."),
    order=20,
)
def empty_volunteer_posts(user: UserLike) -> list[Entry]:
    reach = acting_reach(user)
    if reach is None:
        return []
    held = Count("volunteer_posts__post", filter=Q(volunteer_posts__ended_on__isnull=True), distinct=True)
    six = len(PostKind.values)
    rows = (
        Unit.objects.visible_to(user)
        .filter(reach, unit_type=UnitType.COMPOUND)
        .annotate(held=held)
        .filter(held__lt=six)
        .order_by("held", "code")
        .values("code", "name", "held")
    )
    return [Entry(where=r["name"], count=six - r["held"], url=_unit_url(r["code"], "#posts")) for r in rows[:SHOWN]]
