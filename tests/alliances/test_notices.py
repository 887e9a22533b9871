"""The alliances notice rules: the quarter's joint meeting and its next host, meetings without minutes,
instructors overdue for a visit: who hears, in which period, once, and not when no longer due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliances import notices, services
from organizations.models import Role
from tests.organizations.factories import user_with_role
from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry
from yiling.notices import services as notice_services
from yiling.notices.models import Notice

from .factories import make_alliance, make_enterprise, park_secretary

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def run(name: str, as_of: date):
    return notice_services.run_rule(registry.get_rule(name), as_of=as_of)


def recipients(rule: str) -> set[int]:
    return set(Notice.objects.filter(rule=rule).values_list("recipient_id", flat=True))


def queries(name: str, as_of: date) -> int:
    with CaptureQueriesContext(connection) as ctx:
        drafts = list(registry.get_rule(name).collect(as_of))
    assert drafts
    return len(ctx.captured_queries)


def test_quarters():
    assert notices.quarter_of(date(2026, 2, 14)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert notices.quarter_of(date(2026, 12, 31)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert notices.quarter_label(date(2026, 11, 2)) == "2026-Q4"


def test_no_joint_meeting_this_quarter_reaches_the_park_a_month_ahead_naming_the_next_host(tree):
    secretary, outsider = park_secretary(tree), user_with_role(Role.STREET_STAFF, organization=tree["other_park"])
    alliance = make_alliance(tree, members=3)
    start, end = notices.quarter_of(TODAY)
    # Two months before the quarter ends: not yet.
    assert run("alliances.joint_meeting_due", start).created == 0
    assert run("alliances.joint_meeting_due", end - timedelta(days=20)).created == 1
    notice = Notice.objects.get()
    assert notice.recipient == secretary and notice.recipient != outsider
    assert notice.period == notices.quarter_label(TODAY)
    assert tree["branches"][0].name in notice.body  # the first in the rotation hosts next
    assert notice.url == alliance.get_absolute_url()
    assert run("alliances.joint_meeting_due", end).created == 0


def test_a_meeting_held_in_the_quarter_ends_the_reminder(tree):
    park_secretary(tree)
    alliance = make_alliance(tree, members=2)
    rule = registry.get_rule("alliances.joint_meeting_due")
    period = notices.quarter_label(TODAY)
    assert rule.still_due(f"alliance:{alliance.pk}", period, TODAY)
    services.joint_meeting_record(alliance=alliance, held_on=TODAY, host=tree["branches"][0], topic="季度联席会议")
    assert not rule.still_due(f"alliance:{alliance.pk}", period, TODAY)
    _start, end = notices.quarter_of(TODAY)
    assert run("alliances.joint_meeting_due", end).created == 0
    # Next quarter's reminder names the next branch in the rotation.
    next_end = notices.quarter_of(end + timedelta(days=1))[1]
    assert run("alliances.joint_meeting_due", next_end).created == 1
    assert tree["branches"][1].name in Notice.objects.get().body


def test_a_meeting_without_minutes_a_week_later_reaches_the_park_once_until_minuted(tree):
    secretary = park_secretary(tree)
    alliance = make_alliance(tree, members=2)
    held = TODAY - timedelta(days=3)
    meeting = services.joint_meeting_record(alliance=alliance, held_on=held, host=tree["branches"][0], topic="联席会")
    services.joint_meeting_record(
        alliance=alliance, held_on=held, host=tree["branches"][1], topic="已有纪要", minutes="纪要"
    )
    assert run("alliances.meetings_not_minuted", held + timedelta(days=6)).created == 0
    assert run("alliances.meetings_not_minuted", held + timedelta(days=7)).created == 1
    assert recipients("alliances.meetings_not_minuted") == {secretary.pk}
    assert Notice.objects.get().url.endswith(f"/meetings/{meeting.pk}/minutes/")
    assert run("alliances.meetings_not_minuted", held + timedelta(days=30)).created == 0
    rule = registry.get_rule("alliances.meetings_not_minuted")
    assert rule.still_due(f"meeting:{meeting.pk}", "minutes", TODAY)
    services.joint_meeting_minute(meeting=meeting, minutes="会议纪要")
    assert not rule.still_due(f"meeting:{meeting.pk}", "minutes", TODAY)


def test_an_instructor_with_no_visit_in_90_days_reaches_the_park_once_per_last_visit(tree):
    secretary = park_secretary(tree)
    user_with_role(Role.STREET_STAFF, organization=tree["other_park"])
    enterprise = make_enterprise(tree, name="大型企业")
    started = TODAY - timedelta(days=200)
    assignment = services.instructor_assign(enterprise=enterprise, started_on=started, instructor_name="王指导")
    visit = services.instructor_visit_log(assignment=assignment, visited_on=TODAY - timedelta(days=95), summary="指导")
    assert run("alliances.instructor_visits_overdue", TODAY - timedelta(days=6)).created == 0
    assert run("alliances.instructor_visits_overdue", TODAY).created == 1
    notice = Notice.objects.get()
    assert notice.recipient == secretary and notice.period == f"{visit.visited_on}:overdue"
    assert "王指导" in notice.title
    assert run("alliances.instructor_visits_overdue", TODAY + timedelta(days=7)).created == 0
    rule = registry.get_rule("alliances.instructor_visits_overdue")
    assert rule.still_due(f"instructor:{assignment.pk}", notice.period, TODAY)
    services.instructor_visit_log(assignment=assignment, visited_on=TODAY, summary="再次指导")
    assert not rule.still_due(f"instructor:{assignment.pk}", notice.period, TODAY)
    assert run("alliances.instructor_visits_overdue", TODAY).created == 0
    # 91 days after the new visit: overdue again, a new period.
    assert run("alliances.instructor_visits_overdue", TODAY + timedelta(days=91)).created == 1


def test_an_ended_assignment_is_not_reminded(tree):
    park_secretary(tree)
    assignment = services.instructor_assign(
        enterprise=make_enterprise(tree), started_on=TODAY - timedelta(days=200), instructor_name="李指导"
    )
    rule = registry.get_rule("alliances.instructor_visits_overdue")
    period = f"{assignment.started_on}:overdue"
    assert rule.still_due(f"instructor:{assignment.pk}", period, TODAY)
    services.instructor_assignment_end(assignment=assignment, ended_on=TODAY)
    assert not rule.still_due(f"instructor:{assignment.pk}", period, TODAY)
    assert run("alliances.instructor_visits_overdue", TODAY).created == 0


def test_the_rules_read_in_queries_that_do_not_grow_with_the_alliances(tree):
    park_secretary(tree)
    _start, end = notices.quarter_of(TODAY)
    held = TODAY - timedelta(days=10)

    def grow(n: int) -> None:
        for _ in range(n):
            alliance = make_alliance(tree, members=2)
            services.joint_meeting_record(alliance=alliance, held_on=held, host=tree["branches"][0], topic="会")
            services.instructor_assign(
                enterprise=make_enterprise(tree), started_on=TODAY - timedelta(days=200), instructor_name="指导员"
            )

    grow(1)
    few = [queries(name, as_of) for name, as_of in rules_on(end)]
    grow(4)
    assert [queries(name, as_of) for name, as_of in rules_on(end)] == few


def rules_on(end: date) -> list[tuple[str, date]]:
    # The quarter after this one: no meeting yet in it, the meetings held ten days ago are unminuted.
    next_end = notices.quarter_of(end + timedelta(days=1))[1]
    return [
        ("alliances.joint_meeting_due", next_end),
        ("alliances.meetings_not_minuted", TODAY),
        ("alliances.instructor_visits_overdue", TODAY),
    ]
