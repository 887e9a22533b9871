"""Notices through a real Celery worker, Redis and PostgreSQL (no eager mode): a reminder end to end,
the same rule run twice, two beats at once, and a worker process killed with SIGKILL while sending.
Each case ends with one notice and one email."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.yiling.seeding import FAST_HASHERS
from yiling.celery import app
from yiling.notices import tasks
from yiling.notices.models import Delivery, Notice

from .notices_factories import expense_without_scan, world

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


ROOT = Path(__file__).resolve().parents[2]
RULE = "organizations.expenses_without_receipts"
#: The worker's own queue (see worker_settings): tests in parallel on the same Redis keep apart.
QUEUE = f"notices-test-{os.getpid()}"


def run_rule():
    return tasks.run_rule.apply_async(args=[RULE], queue=QUEUE)


def _wait(condition, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real worker (prefork, two processes) on the test database, for the whole module."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs PostgreSQL and Redis")
    maildir = tmp_path_factory.mktemp("mail")
    stall = tmp_path_factory.mktemp("stall") / "stall"
    db = connection.settings_dict
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    url = f"postgres://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.yiling.worker_settings",
        "DATABASE_URL": url,
        "YILING_TEST_MAILDIR": str(maildir),
        "YILING_TEST_STALL": str(stall),
        "YILING_TEST_QUEUE": QUEUE,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "yiling", "worker", "-P", "prefork", "-c", "2", "-l", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"notices-test-{os.getpid()}@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with django_db_blocker.unblock():
            from yiling import tasks as portal_tasks

            assert portal_tasks.ping.apply_async(queue=QUEUE).get(timeout=30) == "pong"
        yield {"maildir": maildir, "stall": stall}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(QUEUE)


def mails(worker) -> list[str]:
    return [p.read_text(errors="replace") for p in sorted(worker["maildir"].iterdir())]


@pytest.fixture
def due(worker):
    for old in worker["maildir"].iterdir():
        old.unlink()
    w = world()
    expense_without_scan(w["compound_a"], spent_on=timezone.localdate() - timedelta(days=10))
    return w


def _one_notice_and_one_email(worker, w) -> None:
    _wait(lambda: len(mails(worker)) >= 1, what="the email")
    time.sleep(0.5)  # a second email, if there were one, would have come by now
    assert Notice.objects.filter(rule=RULE).count() == 1
    notice = Notice.objects.get(rule=RULE)
    assert notice.recipient == w["compound"]
    sent = mails(worker)
    assert len(sent) == 1 and "cpd@example.cn" in sent[0]
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_reminder_is_delivered_end_to_end_and_a_second_run_adds_nothing(worker, due):
    first = run_rule().get(timeout=20)
    assert first["created"] == 1
    _one_notice_and_one_email(worker, due)
    due["compound"].refresh_from_db()
    assert due["compound"].unread_notices == 1  # the inbox count in the header
    second = run_rule().get(timeout=20)
    assert second == {"created": 0, "duplicates_skipped": 1, "by_rule": {RULE: {"created": 0, "duplicates_skipped": 1}}}
    _one_notice_and_one_email(worker, due)


def test_two_beats_at_once_leave_one_notice_and_one_email(worker, due):
    results = [run_rule(), run_rule()]
    created = sorted(r.get(timeout=20)["created"] for r in results)
    assert created == [0, 1]
    _one_notice_and_one_email(worker, due)


def test_a_worker_killed_while_sending_is_redelivered_and_sends_once(worker, due):
    worker["stall"].touch()
    run_rule().get(timeout=20)
    pid_file = worker["stall"].with_suffix(".pid")
    _wait(pid_file.exists, what="the worker process to stall in the send")
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    pid_file.unlink()
    # The message was acknowledged late, so it is requeued and another process sends it.
    _one_notice_and_one_email(worker, due)
    assert Delivery.objects.get().attempts == 1  # the killed try was rolled back with its process
