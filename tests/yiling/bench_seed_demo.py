"""Benchmark: ``manage.py seed_demo`` on an empty SQLite database, as ``make run`` first does.

Not part of `make test` (the `benchmark` marker is deselected there, and the file name is not
test_*.py); `make bench` runs it. It prints the figure and asserts no speed: the target (under 15 s
on the 2-core development machine) depends on the machine and on what else runs on it.

The command runs in a child process on a migrated SQLite file of its own, whatever DATABASE_URL the
benchmarks otherwise use, and with debug on, so the demo accounts are created as in `make run`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMING = re.compile(r"^Demo data loaded in (\d+\.\d) s\.$", re.M)
#: With debug on, an empty database gets every demo account (how many grows with the apps).
ACCOUNTS_CREATED = re.compile(r"^accounts: [1-9]\d* created, 0 updated$", re.M)


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.benchmark
def test_seed_demo_on_an_empty_sqlite_database(tmp_path, capsys):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DEBUG": "1"}
    manage(env, "migrate", "--noinput", "-v", "0")

    started = time.perf_counter()
    output = manage(env, "seed_demo")
    wall = time.perf_counter() - started

    reported = TIMING.search(output)
    assert reported is not None, output
    assert ACCOUNTS_CREATED.search(output), output
    load = os.getloadavg()[0]
    with capsys.disabled():
        print(
            f"\nseed_demo on an empty SQLite database: {reported.group(1)} s as the command reports it, "
            f"{wall:.1f} s with the process start (load average {load:.2f} on {os.cpu_count()} cores)"
        )
