"""Rows a test helper wrote, copied out once per worker process and copied back instead of writing
them again (PostgreSQL's COPY, in one transaction, with the same keys, which the sequences have long
passed). For helpers that build the same rows every time: seed_demo, the small district of the tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import connection, transaction

#: What each helper wrote: what it kept of its result, the rows it found underneath (content types,
#: permissions), and its own rows by table.
_TAKEN: dict[Any, tuple[Any, dict[str, tuple[int, int]], list[tuple[str, bytes]]]] = {}


@functools.cache
def _tables() -> list[tuple[str, str, bool]]:
    """(table, primary-key column, whether the key is a sequence number) of every model's table."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if not opts.proxy and opts.managed:
            numbered = opts.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")
            tables.add((opts.db_table, opts.pk.column, numbered))
    return sorted(tables)


def _marks(cursor, tables) -> dict[str, tuple[int, int]]:
    """Each table's row count and highest sequence number (0 for a table keyed otherwise), in one query."""
    if not tables:
        return {}
    quote = connection.ops.quote_name
    parts = [
        f"SELECT '{table}', COUNT(*), {f'COALESCE(MAX({quote(pk)}), 0)' if numbered else '0'} FROM {quote(table)}"
        for table, pk, numbered in tables
    ]
    cursor.execute(" UNION ALL ".join(parts))
    return {table: (int(count), int(highest)) for table, count, highest in cursor.fetchall()}


def _copy_out(cursor, query: str) -> bytes:
    with cursor.cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        return b"".join(bytes(block) for block in copy)


def written_once(
    key: Any,
    write: Callable[[], Any],
    *,
    remember: Callable[[Any], Any] = lambda result: result,
    copied: Callable[[Any], Any] = lambda kept: kept,
) -> Any:
    """``write()``'s result, with the rows it writes in the database. The first call for ``key`` in this
    process calls it and copies out what it wrote, keeping ``remember(result)`` (something the caller
    cannot change: the result itself goes to the caller); later calls copy those rows back and give
    ``copied(kept)``, unless the rows underneath have changed since (a flush renumbers content
    types and permissions), when ``write()`` runs again. Only on PostgreSQL, and only for a
    ``write`` that writes the same rows whenever it finds the same ones underneath."""
    if connection.vendor != "postgresql":
        return write()
    quote = connection.ops.quote_name
    tables = _tables()
    with connection.cursor() as cursor:
        before = _marks(cursor, tables)
    if key in _TAKEN:
        kept, underneath, rows = _TAKEN[key]
        # Only onto exactly the rows it was written on: none of its own, nothing else.
        if {table: mark for table, mark in before.items() if mark[0]} == underneath:
            with transaction.atomic(), connection.cursor() as cursor:
                for table, data in rows:
                    with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT BINARY)") as copy:
                        copy.write(data)
            return copied(kept)
    result = write()
    rows = []
    with connection.cursor() as cursor:
        after = _marks(cursor, tables)
        for table, pk, numbered in tables:
            if after[table] == before[table]:
                continue
            if not numbered and before[table][0]:
                return result  # rows added beside others without a sequence: no copy of them
            where = f" WHERE {quote(pk)} > {int(before[table][1])}" if numbered else ""
            rows.append((table, _copy_out(cursor, f"SELECT * FROM {quote(table)}{where}")))
    _TAKEN[key] = (remember(result), {table: mark for table, mark in before.items() if mark[0]}, rows)
    return result
