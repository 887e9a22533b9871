"""Who sees what: the one scoping rule every model, page, export, import and task goes through.

A user's reach is the set of their role assignments. Each role has one *reach rule*: a function
that, given the assignment and a model's anchors, returns a ``Q`` selecting the rows of that
model the assignment reaches. A model declares its anchors once (``visibility = Anchors(...)``):
the lookups that lead from a row to an organization of the tree and to a unit (agency, shop).
``Model.objects.visible_to(user)`` ORs the rules of the user's assignments together.

A new kind of reach (an agency reaching the compounds it is paired with, say) is one new rule
registered with :func:`register_rule`, not an edit in every view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from organizations.models import RoleAssignment

    UserLike = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Anchors:
    """How a model's rows are tied to the tree.

    ``organization``: lookups from the model to an ``Organization`` ("" for the organization
    model itself); a row is reached by an assignment bound to that organization or above it.
    ``unit``: lookups from the model to a ``Unit`` ("" for the unit model itself); a row is
    reached by an assignment bound to exactly that unit (an agency contact, a merchant).
    """

    organization: tuple[str, ...] = ()
    unit: tuple[str, ...] = ()


Rule = Callable[["RoleAssignment", Anchors], Q | None]
_RULES: dict[str, Rule] = {}


def register_rule(role: str) -> Callable[[Rule], Rule]:
    """Register the reach rule of a role (one rule per role)."""

    def decorator(rule: Rule) -> Rule:
        _RULES[role] = rule
        return rule

    return decorator


def _lookup(prefix: str, tail: str) -> str:
    return f"{prefix}__{tail}" if prefix else tail


def subtree_q(path: str, anchors: Anchors) -> Q | None:
    """Rows anchored at the organization with ``path`` or anywhere below it."""
    parts = [Q(**{_lookup(a, "path__startswith"): path}) for a in anchors.organization]
    return reduce(or_, parts) if parts else None


def unit_q(unit_id: int, anchors: Anchors) -> Q | None:
    """Rows anchored at one unit."""
    parts = [Q(**{_lookup(a, "pk") if a else "pk": unit_id}) for a in anchors.unit]
    return reduce(or_, parts) if parts else None


def organization_subtree_rule(assignment: RoleAssignment, anchors: Anchors) -> Q | None:
    return subtree_q(assignment.organization.path, anchors)


def own_unit_rule(assignment: RoleAssignment, anchors: Anchors) -> Q | None:
    return unit_q(assignment.unit_id, anchors)


def assignments_of(user: UserLike) -> list[RoleAssignment]:
    """The user's role assignments, read once per user object (so once per request)."""
    cached = getattr(user, "_role_assignments_cache", None)
    if cached is None:
        role_assignment = apps.get_model("organizations", "RoleAssignment")
        cached = list(role_assignment.objects.filter(user_id=user.pk).select_related("organization"))
        user._role_assignments_cache = cached  # type: ignore[union-attr]
    return cached


def forget_assignments(user: UserLike) -> None:
    """Drop the cached assignments (after a user's roles change)."""
    user.__dict__.pop("_role_assignments_cache", None)


def reach_q(user: UserLike | None, model: type[models.Model]) -> Q | None:
    """The filter selecting what ``user`` may see of ``model``; None when nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    anchors: Anchors = getattr(model, "visibility", Anchors())
    parts: list[Q] = []
    for assignment in assignments_of(user):
        rule = _RULES.get(assignment.role)
        q = rule(assignment, anchors) if rule else None
        if q is not None:
            parts.append(q)
    return reduce(or_, parts) if parts else None


_QS = TypeVar("_QS", bound="ScopedQuerySet")


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the scoping rule. Mix into each domain model's queryset."""

    def visible_to(self: _QS, user: UserLike | None) -> _QS:
        if user is not None and user.is_active and getattr(user, "is_superuser", False):
            return self
        q = reach_q(user, self.model)
        return self.filter(q) if q is not None else self.none()

    def is_visible_to(self, user: UserLike | None, obj: models.Model) -> bool:
        return self.visible_to(user).filter(pk=obj.pk).exists()


def visible(model: type[models.Model], user: UserLike | None) -> models.QuerySet:
    """``model``'s rows visible to ``user``; for code that holds only a model class."""
    return model._default_manager.all().visible_to(user)  # type: ignore[attr-defined]


def is_scoped(model: type[models.Model]) -> bool:
    return isinstance(model._default_manager.all(), ScopedQuerySet)
