"""The demo district and its notices: the programme and tasks are there, the demo secretaries have
notices, and ``run_notices`` twice for the same date creates nothing the second time."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiling.notices.models import Notice, Programme, Task

from .seeding import FAST_HASHERS, demo_loaded

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def run_notices(day: str) -> dict:
    out = StringIO()
    call_command("run_notices", "--date", day, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_demo_has_a_programme_and_notices_and_a_second_run_creates_nothing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DEBUG = True
    demo_loaded()
    programme = Programme.objects.get()
    assert programme.status == Programme.Status.PUBLISHED
    today = timezone.localdate()
    tasks = Task.objects.filter(programme=programme)
    assert tasks.count() == 5 and tasks.filter(due_on__lt=today, progress__lt=100).exists()  # someone is behind
    assert Notice.objects.filter(recipient__username="community").exists()  # the weekly bulletin or a reminder
    # A week on, as of one date twice: the second run creates nothing and counts what it skipped.
    day = (today + timezone.timedelta(days=7)).isoformat()
    first = run_notices(day)
    second = run_notices(day)
    assert first["created"] > 0
    assert second["created"] == 0 and second["duplicates_skipped"] == first["created"] + first["duplicates_skipped"]
    assert all(counts["created"] == 0 for counts in second["by_rule"].values())
