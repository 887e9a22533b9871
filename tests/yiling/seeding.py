"""Helpers of the seed_demo tests."""

from __future__ import annotations

import re
from io import StringIO

from django.apps import apps
from django.core.management import call_command

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
