"""``manage.py seed_demo`` pairs the 67 agencies with compounds as the case tells, with problems in every
state; the demo agency account reaches its compound and its open problems."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from liaisons.models import Deliberation, Demand, Liaison, State
from tests.yiling.seeding import FAST_HASHERS, demo_loaded
from yiling.indicators import compute_all

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        demo_loaded()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return None


def test_67_agencies_each_paired_with_a_compound_as_the_case_tells(seeded):
    pairs = dict(Liaison.objects.values_list("agency__name", "compound__name"))
    assert len(pairs) == 67
    assert pairs["区委办公室"] == "平湖国际"
    assert pairs["区人大常委会办公室"] == "松湖花园"
    values = compute_all(None)
    assert (values["agencies"], values["paired_compounds"], values["unpaired_compounds"]) == (67, 67, 3)


def test_problems_in_every_state_and_deliberations(seeded):
    assert set(Demand.objects.values_list("state", flat=True)) == set(State.values)
    assert Deliberation.objects.filter(demands__isnull=False).exists()


def test_the_demo_agency_account_lands_on_its_compound_and_open_problems(seeded):
    client = Client()
    client.force_login(get_user_model().objects.get(username="agency"))
    page = client.get(reverse("liaisons:home")).content.decode()
    assert "平湖国际" in page and "地下车库消防通道被占" in page
    assert "松湖花园" not in page


def test_a_second_run_writes_nothing_of_the_liaisons(seeded):
    out = StringIO()
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
        call_command("seed_demo", stdout=out)
    for label in ("pairings", "problems", "deliberations", "contributions"):
        assert f"{label}: 0 created, 0 updated" in out.getvalue()
