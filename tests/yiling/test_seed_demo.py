"""``manage.py seed_demo``: the demo district loads, a second run changes nothing, accounts only with DEBUG."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from organizations.models import Organization, Unit, UnitType
from yiling import demo

from .seeding import FAST_HASHERS, counts_in, demo_loaded, row_counts, seed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def debug_on(settings):
    # pytest-django runs tests with DEBUG=False; the demo accounts exist only with DEBUG on.
    settings.DEBUG = True
    return settings


@pytest.fixture(scope="module")
def _seeded_without_debug_once(django_db_setup, django_db_blocker):
    """One seed with DEBUG off for the tests below that start from it, rolled back after the module.

    Each test's own transaction nests inside this one as a savepoint, so what a test changes (the
    drift it makes and the second seed that repairs it) is undone after it.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=False, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        yield demo_loaded()
        transaction.set_rollback(True)


@pytest.fixture
def seeded_without_debug(_seeded_without_debug_once, db) -> str:
    return _seeded_without_debug_once


def test_second_run_changes_nothing(debug_on):
    assert get_user_model().objects.count() == Organization.objects.count() == 0
    # The first run, or its rows copied back: the same tables, rows and output (test_demo_loaded.py).
    first = demo_loaded()
    assert re.search(r"^Demo data loaded in \d+\.\d s\.$", first, re.M), first
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
    assert re.search(r"^Demo data already up to date: nothing changed \(checked in \d+\.\d s\)\.$", second, re.M)


def test_no_accounts_without_debug(seeded_without_debug):
    assert get_user_model().objects.count() == 0
    assert "no demo accounts" in seeded_without_debug
    assert Unit.objects.filter(unit_type=UnitType.COMPOUND).count() == 70


def test_registry_finds_organizations_module():
    modules = demo.demo_modules()
    assert "organizations.demo" in [m.__name__ for m in modules]
    assert demo.__name__ not in [m.__name__ for m in modules]


def test_rerun_repairs_drift(seeded_without_debug, settings):
    from organizations.services import organization_move, unit_update

    settings.DEBUG = False
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


def test_login_lines_flag_a_password_changed_since_the_account_was_made():
    from io import StringIO

    first = demo.DemoContext(stdout=StringIO(), style=None)
    user = demo.ensure_user(first, username="demo-x", full_name="演示")
    assert demo.login_for(first, user, "角色", "组织").password == demo.DEMO_PASSWORD
    user.set_password("changed-by-hand")
    user.save()

    later = demo.DemoContext(stdout=StringIO(), style=None)
    user = demo.ensure_user(later, username="demo-x", full_name="演示")
    assert demo.login_for(later, user, "角色", "组织").password == "(changed, not reset)"
    user.set_password(demo.DEMO_PASSWORD)
    user.save()
    assert demo.login_for(later, user, "角色", "组织").password == demo.DEMO_PASSWORD
