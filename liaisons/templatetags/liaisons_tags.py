"""``{% load liaisons_tags %}``: whether the header shows the liaisons pages to a user."""

from __future__ import annotations

from typing import Any

from django import template

from organizations.models import Role
from yiling.scoping import assignments_of

register = template.Library()


@register.filter
def uses_liaisons(user: Any) -> bool:
    """Superusers and every role but the merchant's (read from the assignments the page already cached)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(a.role != Role.MERCHANT for a in assignments_of(user))


@register.simple_tag
def agency_pairings(agency: Any) -> list[Any]:
    """The compounds ``agency`` is paired with today, with their open and overdue problems (one query)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from liaisons.models import OPEN_STATES, Liaison

    today = timezone.localdate()
    open_problem = Q(compound__demands__state__in=OPEN_STATES)
    return list(
        Liaison.objects.active_on(today)
        .filter(agency=agency)
        .select_related("compound")
        .annotate(
            open_count=Count("compound__demands", filter=open_problem),
            overdue_count=Count("compound__demands", filter=open_problem & Q(compound__demands__due_on__lt=today)),
        )
        .order_by("compound__code")
    )
