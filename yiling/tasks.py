"""Portal-wide Celery tasks."""

from celery import shared_task


@shared_task(name="yiling.ping")
def ping() -> str:
    """Answer through the broker: lets a deployment check that a worker picks up and returns tasks."""
    return "pong"


# The notice tasks live beside the notices; importing them here registers them with the worker.
from .notices import tasks as notice_tasks  # noqa: E402, F401
