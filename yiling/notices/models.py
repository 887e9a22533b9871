"""Programmes and tasks (建设方案 / 任务指导书), notices, their deliveries and each user's choices."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yiling.scoping import Anchors, ScopedQuerySet, assignments_of
from yiling.uploads import AttachmentValidator

EVIDENCE_EXTENSIONS = ["jpg", "jpeg", "png", "pdf"]
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_CHECK = AttachmentValidator(_("evidence"), max_bytes=EVIDENCE_MAX_BYTES)
DISTRICT_STAFF = "district_staff"


class ProgrammeQuerySet(ScopedQuerySet):
    def visible_to(self, user):  # type: ignore[no-untyped-def]
        """District staff see every programme; others the published ones holding a task they see."""
        if user is not None and user.is_active and getattr(user, "is_superuser", False):
            return self
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if any(a.role == DISTRICT_STAFF for a in assignments_of(user)):
            return self
        tasks = Task.objects.visible_to(user).values("programme_id")
        return self.filter(pk__in=tasks, status=Programme.Status.PUBLISHED)


class Programme(models.Model):
    """A building programme (建设方案) the district publishes, made of tasks for organizations."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-published_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "closed"]),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_on__isnull=False),
                name="%(app_label)s_%(class)s_published_has_date",
                violation_error_message=_("A published programme has a publication date."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("A programme needs a title."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notices:programme-detail", kwargs={"pk": self.pk})


class TaskQuerySet(ScopedQuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(progress__lt=100, programme__status=Programme.Status.PUBLISHED)

    def behind(self, as_of) -> TaskQuerySet:  # type: ignore[no-untyped-def]
        return self.open().filter(due_on__lt=as_of)


class Task(models.Model):
    """A task (任务指导书) of a programme for one organization, with a due date and its progress."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="tasks"
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("responsible organization"),
        on_delete=models.PROTECT,
        related_name="notice_tasks",
    )
    title = models.CharField(_("title"), max_length=100)
    instructions = models.TextField(_("instructions"), blank=True)
    due_on = models.DateField(_("due on"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    progress_note = models.CharField(_("latest note"), max_length=200, blank=True)
    progress_updated_at = models.DateTimeField(_("progress updated"), null=True, blank=True)

    history = HistoricalRecords()
    objects = TaskQuerySet.as_manager()
    visibility = Anchors(organization=("organization",))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_at_most_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("A task needs a title."),
            ),
            models.UniqueConstraint(
                fields=["programme", "organization", "title"],
                name="%(app_label)s_%(class)s_unique_per_organization",
                violation_error_message=_("This organization already has a task with this title in the programme."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.organization}"

    def get_absolute_url(self) -> str:
        return reverse("notices:task-detail", kwargs={"pk": self.pk})


def evidence_path(instance: ProgressReport, filename: str) -> str:
    return f"evidence/{instance.task.programme_id}/{instance.task_id}/{filename}"


class ProgressReport(models.Model):
    """What the responsible secretary reported on a task: a percentage, a note and evidence."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="reports")
    percent = models.PositiveSmallIntegerField(_("progress (%)"), validators=[MaxValueValidator(100)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    evidence = models.FileField(
        _("evidence"),
        upload_to=evidence_path,
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
        help_text=_("A photograph or scan (JPG, PNG or PDF, at most 5 MB)."),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("task__organization",))

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__lte=100),
                name="%(app_label)s_%(class)s_percent_at_most_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.percent}%"


class NoticeKind(models.TextChoices):
    """What a notice is about; each user chooses per kind how it reaches them."""

    PROGRESS = "progress", _("Progress bulletins")
    TASK = "task", _("Work reminders")
    FUNDING = "funding", _("Funding reminders")
    TERM = "term", _("Term-expiry reminders")
    MEMBERS = "members", _("Member reminders")
    PROBLEMS = "problems", _("Problem reminders")
    ALLIANCES = "alliances", _("Alliance reminders")
    MERCHANTS = "merchants", _("Merchant reminders")


class DeliveryMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately by email")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")
    INBOX = "inbox", _("Inbox only")


def _reached_accounts(user):  # type: ignore[no-untyped-def]
    """The accounts holding a role inside the user's reach (as the accounts admin shows them)."""
    from django.apps import apps

    from yiling.scoping import reach_q

    assignment = apps.get_model("organizations", "RoleAssignment")
    q = reach_q(user, assignment)
    return None if q is None else assignment.objects.filter(q).values("user_id")


class NoticeQuerySet(models.QuerySet):
    def visible_to(self, user):  # type: ignore[no-untyped-def]
        """In the admin: notices to the accounts within the user's reach (the inbox shows one's own only)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        reached = _reached_accounts(user)
        return self.filter(recipient_id=user.pk) if reached is None else self.filter(recipient__in=reached)

    def is_visible_to(self, user, obj) -> bool:  # type: ignore[no-untyped-def]
        return self.visible_to(user).filter(pk=obj.pk).exists()

    def unread(self) -> NoticeQuerySet:
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """One notice to one person: the effect of a rule for a subject in a period, happening once."""

    rule = models.CharField(_("rule"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    subject_key = models.CharField(_("subject"), max_length=120)
    period = models.CharField(_("period"), max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notices"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    mode = models.CharField(_("delivery"), max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    digest = models.ForeignKey(
        "yiling.Delivery",
        verbose_name=_("digest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="digest_notices",
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "recipient", "period"],
                name="%(app_label)s_%(class)s_once_per_rule_subject_recipient_period",
                violation_error_message=_("This notice has already been sent."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NoticeKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown kind of notice."),
            ),
            models.CheckConstraint(
                condition=Q(mode__in=DeliveryMode.values),
                name="%(app_label)s_%(class)s_mode_valid",
                violation_error_message=_("Unknown delivery."),
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="yiling_notice_inbox_idx")]

    def __str__(self) -> str:
        return self.title


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):  # type: ignore[no-untyped-def]
        """Emails to the accounts within the user's reach; robot messages to district-wide users only."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_superuser", False) or any(a.role == DISTRICT_STAFF for a in assignments_of(user)):
            return self
        reached = _reached_accounts(user)
        return self.none() if reached is None else self.filter(recipient__in=reached)

    def is_visible_to(self, user, obj) -> bool:  # type: ignore[no-untyped-def]
        return self.visible_to(user).filter(pk=obj.pk).exists()


class Delivery(models.Model):
    """One email or webhook message to send, once: its ``key`` names what it carries."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("WeCom group robot")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent: no longer due")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    key = models.CharField(_("key"), max_length=200)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target = models.CharField(_("address"), max_length=500)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    #: For a single notice (not a digest): what to check again before sending.
    rule = models.CharField(_("rule"), max_length=80, blank=True)
    subject_key = models.CharField(_("subject"), max_length=120, blank=True)
    period = models.CharField(_("period"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                name="%(app_label)s_%(class)s_once_per_key",
                violation_error_message=_("This message has already been queued."),
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "webhook"]),
                name="%(app_label)s_%(class)s_channel_valid",
                violation_error_message=_("Unknown channel."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "cancelled"]),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
                violation_error_message=_("A sent message has the time it was sent."),
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="yiling_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.subject}"


class NoticePreference(models.Model):
    """How one user wants one kind of notice: immediately, in a daily or weekly digest, or inbox only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    mode = models.CharField(_("delivery"), max_length=16, choices=DeliveryMode.choices)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"],
                name="%(app_label)s_%(class)s_one_per_kind",
                violation_error_message=_("This user already chose how to receive this kind."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NoticeKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown kind of notice."),
            ),
            models.CheckConstraint(
                condition=Q(mode__in=DeliveryMode.values),
                name="%(app_label)s_%(class)s_mode_valid",
                violation_error_message=_("Unknown delivery."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.get_mode_display()}"


def validate_webhook_url(value: str) -> None:
    from django.core.exceptions import ValidationError

    if not value.startswith("https://"):
        raise ValidationError(_("A group-robot webhook address starts with https://."), code="insecure")


class StreetWebhook(models.Model):
    """A WeCom group-robot webhook (企业微信群机器人) a street's bulletins and reminders are posted to."""

    street = models.OneToOneField(
        "organizations.Unit",
        verbose_name=_("street"),
        on_delete=models.CASCADE,
        related_name="notice_webhook",
        limit_choices_to={"unit_type": "street"},
    )
    url = models.URLField(_("webhook address"), max_length=500, validators=[validate_webhook_url])
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("street__organization",))

    class Meta:
        verbose_name = _("street webhook")
        verbose_name_plural = _("street webhooks")

    def __str__(self) -> str:
        return str(self.street)
