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
