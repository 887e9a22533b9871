"""The portal writes money and dates one way on every page (``yiling/templatetags/portal.py``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from yiling.templatetags.portal import cn_date, money


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1000"), "1,000.00 元"),
        (Decimal("1234567.891"), "1,234,567.89 元"),
        (Decimal("0.005"), "0.01 元"),
        (0, "0.00 元"),
        (Decimal("-50.5"), "-50.50 元"),
        (None, ""),
        ("abc", ""),
    ],
)
def test_money_has_thousands_separators_two_places_and_yuan(amount, shown):
    with translation.override("zh-hans"):
        assert money(amount) == shown


def test_dates_are_written_the_chinese_way():
    assert cn_date(datetime.date(2026, 12, 2)) == "2026年12月2日"
    assert cn_date(None) == ""
    moment = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    # 23:30 UTC is the next morning in Yichang.
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert cn_date(moment) == "2026年3月2日 07:30"
    assert cn_date(datetime.datetime(2026, 3, 2, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))) == "2026年3月2日 07:30"


def test_the_filters_are_what_the_templates_use():
    with translation.override("zh-hans"):
        rendered = Template("{% load portal %}{{ a|money }} · {{ d|cn_date }}").render(
            Context({"a": Decimal("1000"), "d": datetime.date(2026, 1, 5)})
        )
    assert rendered == "1,000.00 元 · 2026年1月5日"


def test_no_portal_template_formats_money_or_dates_its_own_way():
    root = Path(settings.BASE_DIR) / "templates"
    offenders = [
        str(path.relative_to(root))
        for folder in ("members", "organizations", "yiling")
        for path in (root / folder).glob("*.html")
        if "|floatformat" in path.read_text() or '|date:"' in path.read_text()
    ]
    assert offenders == []
