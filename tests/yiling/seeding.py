"""Helpers of the seed_demo tests."""

from __future__ import annotations

import re
from io import StringIO

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from tests.snapshots import written_once

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


def demo_loaded(*args: str) -> str:
    """The demo district in the database, as ``seed(*args)`` leaves it under the current settings
    (DEBUG decides the accounts), and seed_demo's output: one real run per worker process, its rows
    copied back afterwards (tests/snapshots.py). The tests of seed_demo itself call seed()."""

    def copied(output: str) -> str:
        _forget_cached_pages()
        return output

    key = ("seed_demo", settings.DEBUG, tuple(settings.PASSWORD_HASHERS), args)
    return written_once(key, lambda: seed(*args), copied=copied)


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
