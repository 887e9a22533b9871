"""Whether the header shows the alliance pages: staff bound to the district or to a street or park."""

from __future__ import annotations

from typing import Any

from django import template

from organizations.models import Role
from yiling.scoping import assignments_of

register = template.Library()

#: the roles whose part of the tree can hold parks, their alliances and enterprises
ALLIANCE_ROLES = {Role.DISTRICT_STAFF, Role.STREET_STAFF}


@register.filter
def may_use_alliances(user: Any) -> bool:
    """Read from the assignments the page has already loaded (no query on a scoped page)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or any(a.role in ALLIANCE_ROLES for a in assignments_of(user))
