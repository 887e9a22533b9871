"""Whether the header shows the merchants links: to merchants and to those who keep the desk."""

from __future__ import annotations

from typing import Any

from django import template

from merchants import selectors

register = template.Library()


@register.simple_tag
def merchants_nav(user: Any) -> dict[str, bool]:
    if not getattr(user, "is_authenticated", False):
        return {"shop": False, "desk": False}
    return {"shop": bool(selectors.own_merchant_ids(user)), "desk": selectors.may_use_desk(user)}
