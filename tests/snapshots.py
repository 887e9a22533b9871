"""Rows a test helper wrote, copied out once per worker process and copied back instead of writing
them again (PostgreSQL's COPY, in one transaction, with the same keys, which the sequences have long
passed). For helpers that build the same rows every time: seed_demo, the small district of the tests,
the park, liaison and market fixtures; :func:`instances_kept` and :func:`instances_copied` keep the
model instances such a helper hands out, as it handed them out.

A copy fits only onto the rows it was written on. The rows ``migrate`` leaves (content types,
permissions, the beat schedules) would be written again by every flush of a transactional test,
under new keys: a transactional test ends instead with :func:`emptied_to_the_baseline`, which puts
the first ones back (and :func:`baseline_restored` puts them back after a real flush), so a copy
taken before a browser test still fits after it.
"""

from __future__ import annotations

import functools
import pickle
import weakref
from collections.abc import Callable
from datetime import date
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

#: What each helper wrote: what it kept of its result, the rows it found underneath (content types,
#: permissions), and its own rows by table.
_TAKEN: dict[Any, tuple[Any, dict[str, tuple[int, int]], list[tuple[str, bytes]], date]] = {}
#: The rows of the freshly migrated test database: their marks, and the rows by table.
_BASELINE: list[tuple[dict[str, tuple[int, int]], list[tuple[str, bytes]]]] = []


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


#: The database connection on which the query of :func:`_marks` is prepared (a weak reference).
_PREPARED_ON: list[weakref.ref] = []


def _marks(cursor) -> dict[str, tuple[int, int]]:
    """Each table's row count and highest sequence number (0 for a table keyed otherwise), in one query
    over every table, prepared once a connection (planning it took longer than running it)."""
    quote = connection.ops.quote_name
    raw = connection.connection
    if not (_PREPARED_ON and _PREPARED_ON[0]() is raw):
        parts = [
            f"SELECT '{table}', COUNT(*), {f'COALESCE(MAX({quote(pk)}), 0)' if numbered else '0'} FROM {quote(table)}"
            for table, pk, numbered in _tables()
        ]
        # A prepared statement is the connection's, whatever becomes of the transaction it was made in.
        cursor.execute(f"PREPARE yiling_test_marks AS {' UNION ALL '.join(parts)}")
        _PREPARED_ON[:] = [weakref.ref(raw)]
    cursor.execute("EXECUTE yiling_test_marks")
    return {table: (int(count), int(highest)) for table, count, highest in cursor.fetchall()}


def _copy_in(cursor, rows: list[tuple[str, bytes]]) -> None:
    """Rows copied out by :func:`_copy_out`, table by table, written back as they were."""
    quote = connection.ops.quote_name
    for table, data in rows:
        with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(data)


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
    types and permissions) or the day has (a helper's dates count from today, in Yiling's time), when
    ``write()`` runs again. Only on PostgreSQL, and only for a ``write`` that writes the same rows
    whenever it finds the same ones underneath on the same day."""
    if connection.vendor != "postgresql":
        return write()
    quote = connection.ops.quote_name
    tables = _tables()
    with connection.cursor() as cursor:
        before = _marks(cursor)
    today = timezone.localdate()
    if key in _TAKEN:
        kept, underneath, rows, day = _TAKEN[key]
        # Only onto exactly the rows it was written on: none of its own, nothing else.
        if day == today and {table: mark for table, mark in before.items() if mark[0]} == underneath:
            with transaction.atomic(), connection.cursor() as cursor:
                _copy_in(cursor, rows)
            return copied(kept)
    result = write()
    rows = []
    with connection.cursor() as cursor:
        after = _marks(cursor)
        for table, pk, numbered in tables:
            if after[table] == before[table]:
                continue
            if not numbered and before[table][0]:
                return result  # rows added beside others without a sequence: no copy of them
            where = f" WHERE {quote(pk)} > {int(before[table][1])}" if numbered else ""
            rows.append((table, _copy_out(cursor, f"SELECT * FROM {quote(table)}{where}")))
    _TAKEN[key] = (remember(result), {table: mark for table, mark in before.items() if mark[0]}, rows, today)
    return result


def instances_kept(result: Any) -> bytes:
    """What :func:`written_once` keeps of a helper's result that holds model instances: the result
    pickled as the helper returned it, before the test that got it could change it."""
    return pickle.dumps(result)


def instances_copied(kept: bytes) -> Any:
    """A helper's result kept by :func:`instances_kept`: new instances, as the helper left them (their
    related rows included), for the rows copied back under the same keys."""
    return pickle.loads(kept)


def baseline_taken() -> None:
    """Copy out the rows of the freshly migrated database (once per process, on PostgreSQL)."""
    if connection.vendor != "postgresql" or _BASELINE:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        marks = {table: mark for table, mark in _marks(cursor).items() if mark[0]}
        rows = [(table, _copy_out(cursor, f"SELECT * FROM {quote(table)}")) for table in sorted(marks)]
    _BASELINE.append((marks, rows))


def baseline_restored() -> None:
    """After a flush: the rows of the freshly migrated database under their first keys, in place of
    the same rows the flush's post_migrate wrote again under new ones. Only when those are all the
    database holds, table for table; otherwise the database is left as the flush left it."""
    if connection.vendor != "postgresql" or not _BASELINE:
        return
    from django.contrib.contenttypes.models import ContentType

    marks, rows = _BASELINE[0]
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        now = {table: mark for table, mark in _marks(cursor).items() if mark[0]}
        counts = {table: count for table, (count, _highest) in now.items()}
        if now == marks or counts != {table: count for table, (count, _highest) in marks.items()}:
            return
        for table, _data in rows:
            cursor.execute(f"DELETE FROM {quote(table)}")
        _copy_in(cursor, rows)
    ContentType.objects.clear_cache()


def emptied_to_the_baseline() -> bool:
    """What a transactional test's flush leaves, in about a fifth of its time: every table Django's flush
    empties is emptied with DELETE (PostgreSQL's TRUNCATE of some 250 tables, each a new file, took
    about 1.2 s), and the rows migrate left are copied back under their first keys, in place of
    post_migrate writing them again (the baseline holds only rows post_migrate writes: content types,
    permissions, the beat's schedules; no migration writes rows). The foreign keys are checked at
    the commit, when every table is empty but for those rows. False, having done nothing, where
    there is no baseline (another database; the baseline not taken)."""
    if connection.vendor != "postgresql" or not _BASELINE:
        return False
    from django.contrib.contenttypes.models import ContentType

    _marks_taken, rows = _BASELINE[0]
    quote = connection.ops.quote_name
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("".join(f"DELETE FROM {quote(table)};" for table in sorted(tables)))
        _copy_in(cursor, rows)
    ContentType.objects.clear_cache()
    return True


def forget_cached_pages() -> None:
    """Copied rows keep the first write's keys and board codes: a page an earlier test cached under
    one (of rows since rolled back) must not answer for them. Only this worker's keys (test_settings
    gives each worker its own prefix): the other worker's warm pages stay warm."""
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:
        cache.clear()  # this process's memory
        return
    client = client_of(None, write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)
