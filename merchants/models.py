"""Member merchants (党员经营户): the three displays, versioned pledges, customer feedback and complaints,
integrity ratings, responsibility zones and service teams of the business districts (商圈建示范)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yiling.privacy import mask_phone
from yiling.scoping import Anchors, ScopedQuerySet
from yiling.validation import OneQueryCheckConstraints

FEEDBACK_MAX_LENGTH = 500
PLEDGE_MAX_LENGTH = 1000


class DistrictKind(models.TextChoices):
    STREET = "street", _("Shopping street")
    MARKET = "market", _("Market")


class BusinessDistrictProfile(OneQueryCheckConstraints, models.Model):
    """What the merchants app keeps about a business district (商圈 / 市场): street or market, showcase or not."""

    unit = models.OneToOneField(
        "organizations.Unit",
        verbose_name=_("business district"),
        on_delete=models.PROTECT,
        related_name="district_profile",
        limit_choices_to={"unit_type": "business_district"},
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DistrictKind.choices, default=DistrictKind.MARKET)
    is_demonstration = models.BooleanField(_("demonstration district"), default=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("unit__organization",))

    class Meta:
        verbose_name = _("business district profile")
        verbose_name_plural = _("business district profiles")
        ordering = ["unit__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DistrictKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown business district kind."),
            ),
        ]

    def __str__(self) -> str:
        return self.unit.name

    def clean(self) -> None:
        if self.unit_id and self.unit.unit_type != "business_district":
            raise ValidationError({"unit": _("Choose a business district.")})


class ResponsibilityZone(OneQueryCheckConstraints, models.Model):
    """A party members' responsibility zone (党员责任区) of a business district: grid service."""

    district = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("business district"),
        on_delete=models.PROTECT,
        related_name="responsibility_zones",
        limit_choices_to={"unit_type": "business_district"},
    )
    name = models.CharField(_("name"), max_length=60)
    duties = models.TextField(_("duties in the zone"), max_length=500, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("district__organization",))

    class Meta:
        verbose_name = _("responsibility zone")
        verbose_name_plural = _("responsibility zones")
        ordering = ["district__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("This business district already has a zone of this name."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_present",
                violation_error_message=_("A zone needs a name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MerchantQuerySet(ScopedQuerySet):
    def displaying(self) -> MerchantQuerySet:
        return self.filter(status=Merchant.Status.DISPLAYING)

    def within(self, org) -> MerchantQuerySet:  # type: ignore[no-untyped-def]
        return self if org is None else self.filter(shop__organization__path__startswith=org.path)


class Merchant(OneQueryCheckConstraints, models.Model):
    """A shop run by a party member (党员经营户), with its plaque and public board."""

    class Status(models.TextChoices):
        DISPLAYING = "displaying", _("Displaying")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    shop = models.OneToOneField(
        "organizations.Unit",
        verbose_name=_("shop"),
        on_delete=models.PROTECT,
        related_name="merchant",
        limit_choices_to={"unit_type": "shop"},
    )
    operator = models.ForeignKey(
        "members.Member",
        verbose_name=_("member running the shop"),
        on_delete=models.PROTECT,
        related_name="merchant_shops",
    )
    licence_number = models.CharField(_("business licence number"), max_length=32)
    zone = models.ForeignKey(
        ResponsibilityZone,
        verbose_name=_("responsibility zone"),
        on_delete=models.PROTECT,
        related_name="merchants",
        null=True,
        blank=True,
    )
    post = models.CharField(
        _("post"), max_length=60, blank=True, help_text=_("The member's post in the market, e.g. 文明经营监督员.")
    )
    plaque_number = models.CharField(_("plaque number"), max_length=20, blank=True)
    board_code = models.CharField(_("board code"), max_length=16, help_text=_("The code in the board's QR address."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DISPLAYING)
    status_reason = models.CharField(_("reason for the status"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = MerchantQuerySet.as_manager()
    visibility = Anchors(organization=("shop__organization",), unit=("shop",))

    class Meta:
        verbose_name = _("member merchant")
        verbose_name_plural = _("member merchants")
        ordering = ["shop__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["displaying", "suspended", "revoked"]),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown merchant status."),
            ),
            models.UniqueConstraint(
                fields=["board_code"],
                name="%(app_label)s_%(class)s_unique_board_code",
                violation_error_message=_("Another merchant has this board code."),
            ),
            models.UniqueConstraint(
                fields=["licence_number"],
                name="%(app_label)s_%(class)s_unique_licence",
                violation_error_message=_("Another merchant has this business licence number."),
            ),
            models.UniqueConstraint(
                fields=["plaque_number"],
                condition=~Q(plaque_number=""),
                name="%(app_label)s_%(class)s_unique_plaque",
                violation_error_message=_("Another merchant has this plaque number."),
            ),
            models.CheckConstraint(
                condition=~Q(board_code="") & ~Q(licence_number=""),
                name="%(app_label)s_%(class)s_codes_present",
                violation_error_message=_("A merchant needs a board code and a licence number."),
            ),
            models.CheckConstraint(
                condition=Q(status="displaying") | ~Q(status_reason=""),
                name="%(app_label)s_%(class)s_reason_when_not_displaying",
                violation_error_message=_("Give the reason a plaque is suspended or revoked."),
            ),
        ]

    def __str__(self) -> str:
        return self.shop.name

    def get_absolute_url(self) -> str:
        return reverse("merchants:shop", kwargs={"code": self.shop.code})

    def clean(self) -> None:
        if self.shop_id and self.shop.unit_type != "shop":
            raise ValidationError({"shop": _("Choose a member-run shop.")})
        if self.zone_id and self.shop_id and self.zone.district_id != self.shop.parent_id:
            raise ValidationError({"zone": _("The zone must be in the shop's business district.")})

    @property
    def duties(self) -> list[str]:
        """亮职责: the member's post and the duties of the zone."""
        lines = []
        if self.post:
            lines.append(self.post)
        if self.zone_id and self.zone.duties:
            lines.extend(line.strip() for line in self.zone.duties.splitlines() if line.strip())
        return lines


class Pledge(OneQueryCheckConstraints, models.Model):
    """One version of a merchant's pledges (亮承诺): proposed by the merchant, approved by the secretary."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting approval")
        APPROVED = "approved", _("Current")
        RETURNED = "returned", _("Returned")
        SUPERSEDED = "superseded", _("Superseded")

    merchant = models.ForeignKey(Merchant, verbose_name=_("merchant"), on_delete=models.CASCADE, related_name="pledges")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("pledges"), max_length=PLEDGE_MAX_LENGTH, help_text=_("One pledge per line."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    return_reason = models.CharField(_("reason returned"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("merchant__shop__organization",), unit=("merchant__shop",))

    class Meta:
        verbose_name = _("pledge version")
        verbose_name_plural = _("pledge versions")
        ordering = ["merchant_id", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "returned", "superseded"]),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown pledge status."),
            ),
            models.UniqueConstraint(
                fields=["merchant", "version"],
                name="%(app_label)s_%(class)s_unique_version",
                violation_error_message=_("This merchant already has a pledge version with this number."),
            ),
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(status="approved"),
                name="%(app_label)s_%(class)s_one_current",
                violation_error_message=_("A merchant has one current pledge version."),
            ),
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(status="proposed"),
                name="%(app_label)s_%(class)s_one_proposed",
                violation_error_message=_("A proposal is already waiting for approval."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="%(app_label)s_%(class)s_reason_when_returned",
                violation_error_message=_("Say why the proposal is returned."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="%(app_label)s_%(class)s_text_present",
                violation_error_message=_("Write at least one pledge."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} v{self.version}"

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]


class FeedbackQuerySet(ScopedQuerySet):
    def published(self) -> FeedbackQuerySet:
        return self.filter(status=Feedback.Status.PUBLISHED)

    def complaints_open(self) -> FeedbackQuerySet:
        return self.filter(kind=Feedback.Kind.COMPLAINT, closed_at__isnull=True).exclude(
            status=Feedback.Status.REJECTED
        )


class Feedback(OneQueryCheckConstraints, models.Model):
    """A customer's praise, complaint or suggestion on a merchant (消费者监督)."""

    class Kind(models.TextChoices):
        PRAISE = "praise", _("Praise")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Not published")

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.CASCADE, related_name="feedback"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("what the customer wrote"), max_length=FEEDBACK_MAX_LENGTH)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    receipt = models.CharField(_("receipt number"), max_length=16)
    source = models.CharField(_("source"), max_length=32, blank=True, help_text=_("A keyed hash of the address."))
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    reply = models.TextField(_("merchant's reply"), max_length=FEEDBACK_MAX_LENGTH, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    result = models.TextField(_("result"), max_length=FEEDBACK_MAX_LENGTH, blank=True)

    history = HistoricalRecords(excluded_fields=["contact_phone", "source"])
    objects = FeedbackQuerySet.as_manager()
    visibility = Anchors(organization=("merchant__shop__organization",), unit=("merchant__shop",))
    #: Masked everywhere; nobody filters, searches or sorts on it in the admin (yiling.admin).
    personal_fields = ("contact_phone",)

    class Meta:
        verbose_name = _("customer feedback")
        verbose_name_plural = _("customer feedback")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["praise", "complaint", "suggestion"]),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown feedback kind."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "published", "rejected"]),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown feedback status."),
            ),
            models.UniqueConstraint(
                fields=["receipt"],
                name="%(app_label)s_%(class)s_unique_receipt",
                violation_error_message=_("This receipt number is taken."),
            ),
            models.CheckConstraint(
                condition=Q(kind="complaint") | (Q(due_on__isnull=True) & Q(closed_at__isnull=True)),
                name="%(app_label)s_%(class)s_due_only_complaint",
                violation_error_message=_("Only a complaint has a due date and is closed."),
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(result=""),
                name="%(app_label)s_%(class)s_result_when_closed",
                violation_error_message=_("A closed complaint needs its result."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="%(app_label)s_%(class)s_text_present",
                violation_error_message=_("Write what happened."),
            ),
        ]
        indexes = [models.Index(fields=["source", "submitted_at"], name="merchants_feedback_source_idx")]

    def __str__(self) -> str:
        return self.receipt

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return bool(self.due_on and self.closed_at is None and self.due_on < timezone.localdate())


class ContactAccess(models.Model):
    """A record that a user saw a complainant's full contact phone: who, when, which feedback."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="contact_accesses"
    )
    accessed_at = models.DateTimeField(_("when"), db_index=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("feedback__merchant__shop__organization",))

    class Meta:
        verbose_name = _("contact phone access")
        verbose_name_plural = _("contact phone accesses")
        ordering = ["-accessed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} · {self.feedback} · {self.accessed_at:%Y-%m-%d %H:%M}"


class Grade(models.TextChoices):
    FIVE = "five", _("Five stars")
    FOUR = "four", _("Four stars")
    THREE = "three", _("Three stars")
    FAIL = "fail", _("Below standard")


class RatingCycle(OneQueryCheckConstraints, models.Model):
    """A yearly integrity-merchant rating (诚信经营户评比) run by an organization for the shops below it."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        related_name="rating_cycles",
    )
    year = models.PositiveIntegerField(_("year"))
    criteria = models.TextField(_("criteria"), max_length=2000)
    is_published = models.BooleanField(_("published"), default=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("organization",))

    class Meta:
        verbose_name = _("rating cycle")
        verbose_name_plural = _("rating cycles")
        ordering = ["-year", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("This organization already has a rating cycle for this year."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message=_("Give a year between 2000 and 2100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.organization}"


class Rating(OneQueryCheckConstraints, models.Model):
    """A merchant's grade in a rating cycle, how it was reached, and the plaque's fate."""

    cycle = models.ForeignKey(RatingCycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="ratings")
    merchant = models.ForeignKey(Merchant, verbose_name=_("merchant"), on_delete=models.CASCADE, related_name="ratings")
    praise_score = models.PositiveSmallIntegerField(_("published praise score"))
    complaint_score = models.PositiveSmallIntegerField(_("complaints resolved on time score"))
    inspection_score = models.PositiveSmallIntegerField(_("inspection score"))
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    explanation = models.TextField(_("public explanation"), max_length=1000)
    revokes_plaque = models.BooleanField(_("plaque revoked"), default=False)
    revocation_reason = models.CharField(_("reason for revocation"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("merchant__shop__organization",), unit=("merchant__shop",))

    class Meta:
        verbose_name = _("integrity rating")
        verbose_name_plural = _("integrity ratings")
        ordering = ["-cycle__year", "merchant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "merchant"],
                name="%(app_label)s_%(class)s_unique_per_cycle",
                violation_error_message=_("This merchant is already rated in this cycle."),
            ),
            models.CheckConstraint(
                condition=Q(grade__in=["five", "four", "three", "fail"]),
                name="%(app_label)s_%(class)s_grade_valid",
                violation_error_message=_("Unknown grade."),
            ),
            models.CheckConstraint(
                condition=Q(praise_score__lte=30) & Q(complaint_score__lte=30) & Q(inspection_score__lte=40),
                name="%(app_label)s_%(class)s_scores_in_range",
                violation_error_message=_("Scores are at most 30, 30 and 40."),
            ),
            models.CheckConstraint(
                condition=Q(revokes_plaque=False) | ~Q(revocation_reason=""),
                name="%(app_label)s_%(class)s_reason_when_revoked",
                violation_error_message=_("Give the reason the plaque is revoked."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} · {self.merchant}"

    @property
    def total(self) -> int:
        return self.praise_score + self.complaint_score + self.inspection_score


class ServiceTeam(OneQueryCheckConstraints, models.Model):
    """A volunteer service team (服务队) of party members."""

    class Kind(models.TextChoices):
        ENVIRONMENT = "environment", _("Environment clean-up")
        LEGAL = "legal", _("Legal advice")
        PATROL = "patrol", _("Security patrol")
        POVERTY = "poverty", _("Help for the poor")

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="service_teams",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    members = models.ManyToManyField(
        "members.Member", verbose_name=_("members"), related_name="service_teams", blank=True
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("organization",))

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        ordering = ["organization__path", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["environment", "legal", "patrol", "poverty"]),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown service team kind."),
            ),
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("This organization already has a team of this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceActivity(OneQueryCheckConstraints, models.Model):
    """Something a service team did."""

    team = models.ForeignKey(ServiceTeam, verbose_name=_("team"), on_delete=models.CASCADE, related_name="activities")
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=100)
    participants = models.PositiveIntegerField(_("participants"), default=0)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("team__organization",))

    class Meta:
        verbose_name = _("service activity")
        verbose_name_plural = _("service activities")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("An activity needs a title."),
            ),
        ]

    def __str__(self) -> str:
        return self.title
