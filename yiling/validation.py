"""Model validation with fewer queries: every check constraint of a model in one query.

Django's ``Model.validate_constraints`` (part of ``full_clean``) asks the database once for each
check constraint, in a savepoint of its own. A roster member has nine, so loading a district's roster
spends most of its time there. :class:`OneQueryCheckConstraints` first asks once whether the instance
meets all of them; only when it does not (or the database cannot answer that query) does it fall back
to Django's own one-by-one validation, so the errors, their fields and their messages are Django's.

:func:`constraints_left_to_database` turns the constraint queries off altogether for a load of data
known to be good (the demo district): the database still enforces every constraint, so a bad row
still fails the load (an ``IntegrityError`` instead of a ``ValidationError``, in the load's one
transaction), only the friendly per-field message is given up, which nobody reads there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, CheckConstraint, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

_LEFT_TO_DATABASE: ContextVar[bool] = ContextVar("constraints_left_to_database", default=False)


@contextmanager
def constraints_left_to_database() -> Iterator[None]:
    """Within the block, ``full_clean`` of a :class:`OneQueryCheckConstraints` model asks no query:
    neither its constraints nor its foreign keys' targets.

    For trusted bulk loads only (``seed_demo``): field validation still runs, and the database
    refuses any row that breaks a constraint.
    """
    token = _LEFT_TO_DATABASE.set(True)
    try:
        yield
    finally:
        _LEFT_TO_DATABASE.reset(token)


def all_checks_pass(instance: Any, checks: list[CheckConstraint], using: str) -> bool:
    """Whether ``instance`` meets every one of ``checks``, asked in one query.

    The same query Django's ``Q.check`` builds for one condition, with the conditions joined by AND,
    each read as Django reads it (a condition that is NULL passes). False also when the database
    cannot answer: the caller then validates one by one, as Django would.
    """
    connection = connections[using]
    if not connection.features.supports_comparing_boolean_expr:
        return False
    query = Query(None)
    for name, value in instance._get_field_expression_map(meta=instance._meta).items():
        query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
    query.add_annotation(Value(1), "_check")
    condition = Q()
    for check in checks:
        condition &= Q(Coalesce(Q(check.condition), True, output_field=BooleanField()))
    try:
        query.add_q(condition)
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            return query.get_compiler(using=using).execute_sql(SINGLE) is not None
    except (FieldError, DatabaseError):
        return False


class OneQueryCheckConstraints:
    """Mixin for a model with several check constraints: ``full_clean`` checks them in one query."""

    def clean_fields(self, exclude: Any = None) -> None:
        if _LEFT_TO_DATABASE.get():
            # A foreign key's validation asks whether the row it names exists: the database's own
            # foreign-key constraint answers that at insert.
            relations = {f.name for f in self._meta.concrete_fields if f.is_relation}
            exclude = set(exclude or ()) | relations
        super().clean_fields(exclude=exclude)  # type: ignore[misc]

    def validate_constraints(self, exclude: Any = None) -> None:
        if _LEFT_TO_DATABASE.get():
            return
        constraints = self.get_constraints()
        checks = [
            c for _model, model_constraints in constraints for c in model_constraints if isinstance(c, CheckConstraint)
        ]
        using = router.db_for_write(self.__class__, instance=self)
        # With fields excluded Django skips the checks that name them: leave that case to Django.
        if exclude or len(checks) < 2 or not all_checks_pass(self, checks, using):
            super().validate_constraints(exclude=exclude)
            return
        errors: dict[str, Any] = {}
        for model_class, model_constraints in constraints:
            for constraint in model_constraints:
                if isinstance(constraint, CheckConstraint):
                    continue  # met, as the one query above showed
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as e:  # as Django's Model.validate_constraints gathers them
                    if getattr(e, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(e)
                    else:
                        errors = e.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
