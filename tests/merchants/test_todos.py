"""The merchants to-do items: feedback to moderate, pledge proposals, overdue complaints, for the desk's
users with the link to the desk page; nothing for a user outside the reach or off the desk; one query
whatever the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from merchants import services, todos
from merchants.models import Feedback
from organizations.models import Role
from tests.organizations.factories import user_with_role
from yiling import todos as registry

from .factories import make_merchant

pytestmark = pytest.mark.django_db

ITEMS = ("feedback_to_moderate", "pledge_proposals", "complaints_overdue")


def totals(user) -> dict[str, int]:
    return {name: sum(e.count for e in getattr(todos, name)(user)) for name in ITEMS}


def overdue_complaint(merchant):
    feedback = services.feedback_submit(merchant=merchant, kind=Feedback.Kind.COMPLAINT, text="缺斤少两")
    Feedback.objects.filter(pk=feedback.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    return feedback


def test_the_items_are_registered_by_merchants_with_a_definition():
    items = {item.name: item for item in registry.registered()}
    assert all(items[name].app_label == "merchants" and str(items[name].definition) for name in ITEMS)


def test_the_business_district_secretary_sees_what_waits_at_the_desk(market):
    for merchant in (market["m_a"], market["m_b"]):
        services.feedback_submit(merchant=merchant, kind=Feedback.Kind.PRAISE, text="服务热情")
        services.pledge_propose(merchant=merchant, text="不卖假货")
        overdue_complaint(merchant)
    services.feedback_submit(merchant=market["m_a"], kind=Feedback.Kind.SUGGESTION, text="多进新货")
    # A complaint not yet due, and one closed, are not overdue.
    services.feedback_submit(merchant=market["m_a"], kind=Feedback.Kind.COMPLAINT, text="态度差")
    closed = overdue_complaint(market["m_a"])
    services.complaint_close(feedback=closed, result="已道歉", by=market["secretary"])

    secretary = market["secretary"]
    # Pending: praise, suggestion, and the three complaints (all still awaiting review).
    assert totals(secretary) == {"feedback_to_moderate": 5, "pledge_proposals": 1, "complaints_overdue": 1}
    market_unit = market["market_a"].unit
    entries = todos.feedback_to_moderate(secretary)
    assert [(e.where, e.url) for e in entries] == [(market_unit.name, reverse("merchants:moderation"))]
    assert [e.url for e in todos.pledge_proposals(secretary)] == [reverse("merchants:pledges")]
    assert [e.url for e in todos.complaints_overdue(secretary)] == [reverse("merchants:complaints")]
    # Street A's staff see both of street A's markets (only market A has something), not street B's.
    assert totals(market["street_user"]) == totals(secretary)


def test_nothing_for_a_user_outside_the_reach_or_off_the_desk(market):
    services.feedback_submit(merchant=market["m_a"], kind=Feedback.Kind.PRAISE, text="好")
    services.pledge_propose(merchant=market["m_a"], text="诚信")
    overdue_complaint(market["m_a"])
    other = user_with_role(Role.MARKET_SECRETARY, organization=market["market_b"])
    compound = user_with_role(Role.COMPOUND_SECRETARY, organization=market["compound_a"])
    for user in (other, compound, market["merchant_user"]):
        assert totals(user) == dict.fromkeys(ITEMS, 0)


def test_each_item_reads_in_one_query_whatever_the_number_of_shops(market):
    secretary = market["secretary"]

    def queries() -> list[int]:
        user = type(secretary).objects.get(pk=secretary.pk)
        found = []
        for name in ITEMS:
            with CaptureQueriesContext(connection) as ctx:
                assert getattr(todos, name)(user)
            found.append(len(ctx.captured_queries))
        return found

    def grow(n: int) -> None:
        for i in range(n):
            merchant = make_merchant(market["market_a"], name=f"新店{i}")
            services.pledge_propose(merchant=merchant, text="诚信")
            overdue_complaint(merchant)

    grow(1)
    few = queries()
    grow(4)
    assert queries() == few
    assert max(few) <= 2
