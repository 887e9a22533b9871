"""Demo supervision: this year's compound-branch programme with tasks for the branches of 兴安社区 and
绿洲社区, a few progress reports, and (once the demo accounts exist) the notices the rules send today."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from yiling.demo import DemoContext
from yiling.notices import services as notice_services
from yiling.notices.models import Programme, Task

from .demo import compound_plan, org_code
from .models import Organization

#: The demo compound secretary's branch (平湖国际).
PINGHU = org_code(next(c["code"] for c in compound_plan() if c["name"] == "平湖国际"))

#: (organization, task title, days from today to the due date, progress reported)
TASKS = [
    ("ORG-YL-XXT-XA", "完成支部与业委会同步换届", -10, 60),
    ("ORG-YL-XXT-XA", "红色物业全覆盖", 20, 100),
    ("ORG-YL-XXT-LZ", "完成支部与业委会同步换届", -5, 0),
    ("ORG-YL-XXT-LZ", "在职党员到小区报到", 30, 40),
    (PINGHU, "建立红色业委会", 5, 30),
]


def _title() -> str:
    return f"{timezone.localdate().year}年小区建支部全流程督导方案"


def seed_programme(ctx: DemoContext) -> None:
    today = timezone.localdate()
    ctx.touch("programmes")
    ctx.touch("tasks")
    programme = Programme.objects.filter(title=_title()).first()
    if programme is None:
        programme = notice_services.programme_create(
            title=_title(), description="建设方案、任务指导书、进度通报、工作提示：小区建支部各项任务到人、到期、到效。"
        )
        notice_services.programme_publish(programme=programme, published_on=today - timedelta(days=30))
        ctx.tally("programmes", "created")
    communities = {o.code: o for o in Organization.objects.filter(code__in={c for c, *_ in TASKS})}
    for code, title, due_in, progress in TASKS:
        community = communities.get(code)
        if community is None or Task.objects.filter(programme=programme, organization=community, title=title).exists():
            continue
        task = notice_services.task_create(
            programme=programme,
            organization=community,
            title=title,
            due_on=today + timedelta(days=due_in),
            instructions="按任务指导书推进，每周报告进度并上传佐证材料。",
        )
        ctx.tally("tasks", "created")
        if progress:
            notice_services.progress_report(task=task, percent=progress, note="阶段性进展")


def send_notices(ctx: DemoContext) -> None:
    """After the accounts: every rule as of today, once (a second seed finds them all sent)."""
    ctx.touch("notices")
    result = notice_services.run_all(as_of=timezone.localdate())
    if result.created:
        ctx.tally("notices", "created", result.created)
