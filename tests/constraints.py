"""Asserting that the database itself, not a service, refuses a write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, models, transaction


@contextmanager
def refused_by(model: type[models.Model], name: str) -> Iterator[None]:
    """Expect the write in the block to fail with an IntegrityError raised by ``model``'s named constraint.

    PostgreSQL names the constraint in its error, SQLite names a CHECK constraint but gives a unique
    one by its columns, so that is what is compared there.
    """
    constraint = next((c for c in model._meta.constraints if c.name == name), None)
    assert constraint is not None, f"{model.__name__} has no constraint {name}"
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        yield
    error = str(refused.value)
    if connection.vendor == "sqlite" and isinstance(constraint, models.UniqueConstraint):
        opts = model._meta
        columns = ", ".join(f"{opts.db_table}.{opts.get_field(field).column}" for field in constraint.fields)
        assert error == f"UNIQUE constraint failed: {columns}", error
    else:
        assert name in error, error
