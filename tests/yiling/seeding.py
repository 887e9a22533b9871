"""Helpers of the seed_demo tests."""

from __future__ import annotations

import re
from io import StringIO

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction

DEMO_USERNAMES = {"district", "street", "community", "compound", "agency", "merchant"}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy
    }


def counts_in(output: str) -> list[tuple[str, int, int]]:
    return [
        (label, int(created), int(updated))
        for label, created, updated in re.findall(r"^([\w ]+): (\d+) created, (\d+) updated$", output, re.M)
    ]


# --- the demo district, loaded once per worker ------------------------------------------------------
#
# ``seed_demo`` takes seconds; the tests that only read the demo district need what it leaves in the
# database, not another run of it. On PostgreSQL, the first load in a worker process runs seed_demo
# for real and copies out the rows it wrote (COPY ... TO STDOUT); later loads copy those rows back in
# (COPY ... FROM STDIN) in one transaction, with the same keys, which the sequences have long passed.
# The tests of seed_demo itself call seed().

_LOADED: dict[tuple, tuple[str, dict[str, tuple[int, int]], list[tuple[str, bytes]]]] = {}


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
    """Each table's row count and highest sequence number (0 for a table keyed otherwise)."""
    quote = connection.ops.quote_name
    marks = {}
    for table, pk, numbered in tables:
        highest = f"COALESCE(MAX({quote(pk)}), 0)" if numbered else "0"
        cursor.execute(f"SELECT COUNT(*), {highest} FROM {quote(table)}")
        marks[table] = tuple(cursor.fetchone())
    return marks


def _copy_out(cursor, query: str) -> bytes:
    with cursor.cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        return b"".join(bytes(block) for block in copy)


def demo_loaded(*args: str) -> str:
    """The demo district in the database, as ``seed(*args)`` leaves it under the current settings
    (DEBUG decides the accounts), and seed_demo's output. Seeded for real the first time in this
    process (and always on SQLite); copied back from that seed's rows afterwards."""
    from organizations.models import Organization

    if connection.vendor != "postgresql":
        return seed(*args)
    if Organization.objects.exists():
        # On top of a district already there (another fixture's seed, say), a run writes only what
        # is missing: it is no copy of the demo for a database without one.
        return seed(*args)
    key = (settings.DEBUG, tuple(settings.PASSWORD_HASHERS), args)
    quote = connection.ops.quote_name
    tables = _tables()
    if key in _LOADED:
        output, underneath, rows = _LOADED[key]
        with connection.cursor() as cursor:
            # The rows seed_demo found (content types, permissions) as they were: a flush since (a
            # transactional test) makes them anew, under other keys the copied rows do not name.
            still = _marks(cursor, [t for t in tables if t[0] in underneath]) == underneath
        if still:
            with transaction.atomic(), connection.cursor() as cursor:
                for table, data in rows:
                    with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT BINARY)") as copy:
                        copy.write(data)
            _forget_cached_pages()
            return output
    with connection.cursor() as cursor:
        before = _marks(cursor, tables)
    output = seed(*args)
    rows = []
    with connection.cursor() as cursor:
        after = _marks(cursor, tables)
        for table, pk, numbered in tables:
            if after[table] == before[table]:
                continue
            if not numbered and before[table][0]:
                raise RuntimeError(f"seed_demo added rows to {table}, which had rows and no sequence")
            where = f" WHERE {quote(pk)} > {int(before[table][1])}" if numbered else ""
            rows.append((table, _copy_out(cursor, f"SELECT * FROM {quote(table)}{where}")))
    underneath = {table: mark for table, mark in before.items() if mark[0]}
    _LOADED[key] = (output, underneath, rows)
    return output


def _forget_cached_pages() -> None:
    """The copied rows keep the first seed's board codes: a page an earlier test cached under one
    (of rows since rolled back) must not answer for them. Only this worker's keys (test_settings
    gives each worker its own prefix): the other worker's warm pages stay warm."""
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:
        cache.clear()  # this process's memory
        return
    client = client_of(None, write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)
