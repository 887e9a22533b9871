"""Reads of the alliances app: who sees what, and query budgets that do not grow with rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alliances import selectors, services
from alliances.models import FormationMode
from organizations.models import Role, UnitType
from tests.organizations.factories import make_org, user_with_role

from .factories import make_alliance, make_enterprise, park_secretary

pytestmark = pytest.mark.django_db
DAY = date(2025, 3, 1)


def test_park_secretary_sees_only_the_park_alliances(tree):
    ours = make_alliance(tree)
    other = services.alliance_create(
        code="OTHER", name="外园联盟", park=tree["other_park"].unit, committee=tree["other_park"], formed_on=DAY
    )
    services.membership_add(alliance=other, branch=tree["other_branch"], joined_on=DAY)
    secretary = park_secretary(tree)
    assert list(selectors.alliances_for(secretary)) == [ours]
    assert selectors.alliances_for(secretary)[0].member_count == 4
    street = user_with_role(Role.STREET_STAFF, organization=tree["street"])
    assert not selectors.alliances_for(street).exists()
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    assert set(selectors.alliances_for(district)) == {ours, other}
    services.joint_meeting_record(alliance=other, held_on=DAY, host=tree["other_branch"], topic="外园会议")
    assert not selectors.meetings_for(secretary).filter(alliance=other).exists()


def test_instructor_coverage_and_overdue_visits(tree):
    today = date(2025, 6, 30)
    firms = []
    for i in range(3):
        unit = make_enterprise(tree, name=f"规上企业{i}")
        services.enterprise_profile_save(unit=unit, is_large_scale=True, staff=500)
        firms.append(unit)
    visited = services.instructor_assign(enterprise=firms[0], instructor_name="甲", started_on=date(2025, 1, 1))
    services.instructor_visit_log(assignment=visited, visited_on=date(2025, 6, 1), summary="走访")
    services.instructor_assign(enterprise=firms[1], instructor_name="乙", started_on=date(2025, 1, 1))
    rows = selectors.coverage_rows(selectors.instructor_coverage(park_secretary(tree), today=today), today=today)
    by = {r["profile"].unit: r for r in rows}
    assert (by[firms[0]]["instructor"], by[firms[0]]["overdue"]) == ("甲", False)
    assert (by[firms[1]]["has_instructor"], by[firms[1]]["overdue"]) == (True, True)
    assert by[firms[2]]["has_instructor"] is False


def test_enterprises_with_members_but_no_organization(tree):
    bare = make_enterprise(tree, name="无组织企业")
    services.enterprise_profile_save(unit=bare, party_members=2)
    own = tree["branches"][0]
    services.enterprise_profile_save(
        unit=own.unit, party_members=9, formation_mode=FormationMode.STANDALONE, branch=own
    )
    secretary = park_secretary(tree)
    assert [p.unit for p in selectors.enterprises_for(secretary, without_organization=True)] == [bare]


def _grow(tree, n):
    for _ in range(n):
        branch = make_org(tree["park"], unit_type=UnitType.ENTERPRISE, unit_parent=tree["park"].unit)
        alliance = make_alliance({"park": tree["park"], "branches": [branch]})
        services.joint_meeting_record(alliance=alliance, held_on=DAY, host=branch, topic="会议")
        services.joint_activity_plan(alliance=alliance, year=2025, title="观摩", kind="observation", planned_on=DAY)
        unit = branch.unit
        services.enterprise_profile_save(unit=unit, is_large_scale=True)
        a = services.instructor_assign(enterprise=unit, instructor_name="丙", started_on=DAY)
        services.instructor_visit_log(assignment=a, visited_on=DAY + timedelta(days=1), summary="走访")


@pytest.mark.parametrize(
    "read",
    [
        lambda u: list(selectors.alliances_for(u)),
        lambda u: list(selectors.meetings_for(u, unminuted=True)),
        lambda u: selectors.coverage_rows(selectors.instructor_coverage(u, today=DAY), today=DAY),
        lambda u: selectors.calendar_for(u, start=DAY, end=DAY + timedelta(days=30)),
        lambda u: selectors.next_hosts_for(list(selectors.alliances_for(u))),
        lambda u: list(selectors.enterprises_for(u)),
    ],
    ids=["alliances", "meetings", "coverage", "calendar", "next_hosts", "enterprises"],
)
def test_selector_queries_do_not_grow(tree, read, django_assert_num_queries, django_assert_max_num_queries):
    _grow(tree, 1)
    secretary = park_secretary(tree)
    with django_assert_max_num_queries(5) as small:  # the user's roles, then one query per kind of row
        few = read(secretary)
    budget = len(small.captured_queries)
    _grow(tree, 4)
    secretary = park_secretary(tree)
    with django_assert_num_queries(budget):
        many = read(secretary)
    assert len(many) > len(few)


def test_upcoming_hosts_queries_do_not_grow(tree, django_assert_num_queries):
    small = make_alliance(tree, members=1)
    big = make_alliance(tree)
    with django_assert_num_queries(3):
        selectors.upcoming_hosts(small, 5)
    with django_assert_num_queries(3):
        assert len(selectors.upcoming_hosts(big, 5)) == 5
