"""``manage.py seed_demo``: the demo district loads, a second run changes nothing, accounts only with DEBUG."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from organizations.models import Organization, Unit, UnitType
from yiling import demo

from .seeding import FAST_HASHERS, counts_in, row_counts, seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def debug_on(settings):
    # pytest-django runs tests with DEBUG=False; the demo accounts exist only with DEBUG on.
    settings.DEBUG = True
    return settings


def test_second_run_changes_nothing(debug_on):
    first = seed()
    assert ("organizations", Organization.objects.count(), 0) in counts_in(first)
    before = row_counts()
    history_tables = {
        "organizations.HistoricalOrganization",
        "organizations.HistoricalUnit",
        "organizations.HistoricalRoleAssignment",
    }
    assert history_tables <= set(before)
    assert all(before[label] > 0 for label in history_tables)
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    second = seed()

    assert row_counts() == before
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    summary = counts_in(second)
    assert {label for label, _c, _u in summary} >= {"organizations", "units", "accounts", "role assignments"}
    assert all(created == 0 and updated == 0 for _label, created, updated in summary), second
    assert "nothing changed" in second


def test_no_accounts_without_debug(settings):
    settings.DEBUG = False
    output = seed()
    assert get_user_model().objects.count() == 0
    assert "no demo accounts" in output
    assert Unit.objects.filter(unit_type=UnitType.COMPOUND).count() == 70


def test_registry_finds_organizations_module():
    modules = demo.demo_modules()
    assert "organizations.demo" in [m.__name__ for m in modules]
    assert demo.__name__ not in [m.__name__ for m in modules]


def test_rerun_repairs_drift(settings):
    from organizations.services import organization_move, unit_update

    settings.DEBUG = False
    seed()
    unit_update(unit=Unit.objects.get(code="CP-013"), name="改名小区", households=1)
    organization_move(
        organization=Organization.objects.get(code="ORG-CP-013"),
        new_parent=Organization.objects.get(code="ORG-YL"),
    )
    output = seed()
    assert ("units", 0, 1) in counts_in(output)
    assert ("organizations", 0, 1) in counts_in(output)
    compound = Unit.objects.get(code="CP-013")
    assert (compound.name, compound.households) == ("平湖国际", 1275)
    branch = Organization.objects.get(code="ORG-CP-013")
    assert Organization.objects.get_parent(branch).code == "ORG-YL-XXT-DH"
    assert Organization.objects.find_problems() == ([], [], [], [], [])
