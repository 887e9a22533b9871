"""The liaisons notice rules: who hears of an overdue or unconfirmed problem, in which period, once, and
not when it is no longer due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaisons import services
from liaisons.models import State
from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry
from yiling.notices import services as notice_services
from yiling.notices.models import Notice

from .factories import long_ago, raise_demand

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def run(name: str, as_of: date):
    return notice_services.run_rule(registry.get_rule(name), as_of=as_of)


def recipients(rule: str) -> set[int]:
    return set(Notice.objects.filter(rule=rule).values_list("recipient_id", flat=True))


def test_the_liaisons_rules_are_registered_as_problem_reminders():
    rules = {rule.name: rule for rule in registry.rules()}
    assert rules["liaisons.problems_overdue"].kind == "problems"
    assert rules["liaisons.problems_to_confirm"].kind == "problems"


def test_an_overdue_problem_reaches_the_paired_agency_contact_and_the_compound_secretary_once(world):
    users = world["users"]
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS, due_on=TODAY - timedelta(days=1))
    # Not yet due on its due date.
    assert run("liaisons.problems_overdue", TODAY - timedelta(days=1)).created == 0
    assert run("liaisons.problems_overdue", TODAY).created == 2
    assert recipients("liaisons.problems_overdue") == {users["contact"].pk, users["compound_secretary"].pk}
    assert Notice.objects.filter(period=f"{demand.due_on}:overdue").count() == 2
    notice = Notice.objects.filter(recipient=users["contact"]).get()
    assert notice.url == demand.get_absolute_url() and "单元门禁损坏" in notice.title
    # Not sent twice, whatever the day of the next run.
    second = run("liaisons.problems_overdue", TODAY + timedelta(days=3))
    assert (second.created, second.duplicates_skipped) == (0, 2)


def test_a_compound_covered_by_its_community_reaches_the_community_secretary_and_its_agency(world):
    from organizations.models import Role
    from tests.organizations.factories import user_with_role

    other = world["users"]["other_contact"]
    comm_b = user_with_role(Role.COMMUNITY_SECRETARY, organization=world["comm_b"], password=None)
    raise_demand(world["bare_b"], due_on=long_ago(2))
    assert run("liaisons.problems_overdue", TODAY).created == 2
    assert recipients("liaisons.problems_overdue") == {other.pk, comm_b.pk}


def test_an_ended_pairing_no_longer_brings_the_agency_contact(world):
    # 乙小区's only pairing ended 30 days ago: its secretary hears, agency B's contact does not.
    raise_demand(world["compound_b_unit"], raised_on=long_ago(60), due_on=long_ago(50))
    assert run("liaisons.problems_overdue", TODAY).created == 1
    assert recipients("liaisons.problems_overdue") == {world["users"]["other_secretary"].pk}


def test_an_overdue_reminder_is_no_longer_due_once_resolved_or_moved(world):
    rule = registry.get_rule("liaisons.problems_overdue")
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS, due_on=long_ago(2))
    period = f"{demand.due_on}:overdue"
    assert rule.still_due(f"demand:{demand.pk}", period, TODAY)
    services.demand_move(demand=demand, to_state=State.RESOLVED, note="已修好")
    assert not rule.still_due(f"demand:{demand.pk}", period, TODAY)
    assert run("liaisons.problems_overdue", TODAY).created == 0

    moved = raise_demand(world["compound_a_unit"], title="路灯不亮", due_on=long_ago(2))
    assert run("liaisons.problems_overdue", TODAY).created == 2
    type(moved).objects.filter(pk=moved.pk).update(due_on=TODAY + timedelta(days=10))
    assert not rule.still_due(f"demand:{moved.pk}", f"{long_ago(2)}:overdue", TODAY)
    # The new due date passed: a new reminder, once.
    assert run("liaisons.problems_overdue", TODAY + timedelta(days=11)).created == 2
    assert run("liaisons.problems_overdue", TODAY + timedelta(days=12)).created == 0


def test_a_resolved_problem_waits_a_week_then_reaches_only_the_compound_side(world):
    users = world["users"]
    demand = raise_demand(world["compound_a_unit"], state=State.RESOLVED, due_on=None)
    assert demand.resolved_on == TODAY
    assert run("liaisons.problems_to_confirm", TODAY + timedelta(days=6)).created == 0
    assert run("liaisons.problems_to_confirm", TODAY + timedelta(days=7)).created == 1
    assert recipients("liaisons.problems_to_confirm") == {users["compound_secretary"].pk}
    assert run("liaisons.problems_to_confirm", TODAY + timedelta(days=9)).created == 0
    rule = registry.get_rule("liaisons.problems_to_confirm")
    period = f"{demand.resolved_on}:confirm"
    assert rule.still_due(f"demand:{demand.pk}", period, TODAY)
    services.demand_move(demand=demand, to_state=State.CONFIRMED, by=users["compound_secretary"])
    assert not rule.still_due(f"demand:{demand.pk}", period, TODAY)


@pytest.mark.parametrize("name", ["liaisons.problems_overdue", "liaisons.problems_to_confirm"])
def test_a_rule_reads_in_queries_that_do_not_grow_with_the_problems(world, name):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            drafts = list(registry.get_rule(name).collect(TODAY + timedelta(days=8)))
        assert drafts
        return len(ctx.captured_queries)

    for title in ("甲", "乙"):
        raise_demand(world["compound_a_unit"], title=title, state=State.RESOLVED, due_on=long_ago(2))
        raise_demand(world["compound_a_unit"], title=f"{title}逾期", due_on=long_ago(2))
    few = count()
    for n in range(5):
        raise_demand(world["compound_a_unit"], title=f"多{n}", state=State.RESOLVED, due_on=long_ago(2))
        raise_demand(world["bare_b"], title=f"多逾期{n}", due_on=long_ago(2))
    assert count() == few
