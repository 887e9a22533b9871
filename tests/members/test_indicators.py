"""The members figures, for the whole district and for any subtree."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from members import indicators, services
from members.models import Category, PostKind

from .factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(tree):
    unit_a = tree["compound_a"].unit
    workers = [
        make_member(
            home_organization=tree["root"], residence=unit_a, category=Category.IN_SERVICE, employer=tree["agency"]
        )
        for _ in range(3)
    ]
    for member in workers[:2]:
        checkin = services.checkin_submit(member=member, unit=unit_a)
        services.checkin_confirm(checkin=checkin, by=None)
    services.volunteer_post_assign(
        member=workers[0], compound=unit_a, post=PostKind.SAFETY, started_on=date(2026, 1, 1)
    )
    retired = make_member(home_organization=tree["compound_b"], residence=tree["compound_b"].unit)
    services.volunteer_post_assign(
        member=retired, compound=tree["compound_b"].unit, post=PostKind.PATROL, started_on=date(2026, 1, 1)
    )
    away = make_member(home_organization=tree["comm_c"], category=Category.FLOATING)
    services.floating_record_open(
        member=away, direction="outgoing", place="深圳", reason="务工", started_on=date(2025, 1, 1)
    )
    return tree


def test_district_figures(roster):
    assert indicators.members(None) == 5
    assert indicators.members_by_category(None) == {"in_service": 3, "retired": 1, "floating": 1, "other": 0}
    assert indicators.in_service_reported_in(None) == 2
    assert indicators.volunteer_posts_filled(None) == 2
    assert indicators.floating_members(None) == 1


def test_subtree_figures(roster):
    comm_a = roster["comm_a"]
    assert indicators.members(comm_a) == 3
    assert indicators.in_service_reported_in(comm_a) == 2
    assert indicators.volunteer_posts_filled(comm_a) == 1
    assert indicators.floating_members(comm_a) == 0
    assert indicators.floating_members(roster["street_b"]) == 1
    assert indicators.members_by_category(roster["comm_b"])["retired"] == 1


def test_the_indicators_command_prints_them(roster):
    out = StringIO()
    call_command("indicators", "--format", "json", "--scope", roster["comm_a"].code, stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["members"] == 3
    assert figures["in_service_reported_in"] == 2
    assert figures["members_by_category"]["in_service"] == 3


def test_home_page_shows_the_breakdown_by_category(roster, client):
    from organizations.models import Role
    from tests.organizations.factories import user_with_role

    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=roster["comm_a"]))
    page = client.get("/").content.decode()
    assert "在职党员：3，退休党员：0，流动党员：0，其他：0" in page


def test_in_service_reported_in_counts_confirmed_in_service_members_once(tree):
    unit_a, unit_b = tree["compound_a"].unit, tree["compound_b"].unit

    def worker(residence):
        return make_member(
            home_organization=tree["root"], residence=residence, category=Category.IN_SERVICE, employer=tree["agency"]
        )

    def confirmed(member, unit):
        services.checkin_confirm(checkin=services.checkin_submit(member=member, unit=unit), by=None)

    for member in (worker(unit_a), worker(unit_a)):
        confirmed(member, unit_a)
    confirmed(worker(unit_b), unit_b)
    confirmed(worker(unit_a), tree["comm_a"].unit)  # to the community the compound belongs to
    again = worker(unit_a)  # returned once, then confirmed: counted once
    services.checkin_return(checkin=services.checkin_submit(member=again, unit=unit_a), by=None, reason="信息不全")
    confirmed(again, unit_a)
    # Left out: a pending and a returned report-in, a member who never reported in, and one who has
    # retired since reporting in.
    services.checkin_submit(member=worker(unit_a), unit=unit_a)
    returned = worker(unit_a)
    services.checkin_return(checkin=services.checkin_submit(member=returned, unit=unit_a), by=None, reason="不符")
    worker(unit_a)
    retired = worker(unit_a)
    confirmed(retired, unit_a)
    services.member_update(member=retired, category=Category.RETIRED)

    figure = indicators.in_service_reported_in
    assert figure(None) == 5
    assert figure(tree["comm_a"]) == 4
    assert figure(tree["compound_a"]) == 4  # where they live counts, not where they reported in
    assert figure(tree["comm_b"]) == 1
    assert figure(tree["street_b"]) == 0
