"""In a real browser on a phone-sized page: a community secretary records an activity and spends from
a compound branch's activity fund, is refused an overdraft, and cannot open another community's compound."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from organizations import services
from organizations.models import Activity, ActivityKind, Expense, FundAllocation, Role
from tests.organizations.factories import district_tree, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_community_secretary_records_an_activity_and_spends_within_the_balance(live_server, page):
    tree = district_tree()
    today = timezone.localdate()
    services.allocations_grant(year=today.year, granted_on=today.replace(month=1, day=1))
    fund = FundAllocation.objects.get(organization=tree["compound_a"], year=today.year)
    compound = tree["compound_a"].unit
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], username="community")
    page.set_viewport_size({"width": 390, "height": 844})

    log_in(page, f"{live_server.url}/organizations/compounds/", "community")
    page.click("header nav >> text=小区")
    assert page.locator("table.compounds tr[data-unit]").count() == 1
    page.click(f"tr[data-unit='{compound.code}'] a")
    assert page.locator("h1").inner_text() == compound.name
    assert page.locator("#money dd.balance").inner_text() == "1,000.00 元"

    # Record an activity (each form opens from its heading, to keep the page short on a phone).
    page.click("details.activity summary")
    form = page.locator("form.activity")
    form.locator("select[name=kind]").select_option(ActivityKind.THEME_DAY.value)
    form.locator("input[name=title]").fill("七一主题党日")
    form.locator("input[name=held_on]").fill(today.isoformat())
    form.locator("input[name=attendance]").fill("32")
    form.locator("textarea[name=report]").fill("重温入党誓词，清理楼道杂物。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("ul.messages li.success").inner_text() == "活动“七一主题党日”已记录。"
    assert "七一主题党日" in page.locator("#activities table.activities").inner_text()

    # Spend from the activity fund: the balance goes down.
    page.click("details.expense summary")
    form = page.locator("form.expense")
    form.locator("select[name=allocation]").select_option(str(fund.pk))
    form.locator("input[name=amount]").fill("300.50")
    form.locator("input[name=spent_on]").fill(today.isoformat())
    form.locator("input[name=purpose]").fill("党日活动横幅")
    form.locator("input[name=receipt_number]").fill("FP-2026-001")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("ul.messages li.success").count() == 1
    assert page.locator("#money dd.balance").inner_text() == "699.50 元"
    assert "党日活动横幅" in page.locator("table.expenses").inner_text()

    # More than is left: refused, with the reason, and nothing written.
    page.click("details.expense summary")
    form = page.locator("form.expense")
    form.locator("select[name=allocation]").select_option(str(fund.pk))
    form.locator("input[name=amount]").fill("700")
    form.locator("input[name=spent_on]").fill(today.isoformat())
    form.locator("input[name=purpose]").fill("超支的采购")
    form.locator("input[name=receipt_number]").fill("FP-2026-002")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("ul.messages li.error").inner_text()
    assert refusal.startswith("金额（元）：") and "余额：仅剩" in refusal and "699.50" in refusal
    assert page.locator("#money dd.balance").inner_text() == "699.50 元"
    assert page.locator("form.expense input[name=purpose]").input_value() == "超支的采购"

    assert list(Expense.objects.values_list("amount", "purpose")) == [(Decimal("300.50"), "党日活动横幅")]
    activity = Activity.objects.get()
    assert (activity.compound, activity.attendance, activity.title) == (compound, 32, "七一主题党日")

    # Another community's compound: not found, and no form to post to.
    response = page.goto(f"{live_server.url}/organizations/compounds/{tree['compound_b'].unit.code}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="页面不存在").is_visible()
    assert page.locator("form.expense").count() == 0
