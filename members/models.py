"""Party members and what they do where they live: report-in, the six posts, floating, transfers."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yiling.privacy import mask_birth_date, mask_id_number, mask_phone
from yiling.scoping import Anchors, ScopedQuerySet
from yiling.validation import OneQueryCheckConstraints

from .idnumbers import birth_date_of, is_male, validate_id_number

#: Unit types a member may live in / report in to.
RESIDENCE_TYPES = ("compound", "community")
#: Unit types that employ in-service members.
EMPLOYER_TYPES = ("agency", "enterprise")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("Postgraduate")
    BACHELOR = "bachelor", _("Bachelor's degree")
    COLLEGE = "college", _("Junior college")
    SECONDARY = "secondary", _("Secondary vocational school")
    HIGH_SCHOOL = "high_school", _("High school")
    JUNIOR = "junior", _("Junior middle school or below")


class MemberStatus(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class Category(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    RETIRED = "retired", _("Retired")
    FLOATING = "floating", _("Floating")
    OTHER = "other", _("Other")


class MemberQuerySet(ScopedQuerySet):
    def within(self, org) -> MemberQuerySet:  # type: ignore[no-untyped-def]
        """Members whose membership is held, or who live, in ``org``'s subtree (all for None)."""
        if org is None:
            return self
        return self.filter(
            Q(home_organization__path__startswith=org.path) | Q(residence__organization__path__startswith=org.path)
        )

    def living_in(self, unit) -> MemberQuerySet:  # type: ignore[no-untyped-def]
        """Members living in ``unit``, or for a community in it or any of its compounds."""
        return self.filter(Q(residence=unit) | Q(residence__parent=unit))


#: Dates of a member's life that cannot lie ahead: born, joined the party, made a full member.
PAST_DATE_FIELDS = ("birth_date", "joined_on", "full_member_on")


def future_date_message(name: str) -> str:
    """Why a date in ``PAST_DATE_FIELDS`` cannot be after today, naming the field (出生日期 …)."""
    return gettext("%(field)s cannot be in the future: give a day up to today.") % {
        "field": Member._meta.get_field(name).verbose_name
    }


class Member(OneQueryCheckConstraints, models.Model):
    """A party member (党员): one row wherever he or she appears."""

    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    birth_date = models.DateField(_("birth date"))
    id_number = models.CharField(_("resident ID number"), max_length=18, validators=[validate_id_number])
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True)
    joined_on = models.DateField(_("date joined the party"))
    full_member_on = models.DateField(_("date made full member"), null=True, blank=True)
    status = models.CharField(
        _("member status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    home_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("membership held by"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        help_text=_("The organization that holds the membership record (组织关系)."),
    )
    external_organization = models.CharField(
        _("membership held outside the district"),
        max_length=100,
        blank=True,
        help_text=_("For a member whose membership is held by an organization outside the district."),
    )
    employer = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("employer"),
        on_delete=models.PROTECT,
        related_name="employed_members",
        null=True,
        blank=True,
        limit_choices_to={"unit_type__in": EMPLOYER_TYPES},
        help_text=_("The agency or enterprise an in-service member works for."),
    )
    residence = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("lives in"),
        on_delete=models.PROTECT,
        related_name="resident_members",
        null=True,
        blank=True,
        limit_choices_to={"unit_type__in": RESIDENCE_TYPES},
        help_text=_("The compound (or community) where the member lives."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = MemberQuerySet.as_manager()
    # ``residence``: the agency contact of a paired compound reaches its residents (liaisons.scoping).
    visibility = Anchors(organization=("home_organization", "residence__organization"), unit=("employer", "residence"))
    #: Shown masked to users without ``view_personal_data``, who may then not filter, search or sort on
    #: them either (``yiling.admin.PersonalDataGuardMixin``). The birth date is among them because with
    #: the visible part of an ID number it narrows down the rest.
    personal_fields = ("id_number", "phone", "birth_date")

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["name", "pk"]
        permissions = [("view_personal_data", _("Can see full ID numbers and phone numbers"))]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                name="%(app_label)s_%(class)s_unique_id_number",
                violation_error_code="unique",
                violation_error_message=_("A member with this ID number already exists."),
            ),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values),
                name="%(app_label)s_%(class)s_gender_valid",
                violation_error_message=_("Unknown gender."),
            ),
            models.CheckConstraint(
                condition=Q(education="") | Q(education__in=Education.values),
                name="%(app_label)s_%(class)s_education_valid",
                violation_error_message=_("Unknown education."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=MemberStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="%(app_label)s_%(class)s_category_valid",
                violation_error_message=_("Unknown category."),
            ),
            models.CheckConstraint(
                condition=Q(home_organization__isnull=False) | ~Q(external_organization=""),
                name="%(app_label)s_%(class)s_membership_held_somewhere",
                violation_error_message=_(
                    "Say which organization holds the membership, in the district or outside it."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status=MemberStatus.FULL) | Q(full_member_on__isnull=True),
                name="%(app_label)s_%(class)s_probationary_not_yet_full",
                violation_error_message=_("A probationary member has no date made full member."),
            ),
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True) | Q(full_member_on__gte=models.F("joined_on")),
                name="%(app_label)s_%(class)s_full_after_joining",
                violation_error_message=_("The date made full member cannot be before the date joined."),
            ),
            models.CheckConstraint(
                condition=Q(joined_on__gt=models.F("birth_date")),
                name="%(app_label)s_%(class)s_joined_after_birth",
                violation_error_message=_("The date joined must be after the birth date."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_present",
                violation_error_message=_("A member needs a name."),
            ),
        ]
        indexes = [models.Index(fields=["category"], name="members_member_category_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:member-detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.employer_id and self.employer.unit_type not in EMPLOYER_TYPES:
            errors["employer"] = _("The employer must be an agency or an enterprise.")
        if self.residence_id and self.residence.unit_type not in RESIDENCE_TYPES:
            errors["residence"] = _("A member lives in a compound or a community.")
        errors.update(self._id_number_mismatches())
        today = timezone.localdate()
        for name in PAST_DATE_FIELDS:
            value = getattr(self, name)
            if value is not None and value > today:
                errors[name] = future_date_message(name)  # said rather than "does not match the ID number"
        if errors:
            raise ValidationError(errors)

    def _id_number_mismatches(self) -> dict[str, str]:
        """Birth date and gender must agree with what the ID number says."""
        try:
            validate_id_number(self.id_number or "")
        except ValidationError:
            return {}  # reported on the field itself
        errors = {}
        if self.birth_date and self.birth_date != birth_date_of(self.id_number):
            errors["birth_date"] = _("The birth date does not match the one in the ID number.")
        expected = Gender.MALE if is_male(self.id_number) else Gender.FEMALE
        if self.gender and self.gender != expected:
            errors["gender"] = _("The gender does not match the ID number.")
        return errors

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_birth_date(self) -> str:
        return mask_birth_date(self.birth_date)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def membership_display(self) -> str:
        return str(self.home_organization) if self.home_organization_id else self.external_organization


class CheckIn(OneQueryCheckConstraints, models.Model):
    """A report-in (报到): a member registers with the compound or community where he or she lives."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        RETURNED = "returned", _("Returned")

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="checkins")
    unit = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("reported in to"),
        on_delete=models.PROTECT,
        related_name="checkins",
        limit_choices_to={"unit_type__in": RESIDENCE_TYPES},
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(_("submitted"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    return_reason = models.CharField(_("reason for returning"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("unit__organization", "member__home_organization"), unit=("member__employer",))

    class Meta:
        verbose_name = _("report-in")
        verbose_name_plural = _("report-ins")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "returned"]),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message=_("Unknown status."),
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["pending", "confirmed"]),
                name="%(app_label)s_%(class)s_one_open_per_member",
                violation_error_message=_("This member has already reported in."),
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="%(app_label)s_%(class)s_decided_when_not_pending",
                violation_error_message=_("A decided report-in has a decision time, a pending one has none."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="%(app_label)s_%(class)s_returned_with_reason",
                violation_error_message=_("Say why the report-in is returned."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.unit}"


class PostKind(models.TextChoices):
    """The six posts (六员) members take in their compound."""

    SANITATION = "sanitation", _("Sanitation warden")
    SAFETY = "safety", _("Safety warden")
    PARKING = "parking", _("Parking warden")
    PUBLICITY = "publicity", _("Culture and publicity warden")
    NEIGHBOURHOOD_WATCH = "neighbourhood_watch", _("Neighbourhood watch")
    PATROL = "patrol", _("Security patrol")


class VolunteerPostQuerySet(ScopedQuerySet):
    def active(self) -> VolunteerPostQuerySet:
        return self.filter(ended_on__isnull=True)


class VolunteerPost(OneQueryCheckConstraints, models.Model):
    """One of the six posts (六员) held by a member in the compound where he or she lives."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="volunteer_posts"
    )
    compound = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="volunteer_posts",
        limit_choices_to={"unit_type": "compound"},
    )
    post = models.CharField(_("post"), max_length=24, choices=PostKind.choices)
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"), null=True, blank=True)

    history = HistoricalRecords()
    objects = VolunteerPostQuerySet.as_manager()
    visibility = Anchors(organization=("compound__organization", "member__home_organization"), unit=("compound",))

    class Meta:
        verbose_name = _("volunteer post")
        verbose_name_plural = _("volunteer posts")
        ordering = ["compound", "post", "member__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(post__in=PostKind.values),
                name="%(app_label)s_%(class)s_post_valid",
                violation_error_message=_("Unknown post."),
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_post_per_member",
                violation_error_message=_("This member already holds a post."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("A post cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_post_display()}"


class FloatingRecord(OneQueryCheckConstraints, models.Model):
    """A floating member's stay away from where the membership is held: outgoing or incoming."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Outgoing")
        INCOMING = "incoming", _("Incoming")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="floating_records"
    )
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    place = models.CharField(
        _("place"), max_length=100, help_text=_("Where the member went (outgoing) or came from (incoming).")
    )
    reason = models.CharField(_("reason"), max_length=200)
    local_unit = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("takes part in activities at"),
        on_delete=models.PROTECT,
        related_name="floating_records",
        null=True,
        blank=True,
        limit_choices_to={"unit_type__in": RESIDENCE_TYPES},
        help_text=_("For an incoming member: the compound or community where he or she lives now."),
    )
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(
        organization=("member__home_organization", "member__residence__organization", "local_unit__organization")
    )

    class Meta:
        verbose_name = _("floating record")
        verbose_name_plural = _("floating records")
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["outgoing", "incoming"]),
                name="%(app_label)s_%(class)s_direction_valid",
                violation_error_message=_("Unknown direction."),
            ),
            models.UniqueConstraint(
                fields=["member", "direction"],
                condition=Q(ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_direction",
                violation_error_message=_("This member already has an open record in this direction."),
            ),
            models.CheckConstraint(
                condition=~Q(direction="incoming") | Q(local_unit__isnull=False),
                name="%(app_label)s_%(class)s_incoming_has_local_unit",
                violation_error_message=_("Say where an incoming member takes part in activities."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("A record cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(place="") & ~Q(reason=""),
                name="%(app_label)s_%(class)s_place_and_reason_present",
                violation_error_message=_("Give the place and the reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_direction_display()} · {self.place}"


class MembershipTransfer(OneQueryCheckConstraints, models.Model):
    """A transfer of the membership record (组织关系转接) from one organization to another."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="transfers")
    from_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("transferred from"),
        on_delete=models.PROTECT,
        related_name="transfers_out",
        null=True,
        blank=True,
    )
    from_external = models.CharField(_("transferred from (outside the district)"), max_length=100, blank=True)
    to_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("transferred to"),
        on_delete=models.PROTECT,
        related_name="transfers_in",
        null=True,
        blank=True,
    )
    to_external = models.CharField(_("transferred to (outside the district)"), max_length=100, blank=True)
    transferred_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("from_organization", "to_organization", "member__home_organization"))

    class Meta:
        verbose_name = _("membership transfer")
        verbose_name_plural = _("membership transfers")
        ordering = ["-transferred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_organization__isnull=False) | ~Q(to_external=""),
                name="%(app_label)s_%(class)s_has_destination",
                violation_error_message=_("Say where the membership goes."),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="%(app_label)s_%(class)s_reason_present",
                violation_error_message=_("Give the reason for the transfer."),
            ),
        ]

    def __str__(self) -> str:
        source = self.from_organization or self.from_external
        target = self.to_organization or self.to_external
        return f"{self.member}: {source} → {target}"


class PersonalDataAccess(models.Model):
    """A record that a user saw a member's full ID number and phone: who, when, where."""

    class Purpose(models.TextChoices):
        PAGE = "page", _("Member page")
        ADMIN = "admin", _("Admin form")
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import preview")
        CALL = "call", _("Phone call from the portal")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        related_name="personal_data_accesses",
        null=True,
    )
    member_name = models.CharField(_("member name"), max_length=50)
    purpose = models.CharField(_("where"), max_length=16, choices=Purpose.choices)
    accessed_at = models.DateTimeField(_("when"), db_index=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("member__home_organization", "member__residence__organization"))

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-accessed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=["page", "admin", "export", "import", "call"]),
                name="%(app_label)s_%(class)s_purpose_valid",
                violation_error_message=_("Unknown purpose."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.member_name} · {self.accessed_at:%Y-%m-%d %H:%M}"
