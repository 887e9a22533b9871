"""The demo district the tests that read it get: one real seed_demo run, copied back."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from organizations.models import Organization
from yiling import demo

from . import seeding
from .seeding import FAST_HASHERS, counts_in, demo_loaded, row_counts, seed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return settings


def test_the_demo_copied_back_for_other_tests_is_what_seed_demo_writes(debug_on, monkeypatch):
    """demo_loaded (tests/yiling/seeding.py) gives the tests that read the demo the rows of one real
    seed_demo run, copied back: every table as seed_demo leaves it, and its output."""
    real_runs = []

    def observed_seed(*args: str) -> str:
        output = seed(*args)
        usernames = set(get_user_model().objects.values_list("username", flat=True))
        real_runs.append((output, row_counts(), usernames))
        return output

    monkeypatch.setattr(seeding, "seed", observed_seed)
    with transaction.atomic():
        demo_loaded()  # the real run, when it is the first load in this process
        transaction.set_rollback(True)
    if not real_runs:  # an earlier test made the real run: compare with one of our own
        with transaction.atomic():
            observed_seed()
            transaction.set_rollback(True)
    assert Organization.objects.count() == 0
    (output, expected, usernames), *_ = real_runs

    copied = demo_loaded()

    assert len(real_runs) == 1  # the second load was a copy
    assert row_counts() == expected
    assert set(get_user_model().objects.values_list("username", flat=True)) == usernames
    assert counts_in(copied) == counts_in(output) != []
    assert get_user_model().objects.get(username="district").check_password(demo.DEMO_PASSWORD)
