"""Reads of the organization tree. Every list goes through the scoping rule when given a user."""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from yiling.scoping import Anchors, assignments_of, subtree_q

from ..models import (
    ORGANIZATION_ROLES,
    Organization,
    OrganizationQuerySet,
    Role,
    RoleAssignment,
    Unit,
    UnitQuerySet,
)

if TYPE_CHECKING:
    from yiling.scoping import UserLike


def organizations_within(scope: Organization | None) -> OrganizationQuerySet:
    """The organization ``scope`` and its whole subtree in one query (all for None)."""
    return Organization.objects.all().within(scope)


def units_within(scope: Organization | None) -> UnitQuerySet:
    """The units covered by ``scope``'s subtree (all for None)."""
    return Unit.objects.all().within(scope)


def attach_path_names(organizations: Iterable[Organization]) -> list[Organization]:
    """Fill each organization's path from the district down with one query for the whole list."""
    orgs = list(organizations)
    known = {org.path: org.name for org in orgs}
    missing = {p for org in orgs for p in org.ancestor_paths if p not in known}
    if missing:
        known.update(Organization.objects.filter(path__in=missing).values_list("path", "name"))
    for org in orgs:
        org._path_names = [known[p] for p in org.ancestor_paths if p in known] + [org.name]
    return orgs


def organization_list(*, user: UserLike, search: str = "") -> list[Organization]:
    """The organizations ``user`` may see, in tree order, with their units and paths filled in."""
    qs = (
        Organization.objects.visible_to(user)
        .select_related("unit")
        .annotate(unit_count=Count("covered_units"))
        .order_by("path")
    )
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return attach_path_names(qs)


def organization_breadcrumb(*, user: UserLike, organization: Organization) -> list[tuple[str, str]]:
    """The organization's ancestors from the district down as (name, code); the code is empty for an
    ancestor the user may not open (a secretary sees the names above their part, not the pages).
    Two queries, whatever the depth."""
    paths = organization.ancestor_paths
    visible = set(Organization.objects.visible_to(user).filter(path__in=paths).values_list("path", flat=True))
    rows = Organization.objects.filter(path__in=paths).order_by("depth").values_list("path", "name", "code")
    return [(name, code if path in visible else "") for path, name, code in rows]


def organization_get(*, user: UserLike, code: str) -> Organization:
    """One organization by code, or 404 when it does not exist or the user may not see it."""
    org = get_object_or_404(Organization.objects.visible_to(user).select_related("unit"), code=code)
    attach_path_names([org])
    return org


def organization_children(*, user: UserLike, organization: Organization) -> list[Organization]:
    qs = (
        Organization.objects.visible_to(user)
        .filter(path__startswith=organization.path, depth=organization.depth + 1)
        .select_related("unit")
        .annotate(unit_count=Count("covered_units"))
        .order_by("path")
    )
    return list(qs)


def unit_list(*, user: UserLike, scope: Organization | None = None, unit_type: str = "") -> UnitQuerySet:
    """Units the user may see, optionally within one subtree and of one type."""
    qs = Unit.objects.visible_to(user).within(scope).select_related("organization", "parent")
    if unit_type:
        qs = qs.of_type(unit_type)
    return qs.order_by("unit_type", "code")


def role_assignments_of(user: UserLike) -> list[RoleAssignment]:
    """The user's own role assignments, with what each is bound to."""
    return list(
        RoleAssignment.objects.filter(user_id=user.pk).select_related("organization", "unit").order_by("role", "id")
    )


def acting_reach(user: UserLike, to_unit: str = "") -> Q | None:
    """Rows whose unit (reached through the lookup ``to_unit``) the user may act on; None: nothing.

    Seeing is not acting: an agency contact sees its members but acts on no compound. Acting needs an
    organization-bound role (staff, secretary) whose subtree covers the unit's covering organization.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Q(pk__isnull=False)
    anchors = Anchors(organization=(f"{to_unit}__organization" if to_unit else "organization",))
    parts = [
        q
        for a in assignments_of(user)
        if a.role in ORGANIZATION_ROLES and a.organization_id
        for q in [subtree_q(a.organization.path, anchors)]
        if q is not None
    ]
    return reduce(or_, parts) if parts else None


def is_district_wide(user: UserLike | None) -> bool:
    """Whether the user acts for the whole district: a superuser, or a holder of the district staff role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return any(a.role == Role.DISTRICT_STAFF for a in assignments_of(user))


def granting_paths(by: UserLike | None) -> list[str] | None:
    """The tree paths inside which ``by`` may grant roles: None for anywhere (district staff and
    superusers), [] for nowhere; the street and park organizations of a street or park staff member."""
    if by is None or not by.is_active:
        return []
    if getattr(by, "is_superuser", False):
        return None
    held = assignments_of(by)
    if any(a.role == Role.DISTRICT_STAFF for a in held):
        return None
    return [a.organization.path for a in held if a.role == Role.STREET_STAFF and a.organization_id]


def grantable_users(*, by: UserLike) -> QuerySet:
    """The accounts ``by`` may give a role to (see ``organizations.services.grant_check``): every
    account for district staff; for street and park staff, those whose every role is an organization
    role inside their streets or parks (and not superusers); none for anyone else."""
    users = get_user_model().objects.all()
    paths = granting_paths(by)
    if paths is None:
        return users
    if not paths:
        return users.none()
    inside = reduce(or_, (Q(organization__path__startswith=p) for p in paths))
    elsewhere = RoleAssignment.objects.exclude(Q(role__in=ORGANIZATION_ROLES) & inside).values("user_id")
    return users.filter(is_superuser=False).exclude(pk__in=elsewhere)
