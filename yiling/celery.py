"""The Celery application: JSON only, bounded task time, and no task lost when a worker dies."""

import logging.config
import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiling.settings")

app = Celery("yiling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    timezone="Asia/Shanghai",
    enable_utc=True,
    # A task that hangs is killed rather than holding a worker for ever.
    task_soft_time_limit=300,
    task_time_limit=360,
    # Acknowledge after the work is done, and requeue when the worker process is lost, so a
    # crash re-runs the task; tasks are written to be safe to run twice.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
)
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**_kwargs: Any) -> None:
    """The worker logs through settings.LOGGING, whose every handler masks personal data.

    Without a receiver here Celery adds its own unfiltered stream handler to the task loggers.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
