"""单位联小区: district agencies paired with compounds, the problems (需求/问题) a compound raises and its
agency helps solve, what the agency brings, and the compound's regular deliberations (定期议事).

Every model is anchored at its compound (``compound`` or through it), so the organization roles reach
the rows of the compounds in their subtree and the agency contact's rule (``liaisons.scoping``) the
rows of the compounds its agency is paired with while the pairing lasts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from yiling.scoping import Anchors, ScopedQuerySet
from yiling.uploads import AttachmentValidator
from yiling.validation import OneQueryCheckConstraints

YUAN = {"max_digits": 12, "decimal_places": 2}
#: A step's attachment (a photograph of the repaired gate, a scanned reply), checked by its content.
ATTACHMENT_CHECK = AttachmentValidator(_("attachment"))


class LiaisonQuerySet(ScopedQuerySet):
    def active_on(self, day: date) -> LiaisonQuerySet:
        """Pairings that last on ``day``: started on or before it, not yet ended (``ended_on`` is the
        first day without the pairing)."""
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day), started_on__lte=day)


class Liaison(OneQueryCheckConstraints, models.Model):
    """A district agency paired with a compound (单位联小区) for a while, with a contact person on each side."""

    agency = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("district agency"),
        on_delete=models.PROTECT,
        related_name="liaisons",
        limit_choices_to={"unit_type": "agency"},
    )
    compound = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="agency_liaisons",
        limit_choices_to={"unit_type": "compound"},
    )
    started_on = models.DateField(_("paired since"))
    ended_on = models.DateField(
        _("pairing ended on"), null=True, blank=True, help_text=_("The first day the agency is no longer paired.")
    )
    agency_contact = models.CharField(_("agency contact person"), max_length=50, blank=True)
    compound_contact = models.CharField(_("compound contact person"), max_length=50, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = LiaisonQuerySet.as_manager()
    visibility = Anchors(organization=("compound__organization",), unit=("compound",))

    class Meta:
        verbose_name = _("agency–compound pairing")
        verbose_name_plural = _("agency–compound pairings")
        ordering = ["agency__code", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("A pairing must end after it starts."),
            ),
            # One open pairing per agency and per compound (对口联系): the portable part of the rule.
            # On PostgreSQL an exclusion constraint (migration 0002) also refuses overlapping dated
            # pairings; the service checks both first, with a message.
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_agency",
                violation_error_message=_("This agency already has an open pairing: end it first."),
            ),
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_compound",
                violation_error_message=_("This compound already has an open pairing: end it first."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} ↔ {self.compound}"

    def lasts_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)


class Category(models.TextChoices):
    RENOVATION = "renovation", _("Old-compound renovation")
    DISPUTE = "dispute", _("Owner–property dispute")
    REPAIR = "repair", _("Equipment repair")
    PARKING = "parking", _("Parking")
    ENVIRONMENT = "environment", _("Environment")
    SECURITY = "security", _("Security")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class State(models.TextChoices):
    RAISED = "raised", _("Raised")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed")
    REOPENED = "reopened", _("Reopened")


#: States in which a problem still waits for work (open); resolved waits for the compound only.
OPEN_STATES = (State.RAISED, State.ACCEPTED, State.IN_PROGRESS, State.REOPENED)
#: States of a problem the agency has solved.
DONE_STATES = (State.RESOLVED, State.CONFIRMED)


class DemandQuerySet(ScopedQuerySet):
    def open(self) -> DemandQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, day: date) -> DemandQuerySet:
        return self.open().filter(due_on__lt=day)

    def done(self) -> DemandQuerySet:
        return self.filter(state__in=DONE_STATES)


class Demand(OneQueryCheckConstraints, models.Model):
    """A need or problem a compound raises (需求/问题) for its paired agency to help solve; it moves
    raised → accepted → in progress → resolved → confirmed (or reopened) through ``services.demand_move``."""

    compound = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="demands",
        limit_choices_to={"unit_type": "compound"},
    )
    liaison = models.ForeignKey(
        Liaison,
        verbose_name=_("pairing"),
        on_delete=models.PROTECT,
        related_name="demands",
        help_text=_("The pairing under which the problem was raised."),
    )
    category = models.CharField(pgettext_lazy("problem", "category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RAISED)
    raised_on = models.DateField(_("raised on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    history = HistoricalRecords()
    objects = DemandQuerySet.as_manager()
    visibility = Anchors(organization=("compound__organization",), unit=("compound",))

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="%(app_label)s_%(class)s_category_valid",
                violation_error_message=_("Unknown problem category."),
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values),
                name="%(app_label)s_%(class)s_priority_valid",
                violation_error_message=_("Unknown priority."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=State.values),
                name="%(app_label)s_%(class)s_state_valid",
                violation_error_message=_("Unknown state."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("A problem needs a title."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("raised_on")),
                name="%(app_label)s_%(class)s_due_after_raised",
                violation_error_message=_("The due date cannot be before the day the problem was raised."),
            ),
            models.CheckConstraint(
                condition=(Q(state__in=DONE_STATES) & Q(resolved_on__isnull=False))
                | (~Q(state__in=DONE_STATES) & Q(resolved_on__isnull=True)),
                name="%(app_label)s_%(class)s_resolved_on_when_done",
                violation_error_message=_("A resolved or confirmed problem has a resolution date, and only then."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("raised_on")),
                name="%(app_label)s_%(class)s_resolved_after_raised",
                violation_error_message=_("A problem cannot be resolved before it was raised."),
            ),
        ]
        indexes = [models.Index(fields=["compound", "state"], name="liaisons_demand_compound_state")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("liaisons:demand-detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.state in OPEN_STATES and self.due_on is not None and self.due_on < timezone.localdate()


def attachment_path(instance: DemandStep, filename: str) -> str:
    return f"liaisons/{instance.demand.compound.code}/{instance.demand_id}/{filename}"


class DemandStep(OneQueryCheckConstraints, models.Model):
    """One dated entry of a problem's timeline: who moved it from which state to which, with a note
    and an optional attachment. Written only by ``services.demand_raise`` and ``services.demand_move``."""

    demand = models.ForeignKey(Demand, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(_("from state"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("to state"), max_length=16, choices=State.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    by_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    attachment = models.FileField(
        _("attachment"),
        upload_to=attachment_path,
        blank=True,
        help_text=_("A photograph or scan (JPG, PNG or PDF, at most 5 MB)."),
    )
    deliberation = models.ForeignKey(
        "liaisons.Deliberation",
        verbose_name=_("decided at the deliberation"),
        on_delete=models.SET_NULL,
        related_name="steps",
        null=True,
        blank=True,
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("demand__compound__organization",), unit=("demand__compound",))

    class Meta:
        verbose_name = _("problem step")
        verbose_name_plural = _("problem steps")
        ordering = ["demand_id", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_state__in=State.values) & (Q(from_state="") | Q(from_state__in=State.values)),
                name="%(app_label)s_%(class)s_states_valid",
                violation_error_message=_("Unknown state."),
            ),
            models.CheckConstraint(
                condition=~Q(from_state=F("to_state")),
                name="%(app_label)s_%(class)s_moves",
                violation_error_message=_("A step moves the problem to another state."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.demand} · {self.get_to_state_display()}"


class ContributionKind(models.TextChoices):
    MONEY = "money", _("Money")
    GOODS = "goods", _("Goods")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")


class Contribution(OneQueryCheckConstraints, models.Model):
    """What an agency brought to its compound: money, goods (with their value) or volunteer hours."""

    liaison = models.ForeignKey(
        Liaison, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="contributions"
    )
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("for the problem"),
        on_delete=models.SET_NULL,
        related_name="contributions",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContributionKind.choices)
    given_on = models.DateField(_("given on"))
    description = models.CharField(_("what"), max_length=200)
    amount = models.DecimalField(
        _("amount or value (yuan)"), **YUAN, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    hours = models.DecimalField(
        _("volunteer hours"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("liaison__compound__organization",), unit=("liaison__compound",))

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["-given_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ContributionKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown kind of contribution."),
            ),
            models.CheckConstraint(
                condition=~Q(description=""),
                name="%(app_label)s_%(class)s_description_present",
                violation_error_message=_("Say what was brought."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="money") | Q(amount__isnull=False, amount__gt=0),
                name="%(app_label)s_%(class)s_money_has_amount",
                violation_error_message=_("Money needs its amount in yuan."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="volunteer_hours") | Q(hours__isnull=False, hours__gt=0),
                name="%(app_label)s_%(class)s_hours_given",
                violation_error_message=_("Volunteer service needs its hours."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message=_("The amount must be positive."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_on} {self.description}"


class Deliberation(OneQueryCheckConstraints, models.Model):
    """A regular meeting of a compound (定期议事): who came, the problems discussed and what was decided."""

    compound = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="deliberations",
        limit_choices_to={"unit_type": "compound"},
    )
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=100)
    attendees = models.TextField(_("attendees"), max_length=1000, help_text=_("Names, separated by 、 or commas."))
    attendance = models.PositiveIntegerField(_("attendance"))
    decisions = models.TextField(_("decisions"), max_length=2000)
    demands = models.ManyToManyField(
        Demand, verbose_name=_("problems discussed"), related_name="deliberations", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    history = HistoricalRecords(m2m_fields=[demands])
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("compound__organization",), unit=("compound",))

    class Meta:
        verbose_name = _("deliberation")
        verbose_name_plural = _("deliberations")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(topic="") & ~Q(decisions="") & ~Q(attendees=""),
                name="%(app_label)s_%(class)s_topic_attendees_decisions_present",
                violation_error_message=_("A deliberation needs its topic, attendees and decisions."),
            ),
            models.CheckConstraint(
                condition=Q(attendance__gt=0),
                name="%(app_label)s_%(class)s_attendance_positive",
                violation_error_message=_("Attendance must be at least one person."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("liaisons:deliberation-detail", args=[self.pk])
