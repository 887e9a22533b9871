"""How the portal writes money and dates, the same on every page: ``{% load portal %}``, then
``{{ amount|money }}`` ("1,000.00 元") and ``{{ day|cn_date }}`` ("2026年12月2日"); a date shown to the
month only (a masked birth date) is ``{{ day|cn_month }}`` ("1959年3月"). Python code writing text for
people (messages, notice titles, choice labels) calls the same functions."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def money(amount: Decimal | int | float | str | None) -> str:
    """An amount in yuan with thousands separators and two places; empty when there is none."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    return _("%(amount)s yuan") % {"amount": f"{value:,.2f}"}


@register.filter
def cn_date(value: datetime.date | datetime.datetime | None) -> str:
    """A date as Chinese is written (2026年12月2日); a moment also gets its local time (14:05)."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def cn_month(value: datetime.date | None) -> str:
    """A date to the month only (1959年3月): what a masked birth date gives away, and no more."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月"


def cn_quarter(year: int, quarter: int) -> str:
    """A quarter as Chinese is written (2026年第4季度)."""
    return f"{year}年第{quarter}季度"


def cn_week(year: int, week: int) -> str:
    """An ISO week as Chinese is written (2026年第23周)."""
    return f"{year}年第{week}周"
