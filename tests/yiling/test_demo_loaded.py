"""The demo district the tests that read it get: one real seed_demo run, copied back."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from organizations.models import Organization
from yiling import demo

from .seeding import FAST_HASHERS, counts_in, demo_loaded, row_counts, seed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return settings


def test_the_demo_copied_back_for_other_tests_is_what_seed_demo_writes(debug_on):
    """demo_loaded (tests/yiling/seeding.py) gives the tests that read the demo the rows of one real
    seed_demo run, copied back: every table as seed_demo leaves it, and its output."""
    with transaction.atomic():
        output = seed()
        expected = row_counts()
        usernames = set(get_user_model().objects.values_list("username", flat=True))
        transaction.set_rollback(True)
    with transaction.atomic():
        demo_loaded()  # the first load in this process may be the real run
        transaction.set_rollback(True)
    assert Organization.objects.count() == 0

    copied = demo_loaded()

    assert row_counts() == expected
    assert set(get_user_model().objects.values_list("username", flat=True)) == usernames
    assert counts_in(copied) == counts_in(output) != []
    assert get_user_model().objects.get(username="district").check_password(demo.DEMO_PASSWORD)
