"""What ``seed_demo`` loads for the merchants (seeded once for the module)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from merchants import selectors
from merchants.models import Feedback, Merchant, Rating, ServiceTeam
from organizations.models import Role, RoleAssignment
from tests.yiling.seeding import FAST_HASHERS, demo_loaded
from yiling.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        yield demo_loaded()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return _seeded_once


def test_figures_of_the_case(seeded):
    out = StringIO()
    call_command("indicators", "--format", "json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["business_districts"] == 12
    assert figures["demonstration_business_districts"] == 5
    assert figures["merchants_displaying"] == 358
    assert figures["service_teams"] == 4
    assert figures["complaints_open"] >= 1
    assert set(Feedback.objects.values_list("status", flat=True)) == {"pending", "published", "rejected"}
    assert Rating.objects.values("grade").distinct().count() >= 3
    assert Merchant.objects.filter(status="revoked").count() == 1
    assert all(team.members.count() == 6 and team.activities.count() == 2 for team in ServiceTeam.objects.all())


def test_demo_merchant_reaches_a_shop_with_feedback_waiting_for_a_reply(seeded):
    client = Client()
    response = client.post(reverse("login"), {"username": "merchant", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("portal-home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("merchants:shop", kwargs={"code": "SH-CJSC-01"})
    merchant = Merchant.objects.get(shop__code="SH-CJSC-01")
    waiting = merchant.feedback.filter(status="published", reply="")
    assert waiting.exists() and waiting.first().text in response.content.decode()


def test_market_secretary_keeps_changjiang_market(seeded):
    assignment = RoleAssignment.objects.get(user__username="market")
    assert assignment.role == Role.MARKET_SECRETARY and assignment.organization.code == "ORG-BD-CJSC"
    user = assignment.user
    assert selectors.merchants_visible(user).count() == Merchant.objects.filter(shop__parent__code="BD-CJSC").count()
    assert selectors.moderation_queue(user).exists()


def test_every_displaying_merchant_has_duties_and_pledges(seeded):
    for code in Merchant.objects.displaying().values_list("board_code", flat=True)[:400]:
        data = selectors.board_data_uncached(code)
        assert data["pledges"] and data["duties"], code
