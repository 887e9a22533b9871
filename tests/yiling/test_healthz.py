"""The health check load balancers poll: the database decides the status, the broker is reported."""

from __future__ import annotations

import logging
import os

import pytest
from django.db import OperationalError
from django.urls import reverse

from yiling import views

HEALTHZ = "/healthz"


def test_healthz_url_is_stable():
    assert reverse("healthz") == HEALTHZ


@pytest.mark.django_db
def test_healthy_without_a_broker(client, settings):
    settings.REDIS_URL = ""

    response = client.get(HEALTHZ)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"database": "ok", "broker": "not configured"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_unreachable_broker_is_reported_but_stays_healthy(client, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    with caplog.at_level(logging.ERROR, logger="yiling.views"):
        response = client.get(HEALTHZ)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "error"}
    assert "health check: broker unreachable" in caplog.text


@pytest.mark.django_db
def test_database_failure_answers_503(client, settings, monkeypatch, caplog):
    # With database access allowed, only the broken cursor below can make the check fail.
    settings.REDIS_URL = ""
    assert client.get(HEALTHZ).status_code == 200

    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    with caplog.at_level(logging.ERROR, logger="yiling.views"):
        response = client.get(HEALTHZ)

    assert response.status_code == 503
    assert response.json() == {"database": "error", "broker": "not configured"}
    assert "health check: database unreachable" in caplog.text


def test_healthz_answers_get_only(client):
    assert client.post(HEALTHZ).status_code == 405


@pytest.mark.redis
@pytest.mark.django_db
def test_reachable_broker_is_ok(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]

    response = client.get(HEALTHZ)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
