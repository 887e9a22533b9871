"""The demo district the tests that read it get: one real seed_demo run, copied back."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from organizations.models import Organization
from yiling import demo

from . import seeding
from .seeding import FAST_HASHERS, counts_in, demo_loaded, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return settings


def test_the_demo_copied_back_for_other_tests_is_what_seed_demo_writes(debug_on, monkeypatch):
    """demo_loaded (tests/yiling/seeding.py) gives the tests that read the demo the rows of one real
    seed_demo run, copied back: every table as seed_demo leaves it, and its output."""
    with transaction.atomic():
        demo_loaded()  # the real run, when it is the first load in this process
        transaction.set_rollback(True)
    assert Organization.objects.count() == 0
    # What the real run left, read as it ended (in this test or an earlier one of this process).
    output, expected, usernames = seeding.REAL_RUNS[seeding.demo_key()]
    assert expected["organizations.Organization"] > 0 and "district" in usernames
    real_runs = []
    monkeypatch.setattr(seeding, "seed", lambda *args: real_runs.append(args))

    copied = demo_loaded()

    assert real_runs == []  # the second load was a copy
    assert row_counts() == expected
    assert set(get_user_model().objects.values_list("username", flat=True)) == usernames
    assert counts_in(copied) == counts_in(output) != []
    assert get_user_model().objects.get(username="district").check_password(demo.DEMO_PASSWORD)
