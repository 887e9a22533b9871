"""The merchants notice rules: complaints past due, feedback waiting for moderation, the rating cycle
opening and closing: who hears, in which period, once, and not when no longer due."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from merchants import services
from merchants.models import Feedback
from organizations.models import Role
from tests.organizations.factories import user_with_role
from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry
from yiling.notices import services as notice_services
from yiling.notices.models import Notice

from .factories import make_merchant

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def run(name: str, as_of: date):
    return notice_services.run_rule(registry.get_rule(name), as_of=as_of)


def recipients(rule: str) -> set[int]:
    return set(Notice.objects.filter(rule=rule).values_list("recipient_id", flat=True))


def complaint(merchant, text: str = "缺斤少两"):
    return services.feedback_submit(merchant=merchant, kind=Feedback.Kind.COMPLAINT, text=text)


def test_an_overdue_complaint_reaches_the_business_district_secretary_once_per_due_date(market):
    other = user_with_role(Role.MARKET_SECRETARY, organization=market["market_b"])
    mine, theirs = complaint(market["m_a"]), complaint(market["m_b"])
    assert run("merchants.complaints_overdue", mine.due_on).created == 0
    assert run("merchants.complaints_overdue", mine.due_on + timedelta(days=1)).created == 2
    assert {(n.recipient_id, n.subject_key) for n in Notice.objects.all()} == {
        (market["secretary"].pk, f"feedback:{mine.pk}"),
        (other.pk, f"feedback:{theirs.pk}"),
    }
    assert Notice.objects.filter(period=f"{mine.due_on}:overdue").count() == 2
    assert run("merchants.complaints_overdue", mine.due_on + timedelta(days=5)).created == 0


def test_a_closed_or_postponed_complaint_is_no_longer_due(market):
    rule = registry.get_rule("merchants.complaints_overdue")
    feedback = complaint(market["m_a"])
    later = feedback.due_on + timedelta(days=1)
    period = f"{feedback.due_on}:overdue"
    assert rule.still_due(f"feedback:{feedback.pk}", period, later)
    services.complaint_assign(feedback=feedback, handler=market["secretary"], due_on=later + timedelta(days=5))
    assert not rule.still_due(f"feedback:{feedback.pk}", period, later)
    assert run("merchants.complaints_overdue", later).created == 0
    services.complaint_close(feedback=feedback, result="已退款", by=market["secretary"])
    assert not rule.still_due(f"feedback:{feedback.pk}", f"{feedback.due_on}:overdue", later + timedelta(days=9))
    assert run("merchants.complaints_overdue", later + timedelta(days=9)).created == 0


def test_feedback_waiting_three_days_for_review_reaches_the_secretary_until_moderated(market):
    praise = services.feedback_submit(merchant=market["m_a"], kind=Feedback.Kind.PRAISE, text="服务热情")
    services.feedback_submit(merchant=market["m_a2"], kind=Feedback.Kind.PRAISE, text="价格公道")  # no secretary
    assert run("merchants.feedback_waiting", TODAY + timedelta(days=2)).created == 0
    assert run("merchants.feedback_waiting", TODAY + timedelta(days=3)).created == 1
    assert recipients("merchants.feedback_waiting") == {market["secretary"].pk}
    assert run("merchants.feedback_waiting", TODAY + timedelta(days=4)).created == 0
    rule = registry.get_rule("merchants.feedback_waiting")
    assert rule.still_due(f"feedback:{praise.pk}", "moderation", TODAY)
    services.feedback_publish(feedback=praise, by=market["secretary"])
    assert not rule.still_due(f"feedback:{praise.pk}", "moderation", TODAY)


def test_an_open_rating_cycle_reaches_its_merchants_and_secretary_once(market):
    outsider = user_with_role(Role.MERCHANT, unit=market["m_b"].shop)
    cycle = services.rating_cycle_create(organization=market["market_a"], year=TODAY.year, criteria="诚信经营")
    assert run("merchants.rating_cycle_open", TODAY).created == 2
    assert recipients("merchants.rating_cycle_open") == {market["merchant_user"].pk, market["secretary"].pk}
    assert outsider.pk not in recipients("merchants.rating_cycle_open")
    assert set(Notice.objects.values_list("period", flat=True)) == {f"{TODAY.year}:open"}
    assert run("merchants.rating_cycle_open", TODAY + timedelta(days=1)).created == 0
    rule = registry.get_rule("merchants.rating_cycle_open")
    assert rule.still_due(f"cycle:{cycle.pk}", f"{TODAY.year}:open", TODAY)
    services.rating_cycle_publish(cycle=cycle)
    assert not rule.still_due(f"cycle:{cycle.pk}", f"{TODAY.year}:open", TODAY)


def test_a_rating_cycle_still_unpublished_in_december_is_reminded_as_closing(market):
    cycle = services.rating_cycle_create(organization=market["market_a"], year=TODAY.year, criteria="诚信经营")
    services.rating_record(cycle=cycle, merchant=market["m_a"], inspection_score=35)
    make_merchant(market["market_a"], name="李记杂货")
    assert run("merchants.rating_cycle_closing", date(TODAY.year, 11, 30)).created == 0
    assert run("merchants.rating_cycle_closing", date(TODAY.year, 12, 1)).created == 1
    notice = Notice.objects.get()
    assert notice.recipient == market["secretary"]
    # 1 of the district's 2 displaying merchants rated (the year aside).
    assert [n for n in re.findall(r"\d+", notice.title) if n != str(TODAY.year)] == ["1", "2"]
    assert run("merchants.rating_cycle_closing", date(TODAY.year, 12, 15)).created == 0
    rule = registry.get_rule("merchants.rating_cycle_closing")
    period = f"{TODAY.year}:closing"
    assert rule.still_due(f"cycle:{cycle.pk}", period, date(TODAY.year, 12, 2))
    assert not rule.still_due(f"cycle:{cycle.pk}", period, date(TODAY.year + 1, 1, 2))
    services.rating_cycle_publish(cycle=cycle)
    assert not rule.still_due(f"cycle:{cycle.pk}", period, date(TODAY.year, 12, 2))


def test_the_rules_read_in_queries_that_do_not_grow_with_the_shops(market):
    year_end = date(TODAY.year, 12, 20)
    overdue = TODAY + timedelta(days=30)

    def grow(n: int) -> None:
        for i in range(n):
            merchant = make_merchant(market["market_a"], name=f"新店{i}")
            user_with_role(Role.MERCHANT, unit=merchant.shop)
            complaint(merchant)
            services.feedback_submit(merchant=merchant, kind=Feedback.Kind.PRAISE, text="好")

    def counts() -> list[int]:
        found = []
        for name, as_of in (
            ("merchants.complaints_overdue", overdue),
            ("merchants.feedback_waiting", overdue),
            ("merchants.rating_cycle_open", TODAY),
            ("merchants.rating_cycle_closing", year_end),
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert list(registry.get_rule(name).collect(as_of))
            found.append(len(ctx.captured_queries))
        return found

    services.rating_cycle_create(organization=market["market_a"], year=TODAY.year, criteria="诚信经营")
    services.rating_cycle_create(organization=market["market_b"], year=TODAY.year, criteria="诚信经营")
    grow(1)
    few = counts()
    grow(4)
    assert counts() == few
