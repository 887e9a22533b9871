"""Reads of the notices: the inbox, preferences, programmes, tasks and their progress roll-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.http import Http404

from yiling.scoping import assignments_of

from .models import DeliveryMode, Notice, NoticeKind, NoticePreference, Programme, ProgressReport, Task

REPORTING_ROLES = ("compound_secretary", "community_secretary", "street_staff", "district_staff")


def inbox(*, user: Any, unread_only: bool = False) -> QuerySet[Notice]:
    notices = Notice.objects.visible_to(user).filter(recipient_id=user.pk)
    if unread_only:
        notices = notices.unread()
    return notices.order_by("-created_at", "-pk")


def notice_get(*, user: Any, pk: int) -> Notice:
    notice = Notice.objects.filter(recipient_id=user.pk, pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def preferences_of(*, user: Any) -> dict[str, str]:
    """The user's delivery per kind, immediately by email where nothing is chosen."""
    chosen = dict(NoticePreference.objects.filter(user_id=user.pk).values_list("kind", "mode"))
    return {kind: chosen.get(kind, DeliveryMode.IMMEDIATE) for kind in NoticeKind.values}


def programmes(*, user: Any) -> QuerySet[Programme]:
    return Programme.objects.visible_to(user).exclude(status=Programme.Status.DRAFT).order_by("-published_on", "-pk")


def task_get(*, user: Any, pk: int) -> Task:
    task = (
        Task.objects.visible_to(user)
        .filter(pk=pk)
        .exclude(programme__status=Programme.Status.DRAFT)
        .select_related("programme", "organization")
        .first()
    )
    if task is None:
        raise Http404
    return task


def task_reports(*, task: Task, limit: int = 20) -> list[ProgressReport]:
    return list(task.reports.select_related("reported_by").order_by("-reported_at", "-pk")[:limit])


def report_with_evidence(*, user: Any, pk: int) -> ProgressReport:
    report = (
        ProgressReport.objects.visible_to(user)
        .filter(pk=pk)
        .exclude(evidence="")
        .exclude(task__programme__status=Programme.Status.DRAFT)
        .first()
    )
    if report is None:
        raise Http404
    return report


def may_report(*, user: Any, task: Task) -> bool:
    """The responsible secretary (a role at the task's own organization) or district staff."""
    if getattr(user, "is_superuser", False):
        return True
    return any(
        a.role in REPORTING_ROLES and (a.organization_id == task.organization_id or a.role == "district_staff")
        for a in assignments_of(user)
    )


@dataclass
class Rollup:
    """Tasks of one street or community, added up."""

    organization: Any
    total: int = 0
    done: int = 0
    progress_sum: int = 0
    behind: list[Task] = field(default_factory=list)
    communities: list[Rollup] = field(default_factory=list)

    @property
    def average(self) -> int:
        return round(self.progress_sum / self.total) if self.total else 0

    def add(self, task: Task, as_of: date) -> None:
        self.total += 1
        self.progress_sum += task.progress
        if task.progress >= 100:
            self.done += 1
        elif task.due_on < as_of:
            self.behind.append(task)


def progress_rollup(*, user: Any, as_of: date, programme: Programme | None = None) -> list[Rollup]:
    """The user's tasks by street, and within each street by community, with who is behind.

    Two queries whatever the number of tasks: the tasks with their organizations, and the streets
    and communities above them.
    """
    organization = apps.get_model("organizations", "Organization")
    tasks = Task.objects.visible_to(user).filter(programme__status=Programme.Status.PUBLISHED)
    if programme is not None:
        tasks = tasks.filter(programme=programme)
    tasks = list(tasks.select_related("organization", "programme").order_by("due_on", "pk"))
    if not tasks:
        return []
    prefixes = {task.organization.path[:cut] for task in tasks for cut in range(4, len(task.organization.path) + 1, 4)}
    scopes = list(
        organization.objects.filter(path__in=prefixes, unit__unit_type__in=["street", "community"])
        .select_related("unit")
        .order_by("path")
    )
    streets: dict[str, Rollup] = {}
    communities: dict[str, Rollup] = {}
    for scope in scopes:
        if scope.unit.unit_type == "street":
            streets[scope.path] = Rollup(scope)
        else:
            communities[scope.path] = Rollup(scope)
    for path, community in communities.items():
        street = next((s for p, s in streets.items() if path.startswith(p)), None)
        if street is not None:
            street.communities.append(community)
    for task in tasks:
        path = task.organization.path
        for p, rollup in streets.items():
            if path.startswith(p):
                rollup.add(task, as_of)
        for p, rollup in communities.items():
            if path.startswith(p):
                rollup.add(task, as_of)
    return list(streets.values())
