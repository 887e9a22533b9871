"""Writes to the organization tree. Admin, portal pages, importers and seed data all come here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from yiling.scoping import forget_assignments

from ..models import ORGANIZATION_ROLES, Organization, Role, RoleAssignment, Unit
from ..selectors.tree import granting_paths

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
def organization_children_create_bulk(*, parent: Organization, children: list[Organization]) -> list[Organization]:
    """Add many new leaf organizations under ``parent`` at once (seed data, big imports), with their
    history, placed in code order among the siblings exactly as ``add_child`` would place them one by one.

    The siblings are renumbered in bulk; when one of them has sub-organizations (whose paths would have
    to follow) the children are added one by one instead.
    """
    if not children:
        return []
    parent.refresh_from_db()
    siblings = list(Organization.objects.filter(path__startswith=parent.path, depth=parent.depth + 1))
    if any(s.numchild for s in siblings):
        return [organization_create(parent=parent, **_own_fields(child)) for child in children]
    for child in children:
        child.full_clean(exclude=TREE_FIELDS)
    placed = sorted([*siblings, *children], key=lambda o: o.code)
    depth = parent.depth + 1
    moved = []
    for step, org in enumerate(placed, start=1):
        path = Organization._get_path(parent.path, depth, step)
        if org.pk is None:
            org.path, org.depth, org.numchild = path, depth, 0
        elif org.path != path:
            org.path = path
            moved.append(org)
    if moved:
        # paths are unique: park the renumbered siblings out of the way first (tree fields carry no history)
        final = {o.pk: o.path for o in moved}
        for o in moved:
            o.path = f"~{o.pk}"
        Organization.objects.bulk_update(moved, ["path"])
        for o in moved:
            o.path = final[o.pk]
    created = bulk_create_with_history(children, Organization)
    if moved:
        Organization.objects.bulk_update(moved, ["path"])
    Organization.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(children))
    parent.refresh_from_db()
    return created


def _own_fields(org: Organization) -> dict[str, Any]:
    return {f: getattr(org, f) for f in ("code", "name", "kind", "unit", "established_on", "is_active")}


@transaction.atomic
def units_create_bulk(*, units: list[Unit]) -> list[Unit]:
    """Create many units at once (seed data, big imports), each validated as ``unit_create`` does."""
    for unit in units:
        unit.full_clean()
    return bulk_create_with_history(units, Unit)


@transaction.atomic
def units_cover_bulk(*, units: list[Unit], organizations: list[Organization]) -> None:
    """Hand each unit over to the organization beside it (a unit covered by its own new organization)."""
    for unit, org in zip(units, organizations, strict=True):
        unit.organization = org
    bulk_update_with_history(units, Unit, ["organization"])


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


# --- who may grant which role to whom -----------------------------------------------------------------

#: The roles street and park staff may grant, inside their own street or park.
STREET_GRANTABLE_ROLES = (Role.COMMUNITY_SECRETARY, Role.COMPOUND_SECRETARY)


def _inside(paths: list[str], organization: Organization | None) -> bool:
    return organization is not None and any(organization.path.startswith(p) for p in paths)


def grant_check(
    *,
    by: Any,
    user: Any,
    role: str,
    organization: Organization | None = None,
    unit: Unit | None = None,
    replacing: RoleAssignment | None = None,
) -> None:
    """Refuse (``ValidationError`` on the field at fault) a role ``by`` may not give ``user``.

    The rule, for granting, changing and ending (deleting) an assignment alike:

    ===========================  =====================================  ===========================================
    granter                      roles, bound to                        accounts
    ===========================  =====================================  ===========================================
    district staff, superuser    any role, bound anywhere               any account
    street or park staff         community secretary or compound        accounts whose every role is a staff or
                                 secretary, bound to an organization    secretary role bound inside that same part
                                 inside their own street or park        (no role elsewhere, no merchant or agency
                                                                        contact role), never a superuser
    anyone else                  none                                   none
    ===========================  =====================================  ===========================================

    ``replacing`` is the assignment being changed: the granter must be able to end it too, and it
    does not count among the account's roles.
    """
    paths = granting_paths(by)
    if paths is None:
        return
    if not paths:
        raise ValidationError({"role": _("You may not grant or change roles: ask district staff.")})
    if replacing is not None:
        role_end_check(by=by, assignment=replacing)
    if role not in STREET_GRANTABLE_ROLES:
        raise ValidationError(
            {"role": _("Street and park staff may grant only the community secretary and compound secretary roles.")}
        )
    if not _inside(paths, organization):
        raise ValidationError(
            {"organization": _("Street and park staff may grant roles only inside their own street or park.")}
        )
    if not grantable_account(paths, user, replacing=replacing):
        raise ValidationError(
            {
                "user": _(
                    "This account holds a role outside your street or park (or is a merchant's or an agency "
                    "contact's): only district staff may give it a role."
                )
            }
        )


def grantable_account(paths: list[str], user: Any, *, replacing: RoleAssignment | None = None) -> bool:
    """Whether every role ``user`` holds (but ``replacing``) is an organization role inside ``paths``."""
    if user is None or getattr(user, "is_superuser", False):
        return False
    held = RoleAssignment.objects.filter(user_id=user.pk).select_related("organization")
    if replacing is not None:
        held = held.exclude(pk=replacing.pk)
    return all(a.role in ORGANIZATION_ROLES and _inside(paths, a.organization) for a in held)


def role_end_check(*, by: Any, assignment: RoleAssignment) -> None:
    """Refuse changing or ending an assignment ``by`` could not have granted (see :func:`grant_check`)."""
    paths = granting_paths(by)
    if paths is None:
        return
    current = RoleAssignment.objects.select_related("organization", "user").get(pk=assignment.pk)
    if (
        not paths
        or current.role not in STREET_GRANTABLE_ROLES
        or not _inside(paths, current.organization)
        or not grantable_account(paths, current.user, replacing=current)
    ):
        raise ValidationError(_("You may not change or end this role assignment: ask district staff."))


@transaction.atomic
def role_assign(
    *, user: Any, role: str, organization: Organization | None = None, unit: Unit | None = None, by: Any = None
) -> RoleAssignment:
    """Give ``user`` a role bound to ``organization`` or ``unit``; a no-op when already held.

    ``by`` is the granting user, held to :func:`grant_check`; None only for the system itself
    (the command line, seed data), which may grant anything.
    """
    if by is not None:
        grant_check(by=by, user=user, role=role, organization=organization, unit=unit)
    existing = RoleAssignment.objects.filter(user=user, role=role, organization=organization, unit=unit).first()
    if existing:
        return existing
    assignment = RoleAssignment(user=user, role=role, organization=organization, unit=unit)
    assignment.full_clean()
    assignment.save()
    forget_assignments(user)
    return assignment


ROLE_ASSIGNMENT_FIELDS = ("user", "role", "organization", "unit")


@transaction.atomic
def role_assignment_update(*, assignment: RoleAssignment, by: Any = None, **changes: Any) -> RoleAssignment:
    """Change who holds an assignment, which role it is or what it is bound to; ``by`` as for
    :func:`role_assign`, and must also be able to end the assignment as it was."""
    unknown = set(changes) - set(ROLE_ASSIGNMENT_FIELDS)
    if unknown:
        raise TypeError(f"role_assignment_update() got unexpected fields {sorted(unknown)}")
    before = RoleAssignment.objects.select_related("user").get(pk=assignment.pk)
    wanted = {f: changes.get(f, getattr(before, f)) for f in ROLE_ASSIGNMENT_FIELDS}
    if by is not None:
        grant_check(by=by, replacing=before, **wanted)
    updated = apply_changes(assignment, ROLE_ASSIGNMENT_FIELDS, changes, "role_assignment_update")
    forget_assignments(before.user)
    forget_assignments(updated.user)
    return updated


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, by: Any = None) -> None:
    """End (delete) an assignment; ``by`` must be able to grant it (see :func:`grant_check`)."""
    if by is not None:
        role_end_check(by=by, assignment=assignment)
    user = assignment.user
    assignment.delete()
    forget_assignments(user)
