"""In a real browser on a phone: a compound secretary sees the unread count in the header, opens the
inbox and follows a funding reminder to the expense it is about; the count then drops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.models import Role
from tests.organizations.factories import district_tree, user_with_role
from tests.yiling.notices_factories import expense_without_scan
from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry, services

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def test_compound_secretary_follows_a_funding_reminder_to_its_expense(live_server, page):
    tree = district_tree()
    expense = expense_without_scan(tree["compound_a"], spent_on=timezone.localdate() - timedelta(days=10))
    user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"], username="compound")
    services.run_rule(registry.get_rule("organizations.expenses_without_receipts"), as_of=timezone.localdate())
    page.set_viewport_size({"width": 390, "height": 844})

    log_in(page, f"{live_server.url}/members/", "compound")
    badge = page.locator("header a.nav-notices .badge")
    assert badge.inner_text() == "1"

    page.click("header a.nav-notices")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "通知"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    reminder = page.locator("li.notice-item.unread h2 a")
    assert "未上传票据" in reminder.inner_text() and "购买党建书籍" in reminder.inner_text()

    reminder.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#expense-{expense.pk}")
    row = page.locator(f"tr#expense-{expense.pk}")
    assert row.is_visible() and "购买党建书籍" in row.inner_text()
    # Read now: the header has no count any more.
    assert page.locator("header a.nav-notices .badge").count() == 0
