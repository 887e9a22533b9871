"""Writes of the notices: programmes and progress, running the rules, delivering, reading.

Exactly once: a ``Notice`` is unique per (rule, subject, recipient, period) and a ``Delivery`` per
key, both in the database. A rule run twice, by two beat processes at once, or again after its worker
was killed, finds the rows already there and creates nothing. A delivery is sent under its row lock
and marked sent in the same transaction; a second worker skips a row another one holds.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    EVIDENCE_CHECK,
    Delivery,
    DeliveryMode,
    Notice,
    NoticeKind,
    NoticePreference,
    Programme,
    ProgressReport,
    StreetWebhook,
    Task,
)
from .registry import Draft, Rule, get_rule, rules

logger = logging.getLogger(__name__)

#: Tries before a delivery shows as failed; the wait doubles from one minute.
MAX_ATTEMPTS = 5
WEBHOOK_TIMEOUT = 10


# --- programmes and tasks ------------------------------------------------------------------------


@transaction.atomic
def programme_create(*, title: str, description: str = "") -> Programme:
    programme = Programme(title=title, description=description)
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, title: str, description: str = "") -> Programme:
    programme.title = title
    programme.description = description
    programme.full_clean()
    programme.save(update_fields=["title", "description"])
    return programme


@transaction.atomic
def programme_publish(*, programme: Programme, published_on: date | None = None) -> Programme:
    """Publish a programme: its tasks reach the responsible organizations."""
    if programme.status == Programme.Status.CLOSED:
        raise ValidationError(_("A closed programme cannot be published again."))
    programme.status = Programme.Status.PUBLISHED
    programme.published_on = published_on or programme.published_on or timezone.localdate()
    programme.full_clean()
    programme.save(update_fields=["status", "published_on"])
    return programme


@transaction.atomic
def programme_close(*, programme: Programme) -> Programme:
    programme.status = Programme.Status.CLOSED
    if programme.published_on is None:
        programme.published_on = timezone.localdate()
    programme.full_clean()
    programme.save(update_fields=["status", "published_on"])
    return programme


@transaction.atomic
def task_create(*, programme: Programme, organization: Any, title: str, due_on: date, instructions: str = "") -> Task:
    task = Task(programme=programme, organization=organization, title=title, due_on=due_on, instructions=instructions)
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_update(*, task: Task, **changes: Any) -> Task:
    allowed = {"title", "instructions", "due_on", "organization"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"task_update cannot change {sorted(unknown)}")
    for name, value in changes.items():
        setattr(task, name, value)
    task.full_clean()
    task.save(update_fields=list(changes) or None)
    return task


@transaction.atomic
def progress_report(
    *,
    task: Task,
    percent: int,
    note: str = "",
    evidence: UploadedFile | None = None,
    by: Any = None,
) -> ProgressReport:
    """Record the responsible secretary's progress on a task; the task shows the latest figure."""
    task = Task.objects.select_for_update().select_related("programme").get(pk=task.pk)
    if task.programme.status != Programme.Status.PUBLISHED:
        raise ValidationError(_("Progress can only be reported on a published programme."))
    if evidence is not None:
        EVIDENCE_CHECK(evidence)
    report = ProgressReport(task=task, percent=percent, note=note, reported_by=by, reported_at=timezone.now())
    if evidence is not None:
        report.evidence = evidence
    report.full_clean()
    report.save()
    task.progress = percent
    task.progress_note = note
    task.progress_updated_at = report.reported_at
    task.full_clean()
    task.save(update_fields=["progress", "progress_note", "progress_updated_at"])
    return report


# --- running the rules ---------------------------------------------------------------------------


@dataclass
class RunResult:
    created: int = 0
    duplicates_skipped: int = 0
    by_rule: dict[str, dict[str, int]] = field(default_factory=dict)
    deliveries: list[int] = field(default_factory=list)

    def add(self, rule: str, created: int, skipped: int) -> None:
        self.created += created
        self.duplicates_skipped += skipped
        self.by_rule[rule] = {"created": created, "duplicates_skipped": skipped}

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "duplicates_skipped": self.duplicates_skipped, "by_rule": self.by_rule}


def _modes(user_ids: set[int]) -> dict[tuple[int, str], str]:
    rows = NoticePreference.objects.filter(user_id__in=user_ids).values_list("user_id", "kind", "mode")
    return {(user, kind): mode for user, kind, mode in rows}


def _create_once(model: type, **values: Any) -> Any:
    """Insert a row unless its unique constraint says it exists: the row, or None (in a savepoint)."""
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError:
        return None


def _email_of(users: dict[int, tuple[str, str]], user_id: int) -> str:
    return users.get(user_id, ("", ""))[0]


def run_rule(rule: Rule, *, as_of: date, dry_run: bool = False, result: RunResult | None = None) -> RunResult:
    """Create the notices ``rule`` finds due on ``as_of`` that the database does not hold yet.

    All in one transaction: a worker killed half-way leaves nothing, and its redelivered task
    does the whole run again. Deliveries are queued after the commit.
    """
    from django.contrib.auth import get_user_model

    result = result or RunResult()
    with transaction.atomic():
        drafts = [d for d in rule.collect(as_of) if d.recipients]
        wanted = {(d.subject_key, d.period, user) for d in drafts for user in d.recipients}
        periods = {d.period for d in drafts}
        existing = set(
            Notice.objects.filter(rule=rule.name, period__in=periods).values_list(
                "subject_key", "period", "recipient_id"
            )
        )
        new = wanted - existing
        skipped = len(wanted) - len(new)
        if dry_run:
            result.add(rule.name, len(new), skipped)
            transaction.set_rollback(True)
            return result
        user_ids = {user for _s, _p, user in new}
        modes = _modes(user_ids)
        users = {
            pk: (email, name)
            for pk, email, name in get_user_model()
            .objects.filter(pk__in=user_ids, is_active=True)
            .values_list("pk", "email", "full_name")
        }
        hooks = dict(StreetWebhook.objects.filter(is_active=True).values_list("street_id", "url"))
        created = 0
        arrived: Counter[int] = Counter()
        deliveries: list[int] = []
        now = timezone.now()
        for draft in drafts:
            for user in draft.recipients:
                if (draft.subject_key, draft.period, user) not in new or user not in users:
                    continue
                mode = modes.get((user, rule.kind), DeliveryMode.IMMEDIATE)
                notice = _create_once(
                    Notice,
                    rule=rule.name,
                    kind=rule.kind,
                    subject_key=draft.subject_key,
                    period=draft.period,
                    recipient_id=user,
                    title=draft.title[:200],
                    body=draft.body,
                    url=draft.url[:300],
                    mode=mode,
                    created_at=now,
                )
                if notice is None:  # another run inserted it meanwhile
                    skipped += 1
                    continue
                created += 1
                arrived[user] += 1
                email = _email_of(users, user)
                if mode == DeliveryMode.IMMEDIATE and email:
                    delivery = _create_once(
                        Delivery,
                        channel=Delivery.Channel.EMAIL,
                        key=f"email:notice:{notice.pk}",
                        recipient_id=user,
                        target=email,
                        subject=notice.title,
                        body=_email_body([notice]),
                        rule=rule.name,
                        subject_key=draft.subject_key,
                        period=draft.period,
                    )
                    if delivery is not None:
                        deliveries.append(delivery.pk)
            if draft.street_id and draft.street_id in hooks:
                delivery = _create_once(
                    Delivery,
                    channel=Delivery.Channel.WEBHOOK,
                    key=f"webhook:{draft.street_id}:{rule.name}:{draft.subject_key}:{draft.period}"[:200],
                    target=hooks[draft.street_id],
                    subject=draft.title[:200],
                    body=_webhook_body(draft),
                    rule=rule.name,
                    subject_key=draft.subject_key,
                    period=draft.period,
                )
                if delivery is not None:
                    deliveries.append(delivery.pk)
        # In user order, so two runs at once never wait on each other's users crosswise.
        for user in sorted(arrived):
            get_user_model().objects.filter(pk=user).update(unread_notices=F("unread_notices") + arrived[user])
        result.add(rule.name, created, skipped)
        result.deliveries.extend(deliveries)
        transaction.on_commit(lambda: queue_deliveries(deliveries))
    return result


def run_all(*, as_of: date, dry_run: bool = False, names: list[str] | None = None) -> RunResult:
    result = RunResult()
    for rule in rules():
        if names is None or rule.name in names:
            run_rule(rule, as_of=as_of, dry_run=dry_run, result=result)
    return result


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Hand the new deliveries to the workers; the minute sweep sends whatever this misses."""
    if not delivery_ids:
        return
    from . import tasks

    for pk in delivery_ids:
        try:
            tasks.send_delivery.delay(pk)
        except Exception:  # broker down: the sweep (deliver_due) picks the row up from the database
            logger.warning("could not queue delivery %s; the sweep will send it", pk)


# --- delivering ------------------------------------------------------------------------------------


def _link(url: str) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") else url


def _email_body(notices: list[Notice]) -> str:
    parts = []
    for notice in notices:
        lines = [notice.title]
        if notice.body:
            lines.append(notice.body)
        if notice.url:
            lines.append(_link(notice.url))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _webhook_body(draft: Draft) -> str:
    lines = [f"**{draft.title}**"]
    if draft.body:
        lines.append(draft.body)
    if draft.url:
        lines.append(_link(draft.url))
    return "\n".join(lines)


def _still_due(delivery: Delivery, today: date) -> bool:
    if not delivery.rule:
        return True
    rule = get_rule(delivery.rule)
    if rule is None or rule.still_due is None:
        return True
    return rule.still_due(delivery.subject_key, delivery.period, today)


def _transmit(delivery: Delivery) -> None:
    if delivery.channel == Delivery.Channel.EMAIL:
        EmailMessage(
            subject=delivery.subject, body=delivery.body, to=[delivery.target], from_email=settings.DEFAULT_FROM_EMAIL
        ).send(fail_silently=False)
        return
    payload = json.dumps({"msgtype": "markdown", "markdown": {"content": delivery.body}}).encode()
    request = urllib.request.Request(  # noqa: S310 (district staff set https:// addresses only)
        delivery.target, data=payload, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"webhook answered errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """Send one due delivery, once: the new status, or None when it is not due or another worker has it.

    The row stays locked while sending and is marked in the same transaction. A failure is kept
    with its error and tried again later (1, 2, 4, 8 minutes); after the last try it shows as failed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        if not _still_due(delivery, timezone.localdate(now)):
            delivery.status = Delivery.Status.CANCELLED
            delivery.save(update_fields=["status"])
            return delivery.status
        delivery.attempts += 1
        try:
            _transmit(delivery)
        except Exception as exc:  # any failure of the mail server or the robot: keep it and try again
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
            else:
                delivery.next_attempt_at = now + timedelta(minutes=2 ** (delivery.attempts - 1))
            logger.warning("delivery %s failed (try %s): %s", delivery.pk, delivery.attempts, delivery.last_error)
        else:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error", "sent_at"])
        return delivery.status


def deliveries_due(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Staff send a failed delivery again (admin action)."""
    if delivery.status != Delivery.Status.FAILED:
        raise ValidationError(_("Only a failed message can be sent again."))
    delivery.status = Delivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: queue_deliveries([delivery.pk]))
    return delivery


def digests_build(*, as_of: date, modes: tuple[str, ...] | None = None) -> list[int]:
    """Gather each user's undigested notices into one email per user and period, once.

    Daily digests every day; weekly ones on Mondays (``as_of.weekday() == 0``), keyed by ISO week.
    """
    from django.contrib.auth import get_user_model

    if modes is None:
        modes = (DeliveryMode.DAILY, DeliveryMode.WEEKLY) if as_of.weekday() == 0 else (DeliveryMode.DAILY,)
    created: list[int] = []
    with transaction.atomic():
        for mode in modes:
            if mode == DeliveryMode.DAILY:
                period = as_of.isoformat()
            else:
                year, week, _day = as_of.isocalendar()
                period = f"{year}-W{week:02d}"
            pending = Notice.objects.filter(mode=mode, digest__isnull=True).order_by("recipient_id", "created_at")
            by_user: dict[int, list[Notice]] = {}
            for notice in pending:
                by_user.setdefault(notice.recipient_id, []).append(notice)
            emails = dict(get_user_model().objects.filter(pk__in=by_user, is_active=True).values_list("pk", "email"))
            for user, notices in by_user.items():
                if not emails.get(user):
                    continue
                label = _("Daily digest") if mode == DeliveryMode.DAILY else _("Weekly digest")
                delivery = _create_once(
                    Delivery,
                    channel=Delivery.Channel.EMAIL,
                    key=f"email:digest:{mode}:{user}:{period}",
                    recipient_id=user,
                    target=emails[user],
                    subject=_("%(label)s: %(count)s notices") % {"label": label, "count": len(notices)},
                    body=_email_body(notices),
                )
                if delivery is None:
                    continue
                Notice.objects.filter(pk__in=[n.pk for n in notices], digest__isnull=True).update(digest=delivery)
                created.append(delivery.pk)
        transaction.on_commit(lambda: queue_deliveries(created))
    return created


# --- the inbox -------------------------------------------------------------------------------------


def _users() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects


@transaction.atomic
def notice_mark_read(*, notice: Notice, user: Any) -> Notice:
    if notice.recipient_id != user.pk:
        raise ValidationError(_("This notice is not yours."))
    changed = Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
    if changed:
        _users().filter(pk=user.pk, unread_notices__gt=0).update(unread_notices=F("unread_notices") - 1)
        notice.refresh_from_db(fields=["read_at"])
    return notice


@transaction.atomic
def notices_mark_all_read(*, user: Any) -> int:
    """Mark every notice of ``user`` read; the header's count is set afresh from the database."""
    changed = Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
    _users().filter(pk=user.pk).update(unread_notices=0)
    return changed


@transaction.atomic
def preferences_set(*, user: Any, modes: dict[str, str]) -> None:
    """Set how ``user`` receives each kind (``{kind: mode}``)."""
    for kind, mode in modes.items():
        if kind not in NoticeKind.values or mode not in DeliveryMode.values:
            raise ValidationError(_("Unknown kind of notice or delivery."))
        NoticePreference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})


@transaction.atomic
def street_webhook_set(*, street: Any, url: str, is_active: bool = True) -> StreetWebhook:
    hook = StreetWebhook.objects.filter(street=street).first() or StreetWebhook(street=street)
    hook.url = url
    hook.is_active = is_active
    hook.full_clean()
    hook.save()
    return hook
