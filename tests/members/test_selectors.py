"""Reads of the roster: what each selector returns, and query budgets that do not grow with rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from members import selectors, services
from members.models import Category, CheckIn, PostKind
from organizations.models import Role
from tests.organizations.factories import user_with_role

from .factories import make_member

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request loads it: no cached role assignments."""
    return get_user_model().objects.get(pk=user.pk)


def populate(tree, count: int) -> None:
    """``count`` in-service residents of compound A, each reported in, every other one confirmed and
    holding a post; plus a transfer and a floating record for the first."""
    unit = tree["compound_a"].unit
    for i in range(count):
        member = make_member(
            home_organization=tree["compound_a"], residence=unit, category=Category.IN_SERVICE, employer=tree["agency"]
        )
        checkin = services.checkin_submit(member=member, unit=unit)
        if i % 2:
            services.checkin_confirm(checkin=checkin, by=None)
            services.volunteer_post_assign(
                member=member, compound=unit, post=PostKind.values[i % 6], started_on=date(2026, 1, 1)
            )


def test_member_list_carries_report_in_and_post(tree):
    populate(tree, 2)
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    rows = list(selectors.member_list(user=fresh(secretary), unit=tree["compound_a"].unit))
    assert [r.checkin_status for r in rows] == [CheckIn.Status.PENDING, CheckIn.Status.CONFIRMED]
    assert [r.current_post for r in rows] == [None, PostKind.values[1]]
    assert rows[0].checkin_unit_name == tree["compound_a"].unit.name


def test_member_list_filters(tree):
    populate(tree, 2)
    make_member(name="王退休", home_organization=tree["compound_a"], residence=tree["compound_a"].unit)
    staff = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    assert [m.name for m in selectors.member_list(user=fresh(staff), category=Category.RETIRED)] == ["王退休"]
    assert [m.name for m in selectors.member_list(user=fresh(staff), search="退休")] == ["王退休"]
    assert selectors.member_list(user=fresh(staff), unit=tree["comm_a"].unit).count() == 3
    assert selectors.member_list(user=fresh(staff), unit=tree["compound_b"].unit).count() == 0


@pytest.mark.parametrize("count", [3, 9])
def test_member_list_budget(tree, count, django_assert_num_queries):
    populate(tree, count)
    secretary = fresh(user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"]))
    with django_assert_num_queries(2):  # role assignments, the list
        rows = list(selectors.member_list(user=secretary, unit=tree["compound_a"].unit))
        for row in rows:
            str(row.home_organization), str(row.residence), str(row.employer)
    assert len(rows) == count


@pytest.mark.parametrize("count", [3, 9])
def test_pending_and_posts_and_records_budgets(tree, count, django_assert_num_queries):
    populate(tree, count)
    unit = tree["compound_a"].unit
    secretary = fresh(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    member = selectors.member_list(user=secretary).first()
    secretary = fresh(secretary)
    with django_assert_num_queries(2):  # role assignments, the report-ins
        pending = selectors.pending_checkins(user=secretary, unit=tree["comm_a"].unit)
        [(c.member.name, c.member.employer, c.unit.name) for c in pending]
    assert len(pending) == (count + 1) // 2
    with django_assert_num_queries(1):
        board = selectors.post_board(compound=unit)
        [h.member.name for slot in board for h in slot["holders"]]
    assert [slot["post"] for slot in board] == PostKind.values
    with django_assert_num_queries(4):
        selectors.member_records(member=member)


@pytest.mark.parametrize("count", [3, 9])
def test_compound_summaries(tree, count, django_assert_num_queries):
    populate(tree, count)
    secretary = fresh(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    with django_assert_num_queries(2):
        [summary] = selectors.compound_summaries(user=secretary, community=tree["comm_a"].unit)
    assert summary.member_count == count
    assert summary.in_service_count == count
    assert summary.reported_in_count == count // 2
    assert summary.pending_count == (count + 1) // 2
    assert summary.posts_filled == len({i % 6 for i in range(1, count, 2)})
