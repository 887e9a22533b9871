import pytest
from django.core.exceptions import ValidationError

from merchants import selectors, services
from merchants.models import Feedback, Merchant, Pledge, RatingCycle
from organizations.models import Role
from organizations.services import role_assign
from tests.organizations.factories import UserFactory


def test_market_secretary_reaches_the_shops_of_the_district(market):
    secretary = market["secretary"]
    assert list(Merchant.objects.visible_to(secretary)) == [market["m_a"]]
    services.feedback_submit(merchant=market["m_a2"], kind="praise", text="好")
    mine = services.feedback_submit(merchant=market["m_a"], kind="praise", text="好")
    assert list(Feedback.objects.visible_to(secretary)) == [mine]


def test_street_staff_reach_every_market_of_the_street(market):
    assert set(Merchant.objects.visible_to(market["street_user"])) == {market["m_a"], market["m_a2"]}


def test_merchant_reaches_only_the_own_shop(market):
    user = market["merchant_user"]
    assert list(Merchant.objects.visible_to(user)) == [market["m_a"]]
    assert set(Pledge.objects.visible_to(user)) == set(market["m_a"].pledges.all())
    assert selectors.own_merchants(user) == [market["m_a"]]


def test_market_secretary_role_binds_to_a_business_district_organization(market):
    with pytest.raises(ValidationError):
        role_assign(user=UserFactory(), role=Role.MARKET_SECRETARY, organization=market["street_a"])


def test_rating_cycles_are_scoped(market):
    street_cycle = services.rating_cycle_create(organization=market["street_a"], year=2025, criteria="x")
    services.rating_cycle_create(organization=market["street_b"], year=2025, criteria="x")
    assert list(RatingCycle.objects.visible_to(market["street_user"])) == [street_cycle]
    assert list(selectors.rating_cycles(market["secretary"])) == []
