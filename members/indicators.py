"""Figures of the roster, for any subtree of the organization tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from yiling.indicators import indicator

from . import selectors
from .models import Category, CheckIn, VolunteerPost

if TYPE_CHECKING:
    from organizations.models import Organization

ROSTER = "members:member-list"


@indicator(
    "members",
    _("Party members"),
    definition=_("Members whose membership is held by an organization of the subtree."),
    link=ROSTER,
)
def members(scope: Organization | None) -> int:
    return selectors.members_within(scope).count()


@indicator(
    "members_by_category",
    _("Party members by category"),
    key_labels=dict(Category.choices),
    definition=_("The same members, by in-service, retired, floating and other."),
    link=ROSTER,
)
def members_by_category(scope: Organization | None) -> dict[str, int]:
    counts = dict(
        selectors.members_within(scope)
        .order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    return {c: counts.get(c, 0) for c in Category.values}


@indicator(
    "in_service_reported_in",
    _("In-service members reported in"),
    definition=_("In-service members with a confirmed report-in at a compound or community."),
    link=ROSTER,
)
def in_service_reported_in(scope: Organization | None) -> int:
    confirmed = CheckIn.objects.filter(status=CheckIn.Status.CONFIRMED).values("member_id")
    return selectors.members_within(scope).filter(category=Category.IN_SERVICE, pk__in=confirmed).count()


@indicator(
    "volunteer_posts_filled",
    _("Volunteer posts held"),
    definition=_("Volunteer posts (六员) members hold now in the subtree's compounds."),
    link="organizations:compound-list",
)
def volunteer_posts_filled(scope: Organization | None) -> int:
    qs = VolunteerPost.objects.active()
    if scope is not None:
        qs = qs.filter(compound__organization__path__startswith=scope.path)
    return qs.count()


@indicator(
    "floating_members",
    _("Floating members"),
    definition=_("Members living away with an open floating record in the subtree."),
    link=ROSTER,
)
def floating_members(scope: Organization | None) -> int:
    return selectors.open_floating_records(scope).values("member_id").distinct().count()
