"""Reads of accounts: the accounts a user may manage (see ``organizations.services.account_manage_check``)."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from ..models import RoleAssignment
from ..services.tree import STREET_GRANTABLE_ROLES
from .tree import granting_paths

if TYPE_CHECKING:
    from yiling.scoping import UserLike


def managed_accounts(*, by: UserLike) -> QuerySet:
    """The accounts ``by`` may see and manage, with their role assignments prefetched: every account
    for district staff (superusers' only for a superuser); for street and park staff those holding at
    least one role and only community or compound secretary roles inside their street or park; none
    for anyone else."""
    users = get_user_model().objects.prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.select_related("organization", "unit").order_by("role", "id"),
        )
    )
    paths = granting_paths(by)
    if paths is None:
        return users if getattr(by, "is_superuser", False) else users.filter(is_superuser=False)
    if not paths:
        return users.none()
    inside = reduce(or_, (Q(organization__path__startswith=p) for p in paths))
    elsewhere = RoleAssignment.objects.exclude(Q(role__in=STREET_GRANTABLE_ROLES) & inside).values("user_id")
    held = RoleAssignment.objects.values("user_id")
    return users.filter(is_superuser=False, pk__in=held).exclude(pk__in=elsewhere)
