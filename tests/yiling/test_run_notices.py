"""``manage.py run_notices [--date YYYY-MM-DD] [--dry-run] [--format json]``."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.yiling.seeding import FAST_HASHERS
from yiling.notices.models import Delivery, Notice

from .notices_factories import expense_without_scan, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def run(*args: str) -> str:
    out = StringIO()
    call_command("run_notices", *args, stdout=out)
    return out.getvalue()


def test_run_twice_for_a_date_creates_then_reports_duplicates():
    w = world()
    day = timezone.localdate()
    expense_without_scan(w["compound_a"], spent_on=day - timedelta(days=10))
    first = json.loads(run("--date", day.isoformat(), "--format", "json"))
    second = json.loads(run("--date", day.isoformat(), "--format", "json"))
    assert set(first) == {"created", "duplicates_skipped", "by_rule"}
    assert first["by_rule"]["organizations.expenses_without_receipts"] == {"created": 1, "duplicates_skipped": 0}
    # (In the fourth quarter the allocation's unspent balance is reminded too.)
    assert first["created"] == sum(r["created"] for r in first["by_rule"].values()) >= 1
    assert first["duplicates_skipped"] == 0
    assert second["by_rule"]["organizations.expenses_without_receipts"] == {"created": 0, "duplicates_skipped": 1}
    assert second["created"] == 0 and second["duplicates_skipped"] == first["created"]
    assert Notice.objects.count() == first["created"]
    # The command sends what it queued, so a laptop without a worker gets its email too.
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert len(mail.outbox) == first["created"]


def test_dry_run_prints_the_counts_and_writes_nothing():
    w = world()
    day = timezone.localdate()
    expense_without_scan(w["compound_a"], spent_on=day - timedelta(days=10))
    out = run("--dry-run")
    assert "organizations.expenses_without_receipts: created 1, duplicates skipped 0" in out
    assert out.strip().splitlines()[-1].startswith("created ")
    assert not Notice.objects.exists() and mail.outbox == []


def test_a_bad_date_is_refused_with_the_expected_form():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", "2026-13-40")
