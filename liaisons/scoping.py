"""The agency contact's reach (one rule in ``yiling.scoping``'s registry).

An agency contact reaches what the agency itself owns (``own_unit_rule``: the agency unit, its
branch, the members it employs) and, while a pairing lasts, the compounds the agency is paired with
and what hangs off them: rows anchored at a paired compound (``unit`` anchors) or at the compound's
own branch (``organization`` anchors). The pairings are read inside the same SQL query, so the rule
costs no query of its own, and an ended pairing reaches nothing from the day it ends.

What this gives an agency contact of a paired compound's members: the names, categories and posts on
the portal's member pages, with ID numbers and phones masked (the contact has no
``members.view_personal_data``), and no calling or reveal (those need an organization role).
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from yiling.scoping import Anchors, own_unit_rule, register_rule

if TYPE_CHECKING:
    from organizations.models import RoleAssignment


def _lookup(prefix: str, tail: str) -> str:
    return f"{prefix}__{tail}" if prefix else tail


def paired_compounds(agency_id: int | None):  # type: ignore[no-untyped-def]
    """The ids of the compounds ``agency_id`` is paired with today, as a subquery."""
    liaison = apps.get_model("liaisons", "Liaison")
    return liaison.objects.active_on(timezone.localdate()).filter(agency_id=agency_id).values("compound_id")


def agency_contact_rule(assignment: RoleAssignment, anchors: Anchors) -> Q | None:
    """The agency's own unit, and the compounds it is paired with while the pairing lasts."""
    parts: list[Q] = []
    own = own_unit_rule(assignment, anchors)
    if own is not None:
        parts.append(own)
    paired = paired_compounds(assignment.unit_id)
    parts += [Q(**{_lookup(a, "unit__in"): paired}) for a in anchors.organization]
    parts += [Q(**{_lookup(a, "pk__in") if a else "pk__in": paired}) for a in anchors.unit]
    return reduce(or_, parts) if parts else None


def register() -> None:
    from organizations.models import Role

    register_rule(Role.AGENCY_CONTACT)(agency_contact_rule)
