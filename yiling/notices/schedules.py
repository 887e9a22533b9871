"""The beat schedules (django-celery-beat): one periodic task per rule, the delivery sweep, digests.

Created after ``migrate`` when missing and never overwritten, so what staff change in the admin
(主页 › 周期任务) stays as they set it. Running ``migrate`` again changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from .registry import rules

TIMEZONE = "Asia/Shanghai"
PREFIX = "notices: "


def _crontab(spec: str) -> Any:
    from django_celery_beat.models import CrontabSchedule

    minute, hour, day_of_month, month_of_year, day_of_week = spec.split()
    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=TIMEZONE,
    )
    return schedule


def wanted() -> list[tuple[str, str, list[Any], str | None]]:
    """(name, task, args, cron spec or None for every minute) of every schedule the notices need."""
    entries: list[tuple[str, str, list[Any], str | None]] = [
        (f"{PREFIX}{rule.name}", "yiling.notices.run_rule", [rule.name], rule.schedule) for rule in rules()
    ]
    entries.append((f"{PREFIX}deliver due messages", "yiling.notices.deliver_due", [], None))
    entries.append((f"{PREFIX}digests", "yiling.notices.send_digests", [], "0 7 * * *"))
    return entries


@transaction.atomic
def ensure_schedules(**_kwargs: Any) -> int:
    """Create the missing periodic tasks; the number created."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    existing = set(PeriodicTask.objects.filter(name__startswith=PREFIX).values_list("name", flat=True))
    created = 0
    for name, task, args, spec in wanted():
        if name in existing:
            continue
        if spec is None:
            every, _created = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
            PeriodicTask.objects.create(name=name, task=task, args=json.dumps(args), interval=every)
        else:
            PeriodicTask.objects.create(name=name, task=task, args=json.dumps(args), crontab=_crontab(spec))
        created += 1
    return created
