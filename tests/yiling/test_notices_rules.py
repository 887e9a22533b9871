"""The rules of organizations, members and the programme: who hears of what, in which period, and
when a reminder is no longer due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from members import services as member_services
from members.models import Category
from organizations import services as org_services
from tests.members.factories import make_member
from tests.organizations.test_governance_admin import governance_of
from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry, services
from yiling.notices.models import Notice

from .notices_factories import programme_with_tasks, world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def w():
    return world()


def run(name: str, as_of: date):
    return services.run_rule(registry.get_rule(name), as_of=as_of)


def recipients(rule: str) -> set[int]:
    return set(Notice.objects.filter(rule=rule).values_list("recipient_id", flat=True))


def test_every_rule_of_the_issue_is_registered_with_a_schedule():
    names = {rule.name for rule in registry.rules()}
    assert {
        "yiling.progress_bulletin",
        "yiling.task_reminders",
        "organizations.branch_term_expiry",
        "organizations.committee_term_expiry",
        "organizations.unpaid_allowances",
        "organizations.unspent_balances",
        "organizations.expenses_without_receipts",
        "members.checkins_waiting",
        "members.floating_out_of_touch",
    } <= names
    assert all(len(rule.schedule.split()) == 5 for rule in registry.rules())


def test_a_report_in_waiting_a_week_reaches_the_compound_secretary_until_it_is_confirmed(w):
    unit = w["compound_a"].unit
    worker = make_member(
        home_organization=w["compound_a"], residence=unit, category=Category.IN_SERVICE, employer=w["agency"]
    )
    checkin = member_services.checkin_submit(member=worker, unit=unit)
    assert run("members.checkins_waiting", TODAY + timedelta(days=6)).created == 0
    assert run("members.checkins_waiting", TODAY + timedelta(days=8)).created == 1
    assert recipients("members.checkins_waiting") == {w["compound"].pk}
    rule = registry.get_rule("members.checkins_waiting")
    assert rule.still_due(f"checkin:{checkin.pk}", "waiting", TODAY)
    member_services.checkin_confirm(checkin=checkin, by=w["compound"])
    assert not rule.still_due(f"checkin:{checkin.pk}", "waiting", TODAY)


def test_a_floating_member_a_year_away_is_reminded_once_a_year(w):
    member = make_member(home_organization=w["compound_a"], residence=w["compound_a"].unit)
    member_services.floating_record_open(
        member=member, direction="outgoing", place="深圳", reason="务工", started_on=TODAY - timedelta(days=200)
    )
    assert run("members.floating_out_of_touch", TODAY).created == 0
    later = TODAY + timedelta(days=200)
    assert run("members.floating_out_of_touch", later).created == 1
    assert run("members.floating_out_of_touch", later + timedelta(days=1)).created == 0
    assert Notice.objects.get().period == str(later.year)


def test_owners_committee_term_ending_reaches_the_secretary_and_the_street(w):
    gov = governance_of(w["compound_a"], "甲")
    committee = org_services.owners_committee_record(
        compound=gov["unit"], elected_on=TODAY - timedelta(days=30), term_ends_on=TODAY + timedelta(days=25)
    )
    assert run("organizations.committee_term_expiry", TODAY).created == 2
    assert Notice.objects.filter(period=f"{committee.term_ends_on}:30").count() == 2
    assert recipients("organizations.committee_term_expiry") == {w["compound"].pk, w["street"].pk}


def test_unpaid_allowances_go_to_district_and_street_staff_monthly(w):
    governance_of(w["compound_a"], "甲")
    assert run("organizations.unpaid_allowances", TODAY).created == 2
    assert recipients("organizations.unpaid_allowances") == {w["district"].pk, w["street"].pk}
    assert run("organizations.unpaid_allowances", TODAY).created == 0
    assert Notice.objects.filter(period=f"{TODAY:%Y-%m}").count() == 2


def test_unspent_balances_only_in_the_fourth_quarter(w):
    governance_of(w["compound_a"], "甲")
    assert run("organizations.unspent_balances", date(TODAY.year, 6, 1)).created == 0
    assert run("organizations.unspent_balances", date(TODAY.year, 11, 1)).created == 1
    notice = Notice.objects.get()
    assert notice.recipient == w["compound"] and "800.00" in notice.title


def test_task_reminders_when_due_soon_and_again_when_overdue_never_when_done(w):
    _p, (task, done) = programme_with_tasks([w["compound_a"], w["compound_b"]], due_on=TODAY + timedelta(days=3))
    services.progress_report(task=done, percent=100)
    assert run("yiling.task_reminders", TODAY - timedelta(days=10)).created == 0
    assert run("yiling.task_reminders", TODAY).created == 1
    assert run("yiling.task_reminders", TODAY + timedelta(days=1)).created == 0
    assert run("yiling.task_reminders", TODAY + timedelta(days=5)).created == 1
    assert sorted(Notice.objects.values_list("period", flat=True)) == [
        f"{task.due_on}:overdue",
        f"{task.due_on}:soon",
    ]
    assert recipients("yiling.task_reminders") == {w["compound"].pk}
    rule = registry.get_rule("yiling.task_reminders")
    services.task_update(task=task, due_on=TODAY + timedelta(days=30))  # moved: the reminder is no longer due
    assert not rule.still_due(f"task:{task.pk}", f"{TODAY + timedelta(days=3)}:overdue", TODAY + timedelta(days=5))


def cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_notice_titles_write_their_dates_as_chinese_is_written(w, client):
    _p, (task, _other) = programme_with_tasks([w["compound_a"], w["compound_b"]], due_on=TODAY + timedelta(days=3))
    gov = governance_of(w["compound_a"], "甲")
    committee = org_services.owners_committee_record(
        compound=gov["unit"], elected_on=TODAY - timedelta(days=30), term_ends_on=TODAY + timedelta(days=25)
    )
    run("yiling.task_reminders", TODAY)
    run("organizations.committee_term_expiry", TODAY)
    titles = list(Notice.objects.values_list("title", flat=True))
    assert any(cn(task.due_on) in t for t in titles) and any(cn(committee.term_ends_on) in t for t in titles)
    assert not any(f"{task.due_on}" in t or f"{committee.term_ends_on}" in t for t in titles)
    client.force_login(w["compound"])
    page = client.get("/notices/").content.decode()
    assert cn(task.due_on) in page and task.due_on.isoformat() not in page


def test_the_progress_bulletin_names_its_week_in_chinese(w):
    programme_with_tasks([w["compound_a"]], due_on=TODAY + timedelta(days=3))
    run("yiling.progress_bulletin", TODAY)
    year, week, _day = TODAY.isocalendar()
    titles = list(Notice.objects.values_list("title", flat=True))
    assert titles and all(f"{year}年第{week}周" in t and "-W" not in t for t in titles)


def test_stored_titles_get_chinese_dates():
    from importlib import import_module

    migration = import_module("yiling.migrations.0004_notice_titles_chinese_dates")
    assert migration.chinese_dates("门禁（限期2026-10-30，处理中）") == "门禁（限期2026年10月30日，处理中）"
    assert migration.chinese_dates("联盟在2026-Q4尚未召开联席会议") == "联盟在2026年第4季度尚未召开联席会议"
    assert migration.chinese_dates("进度通报 2026-W03：甲街道") == "进度通报 2026年第3周：甲街道"
    assert migration.chinese_dates("编号 12026-10-301") == "编号 12026-10-301"
