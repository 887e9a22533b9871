"""Celery tasks of the notices: thin, arguments are names, dates and primary keys, safe to run twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import registry, services

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": 5, "retry_backoff_max": 300, "max_retries": 5}


def _day(as_of: str | None) -> date:
    return date.fromisoformat(as_of) if as_of else timezone.localdate()


@shared_task(name="yiling.notices.run_rule", **RETRY)
def run_rule(rule_name: str, as_of: str | None = None) -> dict:
    """Run one rule as of ``as_of`` (default today): what beat schedules, one entry per rule."""
    rule = registry.get_rule(rule_name)
    if rule is None:
        return {"error": f"unknown rule {rule_name}"}
    return services.run_rule(rule, as_of=_day(as_of)).as_dict()


@shared_task(name="yiling.notices.run_all", **RETRY)
def run_all(as_of: str | None = None) -> dict:
    return services.run_all(as_of=_day(as_of)).as_dict()


@shared_task(name="yiling.notices.send_delivery", **RETRY)
def send_delivery(delivery_id: int) -> str | None:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(name="yiling.notices.deliver_due", **RETRY)
def deliver_due() -> int:
    """The sweep: send every delivery that is due (new ones a queue missed, and retries)."""
    sent = 0
    for pk in services.deliveries_due():
        if services.delivery_send(delivery_id=pk) == "sent":
            sent += 1
    return sent


@shared_task(name="yiling.notices.send_digests", **RETRY)
def send_digests(as_of: str | None = None) -> int:
    return len(services.digests_build(as_of=_day(as_of)))
