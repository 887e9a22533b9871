"""Helpers of the seed_demo tests."""

from __future__ import annotations

import re
from io import StringIO

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.snapshots import forget_cached_pages, written_once

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


#: What each real run of :func:`demo_loaded` left, by its key, read as soon as it ended: seed_demo's
#: output, every table's row count and the accounts (tests/yiling/test_demo_loaded.py compares a copy
#: with them).
REAL_RUNS: dict[tuple, tuple[str, dict[str, int], set[str]]] = {}


def demo_key(*args: str) -> tuple:
    """What decides the rows of a seed_demo run: DEBUG (the accounts), the hashers, the arguments."""
    return ("seed_demo", settings.DEBUG, tuple(settings.PASSWORD_HASHERS), args)


def demo_loaded(*args: str) -> str:
    """The demo district in the database, as ``seed(*args)`` leaves it under the current settings
    (DEBUG decides the accounts), and seed_demo's output: one real run per worker process, its rows
    copied back afterwards (tests/snapshots.py). The tests of seed_demo itself call seed()."""
    key = demo_key(*args)

    def real_run() -> str:
        output = seed(*args)
        usernames = set(get_user_model().objects.values_list("username", flat=True))
        REAL_RUNS[key] = (output, row_counts(), usernames)
        return output

    def copied(output: str) -> str:
        forget_cached_pages()
        return output

    return written_once(key, real_run, copied=copied)
