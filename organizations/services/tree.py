"""Writes to the organization tree. Admin, portal pages, importers and seed data all come here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiling.scoping import forget_assignments

from ..models import Organization, RoleAssignment, Unit

TREE_FIELDS = ["path", "depth", "numchild"]
ORGANIZATION_FIELDS = ("code", "name", "kind", "unit", "established_on", "is_active", "elected_on", "term_ends_on")
UNIT_FIELDS = (
    "code",
    "name",
    "unit_type",
    "parent",
    "organization",
    "is_compound_type",
    "households",
    "residents",
    "address",
    "property_company",
)


def apply_changes(
    obj: Any, allowed: tuple[str, ...], changes: dict[str, Any], what: str, *, exclude: list[str] | None = None
) -> Any:
    """Set the fields of ``changes`` that differ, validate and save only those; nothing when none differ.

    ``allowed`` are the fields the calling service ``what`` may change; any other is a programming error.
    """
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"{what}() got unexpected fields {sorted(unknown)}")
    changed = [f for f, v in changes.items() if getattr(obj, f) != v]
    if not changed:
        return obj
    for f in changed:
        setattr(obj, f, changes[f])
    obj.full_clean(exclude=exclude)
    obj.save(update_fields=changed)
    return obj


@transaction.atomic
def organization_create(
    *,
    parent: Organization | None,
    code: str,
    name: str,
    kind: str,
    unit: Unit | None = None,
    established_on: date | None = None,
    is_active: bool = True,
) -> Organization:
    """Add an organization under ``parent`` (a new root of the tree when None)."""
    org = Organization(code=code, name=name, kind=kind, unit=unit, established_on=established_on, is_active=is_active)
    org.full_clean(exclude=TREE_FIELDS)
    if parent is None:
        return Organization.objects.add_root(instance=org)
    parent.refresh_from_db()
    return Organization.objects.add_child(parent, instance=org)


@transaction.atomic
def organization_update(*, organization: Organization, **changes: Any) -> Organization:
    """Change an organization's own fields (not its place in the tree: see organization_move)."""
    return apply_changes(organization, ORGANIZATION_FIELDS, changes, "organization_update", exclude=TREE_FIELDS)


def check_move(*, organization: Organization, new_parent: Organization | None) -> None:
    """Refuse a move under the organization itself or anywhere in its own subtree."""
    if new_parent is not None and organization.pk and new_parent.path.startswith(organization.path):
        raise ValidationError(
            {"parent": _("An organization cannot be moved under itself or one of its own sub-organizations.")}
        )


@transaction.atomic
def organization_move(*, organization: Organization, new_parent: Organization | None) -> Organization:
    """Move an organization, with its whole subtree, under ``new_parent``."""
    organization.refresh_from_db()
    current_parent = Organization.objects.get_parent(organization)
    if (current_parent.pk if current_parent else None) == (new_parent.pk if new_parent else None):
        return organization
    if new_parent is not None:
        new_parent.refresh_from_db()
        check_move(organization=organization, new_parent=new_parent)
        Organization.objects.move(organization, new_parent, pos="sorted-child")
    else:
        first_root = Organization.objects.get_first_root_node()
        Organization.objects.move(organization, first_root, pos="sorted-sibling")
    organization.refresh_from_db()
    # treebeard moves with bulk SQL; saving the reloaded node records the move in the history.
    organization._change_reason = _("Moved under %(parent)s") % {
        "parent": new_parent.name if new_parent else _("the top of the tree")
    }
    organization.save()
    return organization


@transaction.atomic
def unit_create(**fields: Any) -> Unit:
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"unit_create() got unexpected fields {sorted(unknown)}")
    unit = Unit(**fields)
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, **changes: Any) -> Unit:
    return apply_changes(unit, UNIT_FIELDS, changes, "unit_update")


@transaction.atomic
def role_assign(
    *, user: Any, role: str, organization: Organization | None = None, unit: Unit | None = None
) -> RoleAssignment:
    """Give ``user`` a role bound to ``organization`` or ``unit``; a no-op when already held."""
    existing = RoleAssignment.objects.filter(user=user, role=role, organization=organization, unit=unit).first()
    if existing:
        return existing
    assignment = RoleAssignment(user=user, role=role, organization=organization, unit=unit)
    assignment.full_clean()
    assignment.save()
    forget_assignments(user)
    return assignment
