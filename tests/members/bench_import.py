"""Benchmark: the roster import of a whole district (50,000 rows) on PostgreSQL.

Not part of `make test` (the `benchmark` marker is deselected there, and the file name is not
test_*.py); `make bench` runs it. It fails when the import falls under the target: 2,000 rows/s,
peak memory under 300 MB, and a number of queries that grows with batches of rows, never per row.
"""

from __future__ import annotations

import math
import resource
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from members.idnumbers import make_id_number
from members.models import Member
from members.roster import BATCH_SIZE, import_roster
from tests.members.test_roster import DEPT_HEADERS

ROWS = 50_000
MIN_ROWS_PER_SECOND = 2_000
MAX_PEAK_MB = 300
#: A department roster (see test_roster) with the compound each member lives in.
HEADERS = [*DEPT_HEADERS, "居住小区"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]


def build_roster(path: Path, tree: dict) -> Path:
    """A 50,000-row roster as a department keeps it, written as it streams (openpyxl write_only)."""
    orgs = [tree[k].code for k in ("comm_a", "comm_b", "comm_c", "compound_a", "compound_b")]
    residences = [tree["compound_a"].unit.code, tree["compound_b"].unit.code, tree["bare_b"].code, ""]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(["夷陵区党员花名册"])
    sheet.append(HEADERS)
    first_birthday = date(1950, 1, 1)
    for i in range(ROWS):
        born = first_birthday + timedelta(days=i // 1000 * 37)
        number = make_id_number("420506", born, i % 1000)
        joined = date(born.year + 25, 1 + i % 12, 1)
        sheet.append(
            [
                i + 1,
                SURNAMES[i % len(SURNAMES)] + GIVEN[i // len(SURNAMES) % len(GIVEN)],
                "男" if i % 2 else "女",
                "汉族",
                born.isoformat() if i % 3 == 0 else None,
                number,
                ("本科", "大专", "高中", "中专", "研究生")[i % 5],
                f"{joined:%Y.%m}",
                f"{joined.year + 1}年{joined.month}月1日" if i % 7 else None,
                ("在职党员", "退休党员", "流动党员", "其他")[i % 4],
                orgs[i % len(orgs)],
                f"139{i:08d}",
                residences[i % len(residences)],
            ]
        )
    workbook.save(path)
    return path


class QueryCounter:
    """Counts queries without keeping their text: a 2,000-row insert is megabytes of SQL, which
    CaptureQueriesContext would hold (and format) during the timed runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001 - Django's wrapper signature
        self.count += 1
        return execute(sql, params, many, context)


def timed(path: Path) -> dict:
    """One import of ``path``, committed: counts, seconds, rows/s, queries."""
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = import_roster(path, filename=path.name)
        seconds = time.perf_counter() - started
    assert result.ok, result.problems[:10]
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "seconds": seconds,
        "rows_per_second": ROWS / seconds,
        "queries": counter.count,
    }


def traced(path: Path, *, fresh: bool) -> tuple[float, int]:
    """Peak memory Python allocates in one import (tracemalloc), and its queries
    (CaptureQueriesContext); rolled back. ``fresh``: as if no member existed yet."""
    with transaction.atomic():
        if fresh:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {Member._meta.db_table}")
        tracemalloc.start()
        try:
            with CaptureQueriesContext(connection) as queries:
                assert import_roster(path, filename=path.name).ok
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        transaction.set_rollback(True)
    return peak / 2**20, len(queries.captured_queries)


def resident_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@pytest.mark.benchmark
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the import commits, so the deferred foreign keys are checked too
def test_import_50000_rows(tree, tmp_path, capsys):
    path = build_roster(tmp_path / "roster.xlsx", tree)
    before_mb = resident_mb()

    create = timed(path)
    again = timed(path)
    # The whole test process at its fullest (interpreter, Django, pytest, the import), before tracemalloc.
    process_peak_mb = resident_mb()
    create["peak_mb"], create["captured"] = traced(path, fresh=True)
    again["peak_mb"], again["captured"] = traced(path, fresh=False)

    with capsys.disabled():
        print()
        for label, run in (("create", create), ("re-import", again)):
            print(
                f"{label:>9}: {ROWS} rows in {run['seconds']:.1f} s = {run['rows_per_second']:,.0f} rows/s, "
                f"{run['queries']} queries, peak Python memory {run['peak_mb']:.0f} MB "
                f"(created {run['created']}, updated {run['updated']}, unchanged {run['unchanged']})"
            )
        print(
            f"peak resident memory of the test process: {process_peak_mb:.0f} MB "
            f"({before_mb:.0f} MB before the imports)"
        )

    assert (create["created"], again["unchanged"]) == (ROWS, ROWS)
    assert Member.objects.count() == ROWS
    batches = math.ceil(ROWS / BATCH_SIZE)
    # Per batch of 2,000 rows: one read of existing members, one insert of members, one of history.
    for run, per_batch in ((create, 3), (again, 1)):
        # (The traced run is inside a rolled-back transaction: its import adds a savepoint and its release.)
        assert max(run["queries"], run["captured"] - 2) <= per_batch * batches + 10
        assert run["rows_per_second"] >= MIN_ROWS_PER_SECOND
        assert run["peak_mb"] < MAX_PEAK_MB
    assert process_peak_mb < MAX_PEAK_MB
