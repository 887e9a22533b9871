"""The registry of notice rules: each app declares its rules once in ``<app>/notices.py``.

A rule is a function ``collect(as_of: date) -> Iterable[Draft]``: what is due on ``as_of``, read from
the database, never from an ETA. Each draft names its subject, the period it belongs to and its
recipients; the runner creates one ``Notice`` per recipient unless the database already holds it.

``period`` is how a rule says "once": a term reminder's period is the term's end date with the
threshold reached (so a moved end date is a new reminder, and after downtime only the latest
threshold is sent); a weekly bulletin's is the ISO week.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.utils.module_loading import module_has_submodule

MODULE_NAME = "notices"


@dataclass
class Draft:
    """One notice to be sent to each of ``recipients`` (user ids)."""

    subject_key: str
    period: str
    title: str
    body: str = ""
    url: str = ""
    recipients: Sequence[int] = ()
    #: The street unit whose group robot also gets it (None: no webhook).
    street_id: int | None = None


@dataclass
class Rule:
    name: str
    kind: str
    label: Any
    collect: Callable[[date], Iterable[Draft]]
    #: Cron fields "minute hour day-of-month month day-of-week", Asia/Shanghai: the default schedule,
    #: which staff change in the admin (django-celery-beat).
    schedule: str = "0 8 * * *"
    #: ``still_due(subject_key, period, today) -> bool``: checked again just before an email or
    #: webhook goes out, so a reminder whose date moved or whose subject closed is not sent.
    still_due: Callable[[str, str, date], bool] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_RULES: dict[str, Rule] = {}


def notice_rule(
    name: str,
    *,
    kind: str,
    label: Any,
    schedule: str = "0 8 * * *",
    still_due: Callable[[str, str, date], bool] | None = None,
) -> Callable[[Callable[[date], Iterable[Draft]]], Callable[[date], Iterable[Draft]]]:
    """Register ``collect`` as the rule ``name`` (``"<app>.<what>"``)."""

    def decorator(collect: Callable[[date], Iterable[Draft]]) -> Callable[[date], Iterable[Draft]]:
        _RULES[name] = Rule(name=name, kind=kind, label=label, collect=collect, schedule=schedule, still_due=still_due)
        return collect

    return decorator


def rules() -> list[Rule]:
    return [_RULES[name] for name in sorted(_RULES)]


def get_rule(name: str) -> Rule | None:
    return _RULES.get(name)


def autodiscover() -> None:
    """Import every installed app's ``notices`` module (and the programme rules of yiling itself)."""
    importlib.import_module("yiling.notices.rules")
    for config in apps.get_app_configs():
        if config.name != "yiling" and module_has_submodule(config.module, MODULE_NAME):
            importlib.import_module(f"{config.name}.{MODULE_NAME}")
