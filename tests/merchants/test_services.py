from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from merchants import services
from merchants.models import Feedback, Grade, Merchant, Pledge, Rating


def test_add_working_days_skips_the_weekend():
    friday = date(2026, 12, 4)
    assert services.add_working_days(friday, 3) == date(2026, 12, 9)
    assert services.add_working_days(date(2026, 12, 1), 3) == date(2026, 12, 4)


def test_pledges_are_versioned_and_one_is_current(market):
    merchant = market["m_a"]
    proposal = services.pledge_propose(merchant=merchant, text="  童叟无欺 \n\n 假一赔十 ")
    assert proposal.version == 2 and proposal.text == "童叟无欺\n假一赔十"
    with pytest.raises(ValidationError):
        services.pledge_propose(merchant=merchant, text="再来一条")
    services.pledge_approve(pledge=proposal, by=market["secretary"])
    statuses = dict(Pledge.objects.filter(merchant=merchant).values_list("version", "status"))
    assert statuses == {1: Pledge.Status.SUPERSEDED, 2: Pledge.Status.APPROVED}
    with pytest.raises(ValidationError):
        services.pledge_approve(pledge=proposal, by=market["secretary"])


def test_returning_a_pledge_needs_a_reason(market):
    proposal = services.pledge_propose(merchant=market["m_a"], text="新的承诺")
    with pytest.raises(ValidationError):
        services.pledge_return(pledge=proposal, reason=" ", by=market["secretary"])
    services.pledge_return(pledge=proposal, reason="措辞不当", by=market["secretary"])
    proposal.refresh_from_db()
    assert proposal.status == Pledge.Status.RETURNED and proposal.return_reason == "措辞不当"


def test_one_current_pledge_is_a_database_rule(market):
    merchant = market["m_a"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.create(
            merchant=merchant, version=9, text="x", status=Pledge.Status.APPROVED, proposed_at=timezone.now()
        )


def test_a_complaint_is_due_in_three_working_days(market):
    feedback = services.feedback_submit(
        merchant=market["m_a"], kind="complaint", text="缺斤少两", contact_phone="13812345678"
    )
    assert feedback.status == Feedback.Status.PENDING
    assert feedback.due_on == services.add_working_days(timezone.localdate(), 3)
    assert len(feedback.receipt) == 10
    praise = services.feedback_submit(merchant=market["m_a"], kind="praise", text="服务好")
    assert praise.due_on is None


def test_closing_a_complaint_needs_a_result(market):
    feedback = services.feedback_submit(merchant=market["m_a"], kind="complaint", text="缺斤少两")
    with pytest.raises(ValidationError):
        services.complaint_close(feedback=feedback, result="", by=market["secretary"])
    services.complaint_close(feedback=feedback, result="已退还差价", by=market["secretary"])
    feedback.refresh_from_db()
    assert feedback.closed_at and feedback.result == "已退还差价" and feedback.handler == market["secretary"]
    with pytest.raises(ValidationError):
        services.complaint_close(feedback=feedback, result="again", by=market["secretary"])


def test_rate_limits_by_address_and_by_board(market, settings):
    merchant = market["m_a"]
    source = services.source_of("10.0.0.1")
    for _ in range(services.PER_ADDRESS_PER_HOUR):
        assert services.feedback_refusal(merchant=merchant, source=source) is None
        services.feedback_submit(merchant=merchant, kind="praise", text="好", source=source)
    assert "5" in services.feedback_refusal(merchant=merchant, source=source)
    assert services.feedback_refusal(merchant=market["m_b"], source=source) is not None
    other = services.source_of("10.0.0.2")
    assert services.feedback_refusal(merchant=merchant, source=other) is None
    Feedback.objects.filter(source=source).update(submitted_at=timezone.now() - timedelta(hours=2))
    assert services.feedback_refusal(merchant=merchant, source=source) is None


def test_rating_is_computed_and_revocation_revokes_the_merchant(market):
    merchant = market["m_a"]
    year = timezone.localdate().year
    cycle = services.rating_cycle_create(organization=market["street_a"], year=year, criteria="诚信")
    praise = services.feedback_submit(merchant=merchant, kind="praise", text="好")
    services.feedback_publish(feedback=praise, by=None)
    complaint = services.feedback_submit(merchant=merchant, kind="complaint", text="差")
    services.complaint_close(feedback=complaint, result="已处理", by=market["secretary"])
    rating = services.rating_record(cycle=cycle, merchant=merchant, inspection_score=38)
    assert (rating.praise_score, rating.complaint_score, rating.total) == (22, 30, 90)
    assert rating.grade == Grade.FIVE and "90" in rating.explanation
    with pytest.raises(ValidationError):
        services.rating_record(cycle=cycle, merchant=merchant, inspection_score=10, revokes_plaque=True)
    services.rating_record(
        cycle=cycle, merchant=merchant, inspection_score=10, revokes_plaque=True, revocation_reason="销售假货"
    )
    merchant.refresh_from_db()
    assert Rating.objects.get(cycle=cycle, merchant=merchant).grade == Grade.FAIL
    assert merchant.status == Merchant.Status.REVOKED and merchant.status_reason == "销售假货"


def test_suspending_needs_a_reason(market):
    with pytest.raises(ValidationError):
        services.merchant_set_status(merchant=market["m_a"], status=Merchant.Status.SUSPENDED, reason="")


def test_zone_must_be_in_the_shops_district(market):
    zone = services.zone_create(district=market["market_b"].unit, name="一区")
    with pytest.raises(ValidationError):
        services.merchant_update(merchant=market["m_a"], zone=zone)
