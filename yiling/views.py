"""Portal-wide pages: the work page each user lands on, and the health check."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from organizations import selectors as org_selectors

from . import todos
from .dashboards.board import figures_for

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The work page, where a user lands after logging in: first what waits for them (the to-do
    registry), then the figures of each part of the tree their roles reach (the indicator registry)."""
    waiting = todos.waiting_for(request.user)
    assignments = org_selectors.role_assignments_of(request.user)
    if assignments and all(a.role == "merchant" for a in assignments):
        # A merchant's part of the portal is the shop (issue 11): land there.
        return redirect("merchants:index")
    org_nodes = org_selectors.attach_path_names([a.organization for a in assignments if a.organization_id])
    by_pk = {o.pk: o for o in org_nodes}
    sections = []
    for assignment in assignments:
        org = by_pk.get(assignment.organization_id) if assignment.organization_id else None
        figures = figures_for(org, user=request.user) if org is not None else None
        sections.append({"assignment": assignment, "organization": org, "figures": figures})
    if request.user.is_superuser and not assignments:
        sections.append({"assignment": None, "organization": None, "figures": figures_for(None, user=request.user)})
    return render(
        request,
        "yiling/home.html",
        {
            "waiting": waiting,
            "waiting_total": sum(w.total for w in waiting),
            "sections": sections,
            "district_wide": org_selectors.is_district_wide(request.user),
            "computed_at": timezone.now(),
        },
    )


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unreachable")
        return "error"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except Exception:
        logger.exception("health check: broker unreachable")
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: 200 while the database answers, 503 when it does not."""
    status = {"database": _database_status(), "broker": _broker_status()}
    return JsonResponse(status, status=200 if status["database"] == "ok" else 503)
