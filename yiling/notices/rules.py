"""The rules of the supervision programme itself: weekly progress bulletins and work reminders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiling.templatetags.portal import cn_date, cn_week

from .models import NoticeKind, ProgressReport, Task
from .recipients import SECRETARIES, STREET_STAFF, Directory
from .registry import Draft, notice_rule

#: The building targets a bulletin quotes, when their app has registered them.
BULLETIN_INDICATORS = (
    "compound_party_organizations",
    "owners_committees",
    "red_property_companies",
    "cross_appointment_rate",
    "fund_execution_rate",
)
REMINDER_DAYS = 7


def week_of(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _targets(scope) -> list[str]:  # type: ignore[no-untyped-def]
    from yiling import indicators

    found = {ind.name: ind for ind in indicators.registered()}
    lines = []
    for name in BULLETIN_INDICATORS:
        ind = found.get(name)
        if ind is not None:
            lines.append(f"{ind.label}: {ind.display(ind.compute(scope))}")
    return lines


@notice_rule(
    "yiling.progress_bulletin",
    kind=NoticeKind.PROGRESS,
    label=gettext_lazy("Weekly progress bulletin"),
    schedule="0 8 * * 1",
)
def progress_bulletin(as_of: date) -> Iterator[Draft]:
    """Per street and per community: the tasks, who is behind, what changed in the last week, the targets."""
    organization = apps.get_model("organizations", "Organization")
    tasks = list(
        Task.objects.filter(programme__status="published")
        .select_related("organization", "programme")
        .order_by("due_on", "pk")
    )
    if not tasks:
        return
    since = as_of - timedelta(days=7)
    changed = defaultdict(list)
    for report in ProgressReport.objects.filter(reported_at__date__gt=since, reported_at__date__lte=as_of).order_by(
        "reported_at"
    ):
        changed[report.task_id].append(report.percent)
    directory = Directory()
    scopes = organization.objects.filter(unit__unit_type__in=["street", "community"], is_active=True).select_related(
        "unit"
    )
    week = week_of(as_of)
    iso_year, iso_week, _weekday = as_of.isocalendar()
    for scope in scopes:
        inside = [t for t in tasks if t.organization.path.startswith(scope.path)]
        if not inside:
            continue
        behind = [t for t in inside if t.progress < 100 and t.due_on < as_of]
        done = sum(1 for t in inside if t.progress >= 100)
        lines = [
            _("%(total)s tasks, %(done)s done, %(behind)s behind.")
            % {"total": len(inside), "done": done, "behind": len(behind)}
        ]
        for task in behind[:20]:
            lines.append(
                _("Behind: %(org)s · %(task)s (due %(due)s, %(progress)s%%)")
                % {
                    "org": task.organization.name,
                    "task": task.title,
                    "due": cn_date(task.due_on),
                    "progress": task.progress,
                }
            )
        moved = [t for t in inside if t.pk in changed]
        for task in moved[:20]:
            lines.append(
                _("This week: %(org)s · %(task)s now %(progress)s%%")
                % {"org": task.organization.name, "task": task.title, "progress": task.progress}
            )
        if not moved:
            lines.append(_("No progress reported this week."))
        lines.extend(_targets(scope))
        is_street = scope.unit.unit_type == "street"
        roles = (STREET_STAFF,) if is_street else SECRETARIES
        yield Draft(
            subject_key=f"organization:{scope.pk}",
            period=week,
            title=_("Progress bulletin %(week)s: %(scope)s")
            % {"week": cn_week(iso_year, iso_week), "scope": scope.name},
            body="\n".join(lines),
            url=reverse("notices:progress") + f"?scope={scope.code}",
            recipients=directory.at(scope.pk, roles),
            street_id=scope.unit_id if is_street else None,
        )


def _task_period(task: Task, as_of: date) -> str | None:
    if task.due_on < as_of:
        return f"{task.due_on}:overdue"
    if (task.due_on - as_of).days <= REMINDER_DAYS:
        return f"{task.due_on}:soon"
    return None


def task_still_due(subject_key: str, period: str, today: date) -> bool:
    task = Task.objects.open().filter(pk=subject_key.removeprefix("task:")).first()
    return task is not None and _task_period(task, today) == period


@notice_rule(
    "yiling.task_reminders",
    kind=NoticeKind.TASK,
    label=gettext_lazy("Task due and overdue reminders"),
    still_due=task_still_due,
)
def task_reminders(as_of: date) -> Iterator[Draft]:
    """A work reminder (工作提示) when an open task is due within a week, and again once it is overdue."""
    directory = Directory()
    tasks = Task.objects.open().filter(due_on__lte=as_of + timedelta(days=REMINDER_DAYS)).select_related("organization")
    for task in tasks.order_by("due_on", "pk"):
        period = _task_period(task, as_of)
        if period is None:
            continue
        if period.endswith("overdue"):
            title = _("Overdue task: %(task)s (due %(due)s, %(progress)s%%)")
        else:
            title = _("Task due soon: %(task)s (due %(due)s, %(progress)s%%)")
        yield Draft(
            subject_key=f"task:{task.pk}",
            period=period,
            title=title % {"task": task.title, "due": cn_date(task.due_on), "progress": task.progress},
            body=task.instructions[:500],
            url=task.get_absolute_url(),
            recipients=directory.at(task.organization_id, (*SECRETARIES, STREET_STAFF)),
        )
