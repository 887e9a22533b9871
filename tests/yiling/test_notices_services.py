"""The notice services: each notice once per (rule, subject, recipient, period), deliveries once,
failures retried and kept, digests, the inbox counts, programmes and progress."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations import services as org_services
from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry, selectors, services
from yiling.notices.models import Delivery, DeliveryMode, Notice, NoticeKind, ProgressReport, Task
from yiling.notices.registry import Draft
from yiling.notices.schedules import ensure_schedules

from .notices_factories import expense_without_scan, programme_with_tasks, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


TODAY = timezone.localdate()
RECEIPTS = registry.get_rule("organizations.expenses_without_receipts")
BRANCH_TERMS = registry.get_rule("organizations.branch_term_expiry")


@pytest.fixture
def w():
    return world()


def unread(user) -> int:
    user.refresh_from_db(fields=["unread_notices"])
    return user.unread_notices


def send_due() -> None:
    for pk in services.deliveries_due():
        services.delivery_send(delivery_id=pk)


def test_a_rule_run_twice_leaves_one_notice_and_one_email(w, django_capture_on_commit_callbacks):
    expense = expense_without_scan(w["compound_a"], spent_on=TODAY - timedelta(days=10))
    with django_capture_on_commit_callbacks() as queued:
        first = services.run_rule(RECEIPTS, as_of=TODAY)
    assert len(queued) == 1  # the new delivery is handed to the workers after the commit
    send_due()
    second = services.run_rule(RECEIPTS, as_of=TODAY)
    send_due()
    assert (first.created, first.duplicates_skipped) == (1, 0)
    assert (second.created, second.duplicates_skipped) == (0, 1)
    notice = Notice.objects.get()
    assert notice.recipient == w["compound"]
    assert notice.url.endswith(f"#expense-{expense.pk}")
    assert [m.to for m in mail.outbox] == [["cpd@example.cn"]]
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert unread(w["compound"]) == 1


def test_the_database_refuses_a_second_identical_notice(w):
    values = dict(rule="r", kind=NoticeKind.FUNDING, subject_key="s", period="p", recipient=w["compound"], title="t")
    Notice.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(**values)


def test_dry_run_counts_but_writes_nothing(w):
    expense_without_scan(w["compound_a"], spent_on=TODAY - timedelta(days=10))
    result = services.run_all(as_of=TODAY, dry_run=True)
    assert result.by_rule["organizations.expenses_without_receipts"] == {"created": 1, "duplicates_skipped": 0}
    assert not Notice.objects.exists() and not Delivery.objects.exists()
    assert unread(w["compound"]) == 0


def test_an_expense_within_its_grace_week_is_not_reminded(w):
    expense_without_scan(w["compound_a"], spent_on=TODAY - timedelta(days=2))
    assert services.run_rule(RECEIPTS, as_of=TODAY).created == 0


def _set_term(org, ends_on: date):
    return org_services.organization_update(
        organization=org, elected_on=ends_on - timedelta(days=5 * 365), term_ends_on=ends_on
    )


def test_term_reminders_at_90_30_and_7_days_and_only_the_latest_after_downtime(w):
    org = _set_term(w["compound_a"], TODAY + timedelta(days=100))
    assert services.run_rule(BRANCH_TERMS, as_of=TODAY).created == 0
    assert services.run_rule(BRANCH_TERMS, as_of=TODAY + timedelta(days=10)).created == 2  # 90 days: secretary, street
    # Down from day 11 to day 95: the 30-day reminder was missed; only the 7-day one is sent.
    assert services.run_rule(BRANCH_TERMS, as_of=TODAY + timedelta(days=95)).created == 2
    periods = sorted(Notice.objects.filter(recipient=w["compound"]).values_list("period", flat=True))
    assert periods == [f"{org.term_ends_on}:7", f"{org.term_ends_on}:90"]
    assert set(Notice.objects.values_list("recipient", flat=True)) == {w["compound"].pk, w["street"].pk}


def test_a_reminder_whose_date_moved_before_sending_is_not_sent(w):
    org = _set_term(w["compound_a"], TODAY + timedelta(days=20))
    services.run_rule(BRANCH_TERMS, as_of=TODAY)  # deliveries queued, not sent yet
    _set_term(org, TODAY + timedelta(days=400))  # re-elected: the term now ends much later
    for delivery in Delivery.objects.all():
        assert services.delivery_send(delivery_id=delivery.pk) == Delivery.Status.CANCELLED
    assert mail.outbox == []


def test_a_failed_email_is_retried_with_backoff_then_shows_failed_and_others_still_go(w, monkeypatch):
    _set_term(w["compound_a"], TODAY + timedelta(days=20))
    services.run_rule(BRANCH_TERMS, as_of=TODAY)
    broken = Delivery.objects.get(target="cpd@example.cn")
    fine = Delivery.objects.get(target="street@example.cn")
    real = services._transmit

    def transmit(delivery):
        if delivery.target == "cpd@example.cn":
            raise ConnectionRefusedError("smtp down")
        real(delivery)

    monkeypatch.setattr(services, "_transmit", transmit)
    now = timezone.now()
    assert services.delivery_send(delivery_id=broken.pk, now=now) == Delivery.Status.PENDING
    assert services.delivery_send(delivery_id=fine.pk, now=now) == Delivery.Status.SENT
    broken.refresh_from_db()
    assert broken.attempts == 1 and "smtp down" in broken.last_error
    assert broken.next_attempt_at == now + timedelta(minutes=1)
    assert services.delivery_send(delivery_id=broken.pk, now=now) is None  # not due yet
    assert services.deliveries_due(now=now) == []
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        later = now + timedelta(hours=attempt)
        assert services.deliveries_due(now=later) == [broken.pk]
        services.delivery_send(delivery_id=broken.pk, now=later)
    broken.refresh_from_db()
    assert broken.status == Delivery.Status.FAILED and broken.attempts == services.MAX_ATTEMPTS
    assert [m.to for m in mail.outbox] == [["street@example.cn"]]
    monkeypatch.setattr(services, "_transmit", real)
    services.delivery_retry(delivery=broken)
    assert services.delivery_send(delivery_id=broken.pk) == Delivery.Status.SENT


def test_digest_users_get_no_immediate_email_but_one_digest_per_day(w):
    services.preferences_set(user=w["compound"], modes={NoticeKind.FUNDING: DeliveryMode.DAILY})
    expense_without_scan(w["compound_a"], spent_on=TODAY - timedelta(days=10))
    services.run_rule(RECEIPTS, as_of=TODAY)
    assert not Delivery.objects.exists()
    tuesday = date(2026, 12, 1)
    first = services.digests_build(as_of=tuesday)
    assert services.digests_build(as_of=tuesday) == []
    digest = Delivery.objects.get(pk__in=first)
    assert digest.key == f"email:digest:daily:{w['compound'].pk}:2026-12-01"
    assert "购买党建书籍" in digest.body
    assert Notice.objects.get().digest == digest


def test_inbox_only_sends_nothing_but_counts_unread(w):
    services.preferences_set(user=w["compound"], modes={NoticeKind.FUNDING: DeliveryMode.INBOX})
    expense_without_scan(w["compound_a"], spent_on=TODAY - timedelta(days=10))
    services.run_rule(RECEIPTS, as_of=TODAY)
    assert not Delivery.objects.exists() and unread(w["compound"]) == 1


def test_reading_lowers_the_count_and_mark_all_sets_it_to_zero(w):
    draft_rule = registry.Rule(
        name="test.rule",
        kind=NoticeKind.TASK,
        label="t",
        collect=lambda as_of: [
            Draft(subject_key=f"s{i}", period="p", title=f"t{i}", recipients=[w["compound"].pk]) for i in range(3)
        ],
    )
    services.run_rule(draft_rule, as_of=TODAY)
    user = w["compound"]
    assert unread(user) == 3
    first = Notice.objects.filter(recipient=user).first()
    services.notice_mark_read(notice=first, user=user)
    services.notice_mark_read(notice=first, user=user)  # twice: counted once
    assert unread(user) == 2
    with pytest.raises(ValidationError):
        services.notice_mark_read(notice=first, user=w["street"])
    assert services.notices_mark_all_read(user=user) == 2
    assert unread(user) == 0 and not Notice.objects.unread().exists()


def test_a_full_save_of_a_stale_user_keeps_the_unread_count(w):
    stale = type(w["compound"]).objects.get(pk=w["compound"].pk)
    expense_without_scan(w["compound_a"], spent_on=TODAY - timedelta(days=10))
    services.run_rule(RECEIPTS, as_of=TODAY)
    stale.full_name = "新名字"
    stale.save()
    assert unread(w["compound"]) == 1


def test_progress_report_updates_the_task_and_checks_the_evidence(w):
    _programme, (task,) = programme_with_tasks([w["compound_a"]], due_on=TODAY + timedelta(days=30))
    with pytest.raises(ValidationError):
        services.progress_report(task=task, percent=50, evidence=SimpleUploadedFile("a.pdf", b"not a pdf at all"))
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    services.progress_report(task=task, percent=60, note="已选举支委", evidence=pdf, by=w["compound"])
    task.refresh_from_db()
    assert (task.progress, task.progress_note) == (60, "已选举支委")
    assert ProgressReport.objects.get().evidence.name.endswith(".pdf")
    with pytest.raises(ValidationError):
        services.progress_report(task=task, percent=101)
    assert Task.objects.get().progress == 60


def test_rollup_by_street_and_community_names_who_is_behind(w, django_assert_num_queries):
    _p, tasks = programme_with_tasks([w["compound_a"], w["compound_b"], w["comm_c"]], due_on=TODAY - timedelta(days=1))
    services.progress_report(task=tasks[1], percent=100)
    user = w["district"]
    with django_assert_num_queries(3):  # the assignments, the tasks, the streets and communities
        streets = selectors.progress_rollup(user=user, as_of=TODAY)
    by_name = {s.organization.name: s for s in streets}
    street_a = by_name["甲街道党工委"]
    assert (street_a.total, street_a.done, [t.organization.name for t in street_a.behind]) == (2, 1, ["甲小区党支部"])
    assert {c.organization.name: len(c.behind) for c in street_a.communities} == {"甲社区党委": 1, "乙社区党委": 0}
    assert by_name["乙街道党工委"].total == 1
    # A compound secretary sees only the own compound's task.
    mine = selectors.progress_rollup(user=w["compound"], as_of=TODAY)
    assert [s.total for s in mine] == [1]


def test_rollup_queries_do_not_grow_with_tasks(w, django_assert_num_queries):
    programme_with_tasks([w["compound_a"], w["compound_b"]], due_on=TODAY)
    more = [w["comm_a"], w["comm_b"], w["comm_c"], w["street_b"]]
    programme_with_tasks(more, due_on=TODAY, title="第二个方案")
    with django_assert_num_queries(3):
        selectors.progress_rollup(user=w["district"], as_of=TODAY)


class _Robot(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, *args):
        pass


def test_street_bulletin_is_posted_once_to_the_street_robot(w, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = services.street_webhook_set(street=w["street_a"].unit, url="https://robot.invalid/send?key=k")
        # The test robot answers plain HTTP on localhost; the address check itself wants https.
        type(hook).objects.filter(pk=hook.pk).update(url=f"http://127.0.0.1:{server.server_port}/send")
        programme_with_tasks([w["compound_a"]], due_on=TODAY - timedelta(days=3))
        bulletin = registry.get_rule("yiling.progress_bulletin")
        services.run_rule(bulletin, as_of=TODAY)
        services.run_rule(bulletin, as_of=TODAY)
        hooks = Delivery.objects.filter(channel=Delivery.Channel.WEBHOOK)
        assert hooks.count() == 1
        send_due()
        assert len(_Robot.received) == 1
        content = _Robot.received[0]["markdown"]["content"]
        assert "甲街道党工委" in content and "甲小区党支部" in content
        assert hooks.get().status == Delivery.Status.SENT
        # The bulletins: one for the street's staff, one for each community secretary with a task.
        assert set(Notice.objects.values_list("recipient", flat=True)) == {w["street"].pk, w["community"].pk}
    finally:
        server.shutdown()


def test_a_webhook_address_must_be_https(w):
    with pytest.raises(ValidationError):
        services.street_webhook_set(street=w["street_a"].unit, url="http://robot.example.cn/send")


def test_schedules_are_created_once_and_staff_changes_are_kept():
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    assert ensure_schedules() == 0  # created by post_migrate already
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert {f"notices: {rule.name}" for rule in registry.rules()} <= names
    task = PeriodicTask.objects.get(name="notices: yiling.progress_bulletin")
    assert json.loads(task.args) == ["yiling.progress_bulletin"] and task.crontab.day_of_week == "1"
    task.crontab = CrontabSchedule.objects.create(minute="30", hour="17", day_of_week="5", timezone="Asia/Shanghai")
    task.save()
    assert ensure_schedules() == 0
    assert PeriodicTask.objects.get(name="notices: yiling.progress_bulletin").crontab.hour == "17"
