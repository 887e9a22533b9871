"""Compound governance and branch funds (小区建支部): the branch, the owners' committee and the property
company of each compound, the people on their posts, venues, activities and the money."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yiling.scoping import Anchors, ScopedQuerySet, reach_q
from yiling.templatetags.portal import cn_date
from yiling.uploads import AttachmentValidator
from yiling.validation import OneQueryCheckConstraints

from .tree import Role, UnitType, validate_code

#: The default yearly activity fund of a branch (每个支部每年1000元党建活动经费).
DEFAULT_ACTIVITY_FUND = Decimal("1000.00")
YUAN = {"max_digits": 12, "decimal_places": 2}
POSITIVE_YUAN = [MinValueValidator(Decimal("0.01"))]
#: Receipts: photographs or scans, at most this many bytes.
RECEIPT_EXTENSIONS = ["jpg", "jpeg", "png", "pdf"]
RECEIPT_MAX_BYTES = 5 * 1024 * 1024
#: A receipt is checked by its content: the portal's and the admin's form field, and the service.
RECEIPT_CHECK = AttachmentValidator(_("receipt"), max_bytes=RECEIPT_MAX_BYTES)


class PropertyCompanyQuerySet(ScopedQuerySet):
    def visible_to(self, user):  # type: ignore[no-untyped-def]
        """A company is seen by whoever sees a compound it manages; district staff see them all."""
        if user is not None and user.is_active and getattr(user, "is_superuser", False):
            return self
        from yiling.scoping import assignments_of

        from .tree import Unit

        if user is not None and user.is_authenticated and user.is_active:
            if any(a.role == Role.DISTRICT_STAFF for a in assignments_of(user)):
                return self
        q = reach_q(user, Unit)
        if q is None:
            return self.none()
        managed = Unit.objects.filter(q, unit_type=UnitType.COMPOUND, property_company__isnull=False)
        return self.filter(pk__in=managed.values("property_company_id"))


class PropertyCompany(models.Model):
    """A property-management company (物业公司); "red" (红色物业) when it has a party organization and
    works under the branch's guidance."""

    code = models.CharField(_("code"), max_length=32, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    is_red = models.BooleanField(
        _("red property company"),
        default=False,
        help_text=_("Has a party organization and works under the compound branch's guidance (红色物业)."),
    )
    party_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("party organization"),
        on_delete=models.SET_NULL,
        related_name="property_companies",
        null=True,
        blank=True,
    )
    contact = models.CharField(_("contact person"), max_length=50, blank=True)

    history = HistoricalRecords()
    objects = PropertyCompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_code="unique",
                violation_error_message=_("A property company with this code already exists."),
            ),
            models.UniqueConstraint(
                fields=["name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_code="unique",
                violation_error_message=_("A property company with this name already exists."),
            ),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""),
                name="%(app_label)s_%(class)s_code_and_name_present",
                violation_error_message=_("A property company needs a code and a name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OwnersCommitteeQuerySet(ScopedQuerySet):
    def current(self) -> OwnersCommitteeQuerySet:
        return self.filter(is_current=True)


class OwnersCommittee(models.Model):
    """One term of a compound's owners' committee (业委会); the latest recorded term is the current one."""

    compound = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="owners_committees",
        limit_choices_to={"unit_type": UnitType.COMPOUND},
    )
    elected_on = models.DateField(_("elected on"))
    term_ends_on = models.DateField(_("term ends on"))
    is_current = models.BooleanField(_("current term"), default=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = OwnersCommitteeQuerySet.as_manager()
    visibility = Anchors(organization=("compound__organization",))

    class Meta:
        verbose_name = _("owners' committee term")
        verbose_name_plural = _("owners' committee terms")
        ordering = ["compound_id", "-elected_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(is_current=True),
                name="%(app_label)s_%(class)s_one_current_per_compound",
                violation_error_message=_("A compound has one current owners' committee."),
            ),
            models.UniqueConstraint(
                fields=["compound", "elected_on"],
                name="%(app_label)s_%(class)s_unique_term",
                violation_error_message=_("This compound already has a committee term elected on that date."),
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__gt=F("elected_on")),
                name="%(app_label)s_%(class)s_term_ends_after_election",
                violation_error_message=_("A term must end after the election."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(compound)s owners' committee (%(start)s – %(end)s)") % {
            "compound": self.compound,
            "start": cn_date(self.elected_on),
            "end": cn_date(self.term_ends_on),
        }


class CommitteePosition(models.TextChoices):
    CHAIR = "chair", _("Chair")
    DEPUTY_CHAIR = "deputy_chair", _("Deputy chair")
    MEMBER = "member", _("Committee member")


class CommitteeSeat(OneQueryCheckConstraints, models.Model):
    """A person's seat on one term of an owners' committee: a party member, or an owner who is not one."""

    committee = models.ForeignKey(
        OwnersCommittee, verbose_name=_("owners' committee term"), on_delete=models.CASCADE, related_name="seats"
    )
    position = models.CharField(_("position"), max_length=16, choices=CommitteePosition.choices)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="committee_seats",
        null=True,
        blank=True,
        help_text=_("Empty for an owner who is not a party member."),
    )
    name = models.CharField(_("name"), max_length=50)
    ended_on = models.DateField(_("left on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("committee__compound__organization",))

    class Meta:
        verbose_name = _("owners' committee seat")
        verbose_name_plural = _("owners' committee seats")
        ordering = ["committee_id", "position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(position__in=CommitteePosition.values),
                name="%(app_label)s_%(class)s_position_valid",
                violation_error_message=_("Unknown committee position."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_present",
                violation_error_message=_("A seat needs the holder's name."),
            ),
            models.UniqueConstraint(
                fields=["committee", "member"],
                condition=Q(member__isnull=False),
                name="%(app_label)s_%(class)s_one_seat_per_member",
                violation_error_message=_("This member already has a seat on this committee."),
            ),
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(position="chair", ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_chair",
                violation_error_message=_("The committee already has a chair."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_position_display()}"


class BranchPosition(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", _("First secretary")
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("Branch committee member")


#: Posts only one person holds at a time in a branch.
SINGLE_HOLDER_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.FIRST_SECRETARY)


class BranchPostQuerySet(ScopedQuerySet):
    def active(self) -> BranchPostQuerySet:
        return self.filter(ended_on__isnull=True)


class BranchPost(OneQueryCheckConstraints, models.Model):
    """A party member's post in a branch's committee (支部委员会), the first secretary (第一书记) included."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("party organization"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="branch_posts"
    )
    position = models.CharField(_("position"), max_length=24, choices=BranchPosition.choices)
    started_on = models.DateField(_("since"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    history = HistoricalRecords()
    objects = BranchPostQuerySet.as_manager()
    visibility = Anchors(organization=("organization",))

    class Meta:
        verbose_name = _("branch post")
        verbose_name_plural = _("branch posts")
        ordering = ["organization_id", "position", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(position__in=BranchPosition.values),
                name="%(app_label)s_%(class)s_position_valid",
                violation_error_message=_("Unknown branch position."),
            ),
            models.UniqueConstraint(
                fields=["organization", "position"],
                condition=Q(position__in=SINGLE_HOLDER_POSITIONS, ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_holder",
                violation_error_message=_("Someone already holds this post in this organization."),
            ),
            models.UniqueConstraint(
                fields=["organization", "member"],
                condition=Q(ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_post_per_member",
                violation_error_message=_("This member already holds a post in this organization."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("A post cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_position_display()}"


class VenueKind(models.TextChoices):
    ACTIVITY_ROOM = "activity_room", _("Party activity room")
    COMMITTEE_ROOM = "committee_room", _("Owners' committee room")
    SHARED_OFFICE = "shared_office", _("Shared office of branch and committee")
    OUTDOOR = "outdoor", _("Outdoor venue")


class VenueQuerySet(ScopedQuerySet):
    def active(self) -> VenueQuerySet:
        return self.filter(is_active=True)


class Venue(OneQueryCheckConstraints, models.Model):
    """A place for party and residents' activities in a compound or community (党员活动阵地)."""

    unit = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound or community"),
        on_delete=models.PROTECT,
        related_name="venues",
        limit_choices_to={"unit_type__in": [UnitType.COMPOUND, UnitType.COMMUNITY]},
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=VenueKind.choices)
    area = models.DecimalField(
        _("area (m²)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()
    objects = VenueQuerySet.as_manager()
    visibility = Anchors(organization=("unit__organization",))

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["unit_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=VenueKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown venue kind."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_present",
                violation_error_message=_("A venue needs a name."),
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__gt=0),
                name="%(app_label)s_%(class)s_area_positive",
                violation_error_message=_("The area must be positive."),
            ),
            models.UniqueConstraint(
                fields=["unit", "name"],
                name="%(app_label)s_%(class)s_unique_name_per_unit",
                violation_error_message=_("This compound already has a venue with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ActivityKind(models.TextChoices):
    THEME_DAY = "theme_day", _("Theme party day")
    STUDY = "study", _("Study session")
    DELIBERATION = "deliberation", _("Deliberation meeting")
    VOLUNTEER = "volunteer", _("Volunteer service")
    CULTURE = "culture", _("Culture and sports")
    OTHER = "other", _("Other")


class Activity(OneQueryCheckConstraints, models.Model):
    """An activity a compound's branch held: what, when, how many came and a short report."""

    compound = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="activities",
        limit_choices_to={"unit_type": UnitType.COMPOUND},
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("held on"))
    attendance = models.PositiveIntegerField(_("attendance"))
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.SET_NULL, related_name="activities", null=True, blank=True
    )
    report = models.TextField(_("short report"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("compound__organization",))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown activity kind."),
            ),
            models.CheckConstraint(
                condition=Q(attendance__gt=0),
                name="%(app_label)s_%(class)s_attendance_positive",
                violation_error_message=_("Attendance must be at least one person."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("An activity needs a title."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class AnnualFunding(OneQueryCheckConstraints, models.Model):
    """The amounts the district sets for one year: each branch's activity fund and the secretary allowance."""

    year = models.PositiveSmallIntegerField(_("year"))
    activity_fund = models.DecimalField(
        _("activity fund per branch (yuan)"), **YUAN, default=DEFAULT_ACTIVITY_FUND, validators=POSITIVE_YUAN
    )
    secretary_allowance = models.DecimalField(
        _("secretary allowance (yuan)"), **YUAN, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yearly funding standard")
        verbose_name_plural = _("yearly funding standards")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("The standard for this year is already set."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="%(app_label)s_%(class)s_year_plausible",
                violation_error_message=_("Give a year between 2000 and 2100."),
            ),
            models.CheckConstraint(
                condition=Q(activity_fund__gt=0) & Q(secretary_allowance__gte=0),
                name="%(app_label)s_%(class)s_amounts_valid",
                violation_error_message=_("The activity fund must be positive and the allowance not negative."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class FundSource(models.TextChoices):
    ACTIVITY_FUND = "activity_fund", _("Activity fund")
    PUBLIC_REVENUE = "public_revenue", _("Public-revenue share")


class FundAllocation(OneQueryCheckConstraints, models.Model):
    """Money a branch receives for one year: the activity fund, or a share of the compound's public
    revenue approved by an owners' resolution. Expenses draw on it."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("party organization"),
        on_delete=models.PROTECT,
        related_name="fund_allocations",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=16, choices=FundSource.choices)
    amount = models.DecimalField(_("amount (yuan)"), **YUAN, validators=POSITIVE_YUAN)
    resolution_ref = models.CharField(
        _("owners' resolution"),
        max_length=100,
        blank=True,
        help_text=_("Reference of the owners' resolution approving a public-revenue share."),
    )
    granted_on = models.DateField(_("granted on"))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("organization",))

    class Meta:
        verbose_name = _("fund allocation")
        verbose_name_plural = _("fund allocations")
        ordering = ["-year", "organization_id", "source"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=FundSource.values),
                name="%(app_label)s_%(class)s_source_valid",
                violation_error_message=_("Unknown fund source."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message=_("The amount must be positive."),
            ),
            models.CheckConstraint(
                condition=~Q(source="public_revenue") | ~Q(resolution_ref=""),
                name="%(app_label)s_%(class)s_public_revenue_has_resolution",
                violation_error_message=_("A public-revenue share needs the reference of the owners' resolution."),
            ),
            models.UniqueConstraint(
                fields=["organization", "year"],
                condition=Q(source="activity_fund"),
                name="%(app_label)s_%(class)s_one_activity_fund_a_year",
                violation_error_message=_("This branch already has its activity fund for this year."),
            ),
            models.UniqueConstraint(
                fields=["organization", "year", "resolution_ref"],
                condition=Q(source="public_revenue"),
                name="%(app_label)s_%(class)s_one_share_per_resolution",
                violation_error_message=_("This resolution is already recorded for this branch and year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.year} · {self.get_source_display()}"


class Allowance(models.Model):
    """The yearly allowance paid to the secretary of a branch that actually operates (党建津贴)."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("party organization"),
        on_delete=models.PROTECT,
        related_name="allowances",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    member = models.ForeignKey(
        "members.Member", verbose_name=_("secretary"), on_delete=models.PROTECT, related_name="allowances"
    )
    amount = models.DecimalField(_("amount (yuan)"), **YUAN, validators=POSITIVE_YUAN)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("organization",))

    class Meta:
        verbose_name = _("secretary allowance")
        verbose_name_plural = _("secretary allowances")
        ordering = ["-year", "organization_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message=_("The amount must be positive."),
            ),
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="%(app_label)s_%(class)s_one_a_year",
                violation_error_message=_("This branch's secretary allowance for this year is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.year} · {self.member}"


def receipt_path(instance: Expense, filename: str) -> str:
    return f"receipts/{instance.allocation.year}/{instance.allocation.organization.code}/{filename}"


class Expense(OneQueryCheckConstraints, models.Model):
    """Money spent from an allocation, with its receipt."""

    allocation = models.ForeignKey(
        FundAllocation, verbose_name=_("allocation"), on_delete=models.PROTECT, related_name="expenses"
    )
    spent_on = models.DateField(_("spent on"))
    amount = models.DecimalField(_("amount (yuan)"), **YUAN, validators=POSITIVE_YUAN)
    purpose = models.CharField(_("purpose"), max_length=200)
    receipt = models.FileField(
        _("receipt"),
        upload_to=receipt_path,
        blank=True,
        validators=[FileExtensionValidator(RECEIPT_EXTENSIONS)],
        help_text=_("A photograph or scan of the receipt (JPG, PNG or PDF, at most 5 MB)."),
    )
    receipt_number = models.CharField(_("receipt number"), max_length=50, blank=True)
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.SET_NULL, related_name="expenses", null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("allocation__organization",))

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message=_("The amount must be positive."),
            ),
            models.CheckConstraint(
                condition=~Q(purpose=""),
                name="%(app_label)s_%(class)s_purpose_present",
                violation_error_message=_("Say what the money was spent on."),
            ),
            models.CheckConstraint(
                condition=~Q(receipt="") | ~Q(receipt_number=""),
                name="%(app_label)s_%(class)s_has_receipt",
                violation_error_message=_("Attach the receipt or give its number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.purpose} {self.amount}"
