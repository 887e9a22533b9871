"""Portal-wide Celery tasks."""

from celery import shared_task


@shared_task(name="yiling.ping")
def ping() -> str:
    """Answer through the broker: lets a deployment check that a worker picks up and returns tasks."""
    return "pong"
