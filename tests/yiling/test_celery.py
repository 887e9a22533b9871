"""Celery through the real broker: a worker picks a task from Redis and returns its result."""

from __future__ import annotations

import pytest
from django.conf import settings

from yiling import tasks
from yiling.celery import app


def test_celery_is_configured_for_safe_redelivery():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit


@pytest.mark.redis
def test_task_round_trip_through_redis_worker():
    from celery.contrib.testing.worker import start_worker

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert app.conf.task_always_eager is False
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        result = tasks.ping.delay()
        assert result.get(timeout=30) == "pong"
