from datetime import timedelta

from django.utils import timezone

from merchants import indicators, services
from merchants.models import Feedback


def test_indicators_count_within_the_subtree(market):
    services.district_profile_set(unit=market["market_b"].unit, kind="street", is_demonstration=True)
    services.team_create(organization=market["market_a"], kind="patrol", name="治安巡逻队")
    services.merchant_set_status(merchant=market["m_a2"], status="suspended", reason="整顿")
    on_time = services.feedback_submit(merchant=market["m_a"], kind="complaint", text="差")
    late = services.feedback_submit(merchant=market["m_a"], kind="complaint", text="差")
    services.feedback_submit(merchant=market["m_b"], kind="complaint", text="差")
    services.complaint_close(feedback=on_time, result="已处理", by=None)
    services.complaint_close(feedback=late, result="已处理", by=None)
    Feedback.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    street_a = market["street_a"]
    assert indicators.business_districts(None) == 3 and indicators.business_districts(street_a) == 2
    assert indicators.demonstration_business_districts(None) == 1
    assert indicators.demonstration_business_districts(street_a) == 0
    assert indicators.merchants_displaying(None) == 2 and indicators.merchants_displaying(street_a) == 1
    assert indicators.service_teams(street_a) == 1 and indicators.service_teams(market["street_b"]) == 0
    assert indicators.feedback_received(street_a) == 2 and indicators.feedback_received(None) == 3
    assert indicators.complaints_open(street_a) == 0 and indicators.complaints_open(None) == 1
    assert indicators.complaints_resolved_on_time_rate(street_a) == 50.0
    assert indicators.complaints_resolved_on_time_rate(market["street_b"]) is None
