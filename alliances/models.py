"""Park alliances (园区建联盟): enterprises and how their members are organized, alliances of small
enterprise branches under a park committee, the joint programme (公转) and the branches' own work
(自转), joint meetings, the rotating host, shared resources and the instructors sent to enterprises."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import UnitType, validate_code
from yiling.scoping import Anchors, ScopedQuerySet
from yiling.validation import OneQueryCheckConstraints

#: An instructor's visits are overdue after this many days without one (默认90天).
VISIT_OVERDUE_DAYS = 90


class Sector(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    FOOD = "food", _("Food and drink")
    ENERGY = "energy", _("Energy")
    MATERIALS = "materials", _("Building materials")
    E_COMMERCE = "e_commerce", _("E-commerce")
    INTERNET = "internet", _("Internet")
    LAW_FIRM = "law_firm", _("Law firm")
    LOGISTICS = "logistics", _("Logistics")
    SERVICES = "services", _("Services")
    OTHER = "other", _("Other")


class FormationMode(models.TextChoices):
    """How an enterprise's members are organized (单独建 / 联合建 / 挂靠建)."""

    STANDALONE = "standalone", _("Own branch")
    JOINT = "joint", _("Joint branch")
    ATTACHED = "attached", _("Attached to another organization")
    NONE = "none", _("No organization")


class Building(OneQueryCheckConstraints, models.Model):
    """An office building (楼宇) in a park, where enterprises sit."""

    code = models.CharField(_("code"), max_length=32, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    park = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("industrial park"),
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"unit_type": UnitType.PARK},
    )
    address = models.CharField(_("address"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("park__organization",))

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message=_("A building with this code already exists."),
            ),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""),
                name="%(app_label)s_%(class)s_code_and_name_present",
                violation_error_message=_("A building needs a code and a name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseProfileQuerySet(ScopedQuerySet):
    def large(self) -> EnterpriseProfileQuerySet:
        return self.filter(is_large_scale=True)

    def within(self, org) -> EnterpriseProfileQuerySet:  # type: ignore[no-untyped-def]
        return self if org is None else self.filter(unit__organization__path__startswith=org.path)


class EnterpriseProfile(OneQueryCheckConstraints, models.Model):
    """What the park keeps about an enterprise: size, sector, showcase status and how its members are
    organized."""

    unit = models.OneToOneField(
        "organizations.Unit",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="enterprise_profile",
        limit_choices_to={"unit_type": UnitType.ENTERPRISE},
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="enterprises",
        null=True,
        blank=True,
    )
    sector = models.CharField(_("sector"), max_length=24, choices=Sector.choices, default=Sector.OTHER)
    staff = models.PositiveIntegerField(_("staff"), default=0)
    is_large_scale = models.BooleanField(_("large-scale enterprise"), default=False)
    is_demonstration_site = models.BooleanField(_("demonstration site"), default=False)
    party_members = models.PositiveIntegerField(_("party members"), default=0)
    formation_mode = models.CharField(
        _("how members are organized"), max_length=16, choices=FormationMode.choices, default=FormationMode.NONE
    )
    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("party organization"),
        on_delete=models.PROTECT,
        related_name="enterprise_profiles",
        null=True,
        blank=True,
        help_text=_("Its own branch, the joint branch it shares, or the organization it is attached to."),
    )

    history = HistoricalRecords()
    objects = EnterpriseProfileQuerySet.as_manager()
    visibility = Anchors(organization=("unit__organization",))

    class Meta:
        verbose_name = _("enterprise profile")
        verbose_name_plural = _("enterprise profiles")
        ordering = ["unit__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sector__in=Sector.values),
                name="%(app_label)s_%(class)s_sector_valid",
                violation_error_message=_("Unknown sector."),
            ),
            models.CheckConstraint(
                condition=Q(formation_mode__in=FormationMode.values),
                name="%(app_label)s_%(class)s_formation_mode_valid",
                violation_error_message=_("Unknown way of organizing members."),
            ),
            models.CheckConstraint(
                condition=Q(formation_mode=FormationMode.NONE, branch__isnull=True)
                | (~Q(formation_mode=FormationMode.NONE) & Q(branch__isnull=False)),
                name="%(app_label)s_%(class)s_branch_matches_mode",
                violation_error_message=_(
                    "An enterprise organized in a branch names that organization; one without names none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self.unit)


class AllianceQuerySet(ScopedQuerySet):
    def within(self, org) -> AllianceQuerySet:  # type: ignore[no-untyped-def]
        return self if org is None else self.filter(committee__path__startswith=org.path)


class Alliance(OneQueryCheckConstraints, models.Model):
    """A party-building alliance (党建联盟): small enterprise branches bundled under a park committee."""

    code = models.CharField(_("code"), max_length=32, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    park = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("industrial park"),
        on_delete=models.PROTECT,
        related_name="alliances",
        limit_choices_to={"unit_type": UnitType.PARK},
    )
    committee = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("leading committee"),
        on_delete=models.PROTECT,
        related_name="led_alliances",
        help_text=_("The park committee the alliance works under."),
    )
    lead_branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("lead branch"),
        on_delete=models.PROTECT,
        related_name="alliances_led_as_branch",
        null=True,
        blank=True,
        help_text=_("The strong branch that helps the weaker ones (以强带弱)."),
    )
    formed_on = models.DateField(_("formed on"))
    current_round = models.PositiveIntegerField(_("current hosting round"), default=1)

    history = HistoricalRecords()
    objects = AllianceQuerySet.as_manager()
    visibility = Anchors(organization=("committee",))

    class Meta:
        verbose_name = _("alliance")
        verbose_name_plural = _("alliances")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message=_("An alliance with this code already exists."),
            ),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""),
                name="%(app_label)s_%(class)s_code_and_name_present",
                violation_error_message=_("An alliance needs a code and a name."),
            ),
            models.CheckConstraint(
                condition=Q(current_round__gte=1),
                name="%(app_label)s_%(class)s_round_positive",
                violation_error_message=_("Rounds are counted from one."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("alliances:alliance-detail", kwargs={"code": self.code})


class MembershipQuerySet(ScopedQuerySet):
    def current(self) -> MembershipQuerySet:
        return self.filter(left_on__isnull=True)


class AllianceMembership(OneQueryCheckConstraints, models.Model):
    """A branch's membership of an alliance, from joining to leaving; ``turn`` is its place in the
    hosting rotation."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="memberships"
    )
    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("member branch"),
        on_delete=models.PROTECT,
        related_name="alliance_memberships",
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    turn = models.PositiveIntegerField(_("hosting turn"), default=0)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()
    visibility = Anchors(organization=("alliance__committee", "branch"))

    class Meta:
        verbose_name = _("alliance membership")
        verbose_name_plural = _("alliance memberships")
        ordering = ["alliance", "turn"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "branch"],
                condition=Q(left_on__isnull=True),
                name="%(app_label)s_%(class)s_one_current_per_branch",
                violation_error_message=_("This branch is already a member of the alliance."),
            ),
            models.UniqueConstraint(
                fields=["alliance", "turn"],
                condition=Q(left_on__isnull=True),
                name="%(app_label)s_%(class)s_one_member_per_turn",
                violation_error_message=_("Two current members cannot hold the same hosting turn."),
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="%(app_label)s_%(class)s_leaves_after_joining",
                violation_error_message=_("A branch leaves on or after the day it joined."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alliance} · {self.branch}"


class ActivityKind(models.TextChoices):
    STUDY = "study", _("Joint study")
    OBSERVATION = "observation", _("Observation visit")
    FIELD_REVIEW = "field_review", _("Field review")
    SERVICE = "service", _("Volunteer service")
    OTHER = "other", _("Other")


class JointActivity(OneQueryCheckConstraints, models.Model):
    """An activity of the alliance's yearly joint programme (公转)."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="joint_activities"
    )
    year = models.PositiveIntegerField(_("programme year"))
    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices, default=ActivityKind.STUDY)
    planned_on = models.DateField(_("planned for"))
    host = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("host branch"),
        on_delete=models.PROTECT,
        related_name="hosted_joint_activities",
        null=True,
        blank=True,
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("alliance__committee",))

    class Meta:
        verbose_name = _("joint activity")
        verbose_name_plural = _("joint activities")
        ordering = ["alliance", "planned_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown activity kind."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("An activity needs a title."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="%(app_label)s_%(class)s_year_plausible",
                violation_error_message=_("The programme year is out of range."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OwnActivity(OneQueryCheckConstraints, models.Model):
    """A member branch's own activity (自转), recorded against the joint programme where it follows it."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="own_activities"
    )
    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="own_alliance_activities",
    )
    joint_activity = models.ForeignKey(
        JointActivity,
        verbose_name=_("joint activity it follows"),
        on_delete=models.SET_NULL,
        related_name="own_activities",
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("held on"))
    participants = models.PositiveIntegerField(_("participants"), default=0)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("alliance__committee", "branch"))

    class Meta:
        verbose_name = _("own activity")
        verbose_name_plural = _("own activities")
        ordering = ["-held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_present",
                violation_error_message=_("An activity needs a title."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class JointMeetingQuerySet(ScopedQuerySet):
    def unminuted(self) -> JointMeetingQuerySet:
        return self.filter(minutes="")


class JointMeeting(OneQueryCheckConstraints, models.Model):
    """A joint meeting of the alliance (联席会议)."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="meetings"
    )
    held_on = models.DateField(_("held on"))
    host = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("host branch"),
        on_delete=models.PROTECT,
        related_name="hosted_joint_meetings",
    )
    topic = models.CharField(_("topic"), max_length=100)
    attendance = models.PositiveIntegerField(_("attendance"), default=0)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)

    history = HistoricalRecords()
    objects = JointMeetingQuerySet.as_manager()
    visibility = Anchors(organization=("alliance__committee",))

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(topic=""),
                name="%(app_label)s_%(class)s_topic_present",
                violation_error_message=_("A meeting needs a topic."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alliance} · {self.held_on:%Y-%m-%d} · {self.topic}"


class HostTurn(models.Model):
    """A turn taken in the hosting rotation: who hosted in which round (the rotation's history)."""

    alliance = models.ForeignKey(Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="turns")
    round = models.PositiveIntegerField(_("round"))
    branch = models.ForeignKey(
        "organizations.Organization", verbose_name=_("host branch"), on_delete=models.PROTECT, related_name="host_turns"
    )
    hosted_on = models.DateField(_("hosted on"))
    meeting = models.OneToOneField(
        JointMeeting,
        verbose_name=_("joint meeting"),
        on_delete=models.SET_NULL,
        related_name="host_turn",
        null=True,
        blank=True,
    )
    activity = models.OneToOneField(
        JointActivity,
        verbose_name=_("joint activity"),
        on_delete=models.SET_NULL,
        related_name="host_turn",
        null=True,
        blank=True,
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("alliance__committee",))

    class Meta:
        verbose_name = _("hosting turn")
        verbose_name_plural = _("hosting turns")
        ordering = ["alliance", "round", "hosted_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "round", "branch"],
                name="%(app_label)s_%(class)s_once_per_round",
                violation_error_message=_("This branch has already hosted in this round."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alliance} · {self.round} · {self.branch}"


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("Venue")
    ROOM = "room", _("Meeting room")
    TALENT = "talent", _("Talent")
    EQUIPMENT = "equipment", _("Equipment")


class SharedResource(OneQueryCheckConstraints, models.Model):
    """A resource an alliance shares (阵地, rooms, talent), bookable for a joint activity."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="resources"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    provider = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("provided by"),
        on_delete=models.PROTECT,
        related_name="shared_resources",
        null=True,
        blank=True,
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("alliance__committee",))

    class Meta:
        verbose_name = _("shared resource")
        verbose_name_plural = _("shared resources")
        ordering = ["alliance", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown resource kind."),
            ),
            models.UniqueConstraint(
                fields=["alliance", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("The alliance already lists a resource with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResourceBooking(models.Model):
    """A shared resource booked for a joint activity on one day."""

    resource = models.ForeignKey(
        SharedResource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="bookings"
    )
    activity = models.ForeignKey(
        JointActivity, verbose_name=_("joint activity"), on_delete=models.CASCADE, related_name="bookings"
    )
    booked_for = models.DateField(_("booked for"))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("resource__alliance__committee",))

    class Meta:
        verbose_name = _("resource booking")
        verbose_name_plural = _("resource bookings")
        ordering = ["booked_for"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "booked_for"],
                name="%(app_label)s_%(class)s_one_booking_per_day",
                violation_error_message=_("The resource is already booked that day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} · {self.booked_for:%Y-%m-%d}"


class InstructorAssignmentQuerySet(ScopedQuerySet):
    def current(self) -> InstructorAssignmentQuerySet:
        return self.filter(ended_on__isnull=True)


class InstructorAssignment(OneQueryCheckConstraints, models.Model):
    """A party-building instructor (党建指导员) sent one to one to an enterprise."""

    enterprise = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="instructor_assignments",
        limit_choices_to={"unit_type": UnitType.ENTERPRISE},
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("instructor (party member)"),
        on_delete=models.PROTECT,
        related_name="instructor_assignments",
        null=True,
        blank=True,
    )
    instructor_name = models.CharField(
        _("instructor name"),
        max_length=50,
        blank=True,
        help_text=_("For an instructor who is not a party member of the district."),
    )
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"), null=True, blank=True)

    history = HistoricalRecords()
    objects = InstructorAssignmentQuerySet.as_manager()
    visibility = Anchors(organization=("enterprise__organization",))

    class Meta:
        verbose_name = _("instructor assignment")
        verbose_name_plural = _("instructor assignments")
        ordering = ["enterprise__code", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(ended_on__isnull=True),
                name="%(app_label)s_%(class)s_one_current_per_enterprise",
                violation_error_message=_("The enterprise already has an instructor."),
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True, member__isnull=False),
                name="%(app_label)s_%(class)s_one_enterprise_per_instructor",
                violation_error_message=_("This instructor is already assigned to an enterprise."),
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False, instructor_name="") | Q(member__isnull=True) & ~Q(instructor_name=""),
                name="%(app_label)s_%(class)s_member_or_name",
                violation_error_message=_("Name the instructor: a party member, or a name for someone else."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("An assignment ends on or after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} → {self.enterprise}"

    @property
    def display_name(self) -> str:
        return self.member.name if self.member_id else self.instructor_name


class InstructorVisit(OneQueryCheckConstraints, models.Model):
    """An instructor's visit to the enterprise."""

    assignment = models.ForeignKey(
        InstructorAssignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"))
    summary = models.CharField(_("summary"), max_length=200)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("assignment__enterprise__organization",))

    class Meta:
        verbose_name = _("instructor visit")
        verbose_name_plural = _("instructor visits")
        ordering = ["-visited_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(summary=""),
                name="%(app_label)s_%(class)s_summary_present",
                violation_error_message=_("Say what the visit did."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.visited_on:%Y-%m-%d}"
