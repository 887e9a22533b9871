"""The party-organization tree, the units organizations sit in, and who holds which role where."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from yiling.scoping import Anchors, ScopedQuerySet, organization_subtree_rule, own_unit_rule, register_rule
from yiling.validation import OneQueryCheckConstraints

CODE_VALIDATOR_MESSAGE = _("Use letters, digits, '-' and '_' only.")


def validate_code(value: str) -> None:
    if not value or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in value):
        raise ValidationError(CODE_VALIDATOR_MESSAGE, code="invalid_code")


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")
    WORKING_COMMITTEE = "working_committee", _("Working committee")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Branch")
    JOINT_BRANCH = "joint_branch", _("Joint branch")


class UnitType(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    PARK = "park", _("Industrial park")
    COMMUNITY = "community", _("Community")
    COMPOUND = "compound", _("Compound")
    ENTERPRISE = "enterprise", _("Enterprise")
    AGENCY = "agency", _("District agency")
    BUSINESS_DISTRICT = "business_district", _("Business district")
    SHOP = "shop", _("Member-run shop")


class OrganizationQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    def active(self) -> OrganizationQuerySet:
        return self.filter(is_active=True)

    def within(self, org: Organization | None) -> OrganizationQuerySet:
        """The organization and everything below it (the whole tree for None): one query."""
        return self if org is None else self.filter(path__startswith=org.path)


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> OrganizationQuerySet:
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


class Organization(OneQueryCheckConstraints, MP_Node):
    """A party organization (党组织): a node of the district's organization tree."""

    code = models.CharField(_("code"), max_length=32, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices)
    unit = models.ForeignKey(
        "organizations.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="organizations",
        null=True,
        blank=True,
        help_text=_("The street, community, compound, enterprise or agency the organization sits in."),
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    elected_on = models.DateField(
        _("current term elected on"), null=True, blank=True, help_text=_("When the sitting committee was elected.")
    )
    term_ends_on = models.DateField(
        _("current term ends on"), null=True, blank=True, help_text=_("When the sitting committee's term expires.")
    )

    # The tree fields are left out: inserting a sibling shifts paths in bulk, which would show as
    # spurious changes. A move is recorded with its reason instead (see services.organization_move).
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])
    objects = OrganizationManager()
    visibility = Anchors(organization=("",), unit=("unit",))

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("party organization")
        verbose_name_plural = _("party organizations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_code="unique",
                violation_error_message=_("An organization with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OrgKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message=_("Unknown organization kind."),
            ),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""),
                name="%(app_label)s_%(class)s_code_and_name_present",
                violation_error_message=_("An organization needs a code and a name."),
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True)
                | Q(elected_on__isnull=True)
                | Q(term_ends_on__gt=F("elected_on")),
                name="%(app_label)s_%(class)s_term_ends_after_election",
                violation_error_message=_("A term must end after the election."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:organization-detail", kwargs={"code": self.code})

    @property
    def ancestor_paths(self) -> list[str]:
        """Paths of the ancestors, root first (no query); none for an organization not yet placed."""
        if not self.path or not self.depth:
            return []
        return [self.path[: i * self.steplen] for i in range(1, self.depth)]

    @property
    def path_names(self) -> list[str]:
        """Names from the district down to this organization.

        Filled in for a whole page at once by ``selectors.attach_path_names``; on a lone
        object it costs one query.
        """
        cached = getattr(self, "_path_names", None)
        if cached is None:
            ancestors = Organization.objects.filter(path__in=self.ancestor_paths).order_by("depth")
            cached = [a.name for a in ancestors] + [self.name]
            self._path_names = cached
        return cached

    @property
    def path_display(self) -> str:
        return " / ".join(self.path_names)


class UnitQuerySet(ScopedQuerySet):
    def of_type(self, unit_type: str) -> UnitQuerySet:
        return self.filter(unit_type=unit_type)

    def within(self, org: Organization | None) -> UnitQuerySet:
        """Units covered by the organization or any organization below it."""
        return self if org is None else self.filter(organization__path__startswith=org.path)


class Unit(OneQueryCheckConstraints, models.Model):
    """A place or body organizations sit in: street, park, community, compound, enterprise, agency,
    business district or member-run shop."""

    code = models.CharField(_("code"), max_length=32, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    unit_type = models.CharField(_("unit type"), max_length=24, choices=UnitType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("located in"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
        help_text=_("For example the community a compound belongs to."),
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("covering organization"),
        on_delete=models.PROTECT,
        related_name="covered_units",
        help_text=_(
            "The party organization responsible for this unit: its own, or for a compound without a "
            "branch, the community's. Decides who may see the unit."
        ),
    )
    is_compound_type = models.BooleanField(
        _("compound-type community"),
        default=False,
        help_text=_("A community formed around one large compound (小区型社区)."),
    )
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    residents = models.PositiveIntegerField(_("residents"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    property_company = models.ForeignKey(
        "organizations.PropertyCompany",
        verbose_name=_("property company"),
        on_delete=models.PROTECT,
        related_name="compounds",
        null=True,
        blank=True,
        help_text=_("The company managing a compound (物业公司)."),
    )

    history = HistoricalRecords()
    objects = UnitQuerySet.as_manager()
    visibility = Anchors(organization=("organization",), unit=("",))

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["unit_type", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_code="unique",
                violation_error_message=_("A unit with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(unit_type__in=UnitType.values),
                name="%(app_label)s_%(class)s_unit_type_valid",
                violation_error_message=_("Unknown unit type."),
            ),
            models.CheckConstraint(
                condition=Q(is_compound_type=False) | Q(unit_type=UnitType.COMMUNITY),
                name="%(app_label)s_%(class)s_compound_type_only_community",
                violation_error_message=_("Only a community can be a compound-type community."),
            ),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""),
                name="%(app_label)s_%(class)s_code_and_name_present",
                violation_error_message=_("A unit needs a code and a name."),
            ),
            models.CheckConstraint(
                condition=Q(property_company__isnull=True) | Q(unit_type=UnitType.COMPOUND),
                name="%(app_label)s_%(class)s_property_company_only_compound",
                violation_error_message=_("Only a compound has a property company."),
            ),
        ]
        indexes = [models.Index(fields=["unit_type", "organization"], name="org_unit_type_org_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A unit cannot be located in itself.")})


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", _("District staff")
    STREET_STAFF = "street_staff", _("Street or park staff")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    COMPOUND_SECRETARY = "compound_secretary", _("Compound secretary")
    AGENCY_CONTACT = "agency_contact", _("Agency contact")
    MERCHANT = "merchant", _("Merchant")
    MARKET_SECRETARY = "market_secretary", _("Business-district secretary")


#: Roles bound to a node of the tree, reaching its whole subtree.
ORGANIZATION_ROLES = (
    Role.DISTRICT_STAFF,
    Role.STREET_STAFF,
    Role.COMMUNITY_SECRETARY,
    Role.COMPOUND_SECRETARY,
    Role.MARKET_SECRETARY,
)
#: Roles bound to one unit: the contact's agency, the merchant's shop.
UNIT_ROLES = (Role.AGENCY_CONTACT, Role.MERCHANT)
#: The unit type a unit-bound role must be bound to.
ROLE_UNIT_TYPES = {Role.AGENCY_CONTACT: UnitType.AGENCY, Role.MERCHANT: UnitType.SHOP}
#: The unit types the organization of an organization-bound role may sit in.
ROLE_ORG_UNIT_TYPES = {
    Role.DISTRICT_STAFF: (UnitType.DISTRICT,),
    Role.STREET_STAFF: (UnitType.STREET, UnitType.PARK),
    Role.COMMUNITY_SECRETARY: (UnitType.COMMUNITY,),
    Role.COMPOUND_SECRETARY: (UnitType.COMPOUND,),
    Role.MARKET_SECRETARY: (UnitType.BUSINESS_DISTRICT,),
}

for _role in ORGANIZATION_ROLES:
    register_rule(_role)(organization_subtree_rule)
for _role in UNIT_ROLES:
    register_rule(_role)(own_unit_rule)


class RoleAssignment(OneQueryCheckConstraints, models.Model):
    """A role a user holds, bound to a node of the organization tree or to an agency or shop."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="role_assignments",
        null=True,
        blank=True,
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="role_assignments",
        null=True,
        blank=True,
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    visibility = Anchors(organization=("organization", "unit__organization"))

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values),
                name="%(app_label)s_%(class)s_role_valid",
                violation_error_message=_("Unknown role."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(role__in=ORGANIZATION_ROLES, organization__isnull=False, unit__isnull=True)
                    | Q(role__in=UNIT_ROLES, unit__isnull=False, organization__isnull=True)
                ),
                name="%(app_label)s_%(class)s_bound_to_organization_or_unit",
                violation_error_message=_(
                    "Staff and secretary roles are bound to an organization; agency contacts and "
                    "merchants to their agency or shop."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=Q(organization__isnull=False),
                name="%(app_label)s_%(class)s_unique_per_organization",
                violation_error_message=_("This user already holds this role in this organization."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(unit__isnull=False),
                name="%(app_label)s_%(class)s_unique_per_unit",
                violation_error_message=_("This user already holds this role for this unit."),
            ),
        ]

    def __str__(self) -> str:
        target = self.organization or self.unit
        return f"{self.user} · {self.get_role_display()} · {target}"

    def clean(self) -> None:
        if self.role in ORGANIZATION_ROLES:
            if self.organization is None:
                raise ValidationError({"organization": _("This role is bound to an organization.")})
            if self.unit_id:
                raise ValidationError({"unit": _("This role is bound to an organization, not a unit.")})
            allowed = ROLE_ORG_UNIT_TYPES[Role(self.role)]
            org_unit_type = self.organization.unit.unit_type if self.organization.unit_id else None
            if org_unit_type not in allowed:
                raise ValidationError(
                    {
                        "organization": _("A %(role)s must be bound to an organization of a %(units)s.")
                        % {
                            "role": self.get_role_display(),
                            "units": "/".join(str(UnitType(u).label) for u in allowed),
                        }
                    }
                )
        elif self.role in UNIT_ROLES:
            if self.unit is None:
                raise ValidationError({"unit": _("This role is bound to an agency or a shop.")})
            if self.organization_id:
                raise ValidationError({"organization": _("This role is bound to a unit, not an organization.")})
            expected = ROLE_UNIT_TYPES[Role(self.role)]
            if self.unit.unit_type != expected:
                raise ValidationError({"unit": _("This role must be bound to a %(unit)s.") % {"unit": expected.label}})


class UnitOfTypeManager(models.Manager.from_queryset(UnitQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> UnitQuerySet:
        return super().get_queryset().filter(unit_type=self.model.UNIT_TYPE)


class UnitOfTypeBase(Unit):
    """Base of the per-type proxies: a manager that sees one type and saves that type."""

    UNIT_TYPE: str = ""
    objects = UnitOfTypeManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.unit_type = self.UNIT_TYPE
        super().save(*args, **kwargs)


class Street(UnitOfTypeBase):
    """A street (街道), e.g. 小溪塔街道."""

    UNIT_TYPE = UnitType.STREET

    class Meta:
        proxy = True
        verbose_name = _("street")
        verbose_name_plural = _("streets")


class Park(UnitOfTypeBase):
    """An industrial park (园区)."""

    UNIT_TYPE = UnitType.PARK

    class Meta:
        proxy = True
        verbose_name = _("industrial park")
        verbose_name_plural = _("industrial parks")


class Community(UnitOfTypeBase):
    """A residents' community (社区); compound-type when formed around one large compound."""

    UNIT_TYPE = UnitType.COMMUNITY

    class Meta:
        proxy = True
        verbose_name = _("community")
        verbose_name_plural = _("communities")


class Compound(UnitOfTypeBase):
    """A residential compound with a property company (物业小区)."""

    UNIT_TYPE = UnitType.COMPOUND

    class Meta:
        proxy = True
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")


class Enterprise(UnitOfTypeBase):
    """An enterprise with or without its own party branch."""

    UNIT_TYPE = UnitType.ENTERPRISE

    class Meta:
        proxy = True
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")


class Agency(UnitOfTypeBase):
    """A district-level agency (区直单位)."""

    UNIT_TYPE = UnitType.AGENCY

    class Meta:
        proxy = True
        verbose_name = _("district agency")
        verbose_name_plural = _("district agencies")


class BusinessDistrict(UnitOfTypeBase):
    """A shopping street or market (商圈 / 市场)."""

    UNIT_TYPE = UnitType.BUSINESS_DISTRICT

    class Meta:
        proxy = True
        verbose_name = _("business district")
        verbose_name_plural = _("business districts")


class Shop(UnitOfTypeBase):
    """A shop run by a party member (党员经营户); the merchant's own reach."""

    UNIT_TYPE = UnitType.SHOP

    class Meta:
        proxy = True
        verbose_name = _("member-run shop")
        verbose_name_plural = _("member-run shops")
