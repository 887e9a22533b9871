"""Reads of compound governance: the figures per compound, the scoping, and fixed query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from organizations import selectors, services
from organizations.models import BranchPosition, CommitteePosition, FundSource, Role, UnitType, VenueKind
from tests.members.factories import make_member

from .factories import make_org, user_with_role

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def govern(branch, *, seats: int = 3, expenses: int = 2, synchronized: bool = True):
    """Give a compound branch a term, posts, a committee with seats (the secretary cross-appointed),
    a venue, its activity fund and some expenses."""
    compound = branch.unit
    secretary = make_member(home_organization=branch, residence=compound)
    services.branch_post_appoint(
        organization=branch, member=secretary, position=BranchPosition.SECRETARY, started_on=date(2021, 5, 1)
    )
    services.branch_term_record(organization=branch, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1))
    committee = services.owners_committee_record(
        compound=compound,
        elected_on=date(2021, 5, 1),
        term_ends_on=date(2026, 5, 1) if synchronized else date(2027, 9, 1),
    )
    services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, member=secretary)
    for i in range(seats - 1):
        services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, name=f"业主{i}")
    services.venue_create(unit=compound, name="党员活动室", kind=VenueKind.ACTIVITY_ROOM)
    fund = services.fund_allocation_create(
        organization=branch,
        year=YEAR,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("1000"),
        granted_on=date(YEAR, 1, 1),
    )
    for i in range(expenses):
        services.expense_record(
            allocation=fund, amount=Decimal("100"), spent_on=date(YEAR, 1, 1), purpose=f"支出{i}", receipt_number=str(i)
        )
    return compound


def add_compounds(community_org, n: int, **kwargs):
    return [
        govern(make_org(community_org, unit_type=UnitType.COMPOUND, unit_parent=community_org.unit), **kwargs)
        for _ in range(n)
    ]


def test_compound_figures(tree):
    compound = govern(tree["compound_a"], seats=4, expenses=3)
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    rows = {c.pk: c for c in selectors.compound_list(user=district, year=YEAR)}
    row = rows[compound.pk]
    assert row.has_party_organization and row.has_owners_committee and row.dual_established
    assert (row.seat_count, row.cross_count, row.cross_rate) == (4, 1, Decimal("25.0"))
    assert row.terms_synchronized is True
    assert row.venue_count == 1
    assert (row.allocated, row.spent, row.balance, row.execution_rate) == (
        Decimal("1000"),
        Decimal("300"),
        Decimal("700"),
        Decimal("30.0"),
    )
    bare = rows[tree["bare_b"].pk]
    assert not bare.has_party_organization and not bare.has_owners_committee
    assert bare.terms_synchronized is None and bare.execution_rate is None


def test_terms_out_of_step(tree):
    compound = govern(tree["compound_a"], synchronized=False)
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    assert selectors.compound_get(user=district, code=compound.code, year=YEAR).terms_synchronized is False


def test_compound_list_is_scoped(tree):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"])
    names = {c.name for c in selectors.compound_list(user=secretary, year=YEAR)}
    assert names == {tree["compound_b"].unit.name, tree["bare_b"].name}
    agency = user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])
    assert selectors.compound_list(user=agency, year=YEAR) == []


def test_acting_needs_an_organization_role(tree):
    from django.http import Http404

    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    assert selectors.manageable_compound(user=secretary, code=tree["compound_a"].unit.code)
    with pytest.raises(Http404):
        selectors.manageable_compound(user=secretary, code=tree["compound_b"].unit.code)
    agency = user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])
    with pytest.raises(Http404):
        selectors.manageable_compound(user=agency, code=tree["compound_a"].unit.code)


def test_compound_records_mark_cross_appointments(tree):
    compound = govern(tree["compound_a"], seats=3)
    records = selectors.compound_records(compound=compound, year=YEAR)
    assert [p.cross_appointed for p in records.branch_posts] == [True]
    assert sorted(s.cross_appointed for s in records.seats) == [False, False, True]
    assert [(a.amount, a.spent, a.balance) for a in records.allocations] == [
        (Decimal("1000.00"), Decimal("200.00"), Decimal("800.00"))
    ]
    assert len(records.expenses) == 2


def test_fund_execution_by_street_and_compound(tree):
    add_compounds(tree["comm_a"], 2, expenses=1)
    add_compounds(tree["comm_c"], 1, expenses=4)
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    execution = selectors.fund_execution(user=district, year=YEAR)
    by_street = {row.label: (row.compounds, row.allocated, row.spent, row.rate) for row in execution.streets}
    assert by_street == {
        "甲街道党工委·单位": (4, Decimal("2000"), Decimal("200"), Decimal("10.0")),
        "乙街道党工委·单位": (1, Decimal("1000"), Decimal("400"), Decimal("40.0")),
    }
    assert (execution.total.allocated, execution.total.spent) == (Decimal("3000"), Decimal("600"))
    street_staff = user_with_role(Role.STREET_STAFF, organization=tree["street_b"])
    assert [r.street for r in selectors.fund_execution(user=street_staff, year=YEAR).compounds] == ["乙街道党工委·单位"]


@pytest.mark.parametrize("reader", ["list", "execution"])
def test_list_queries_do_not_grow_with_compounds(tree, django_assert_num_queries, reader):
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])

    def read():
        if reader == "list":
            return selectors.compound_list(user=district, year=YEAR)
        return selectors.fund_execution(user=district, year=YEAR).compounds

    add_compounds(tree["comm_a"], 2)
    with django_assert_num_queries(2) as small:  # the user's roles, the rows
        few = len(read())
    add_compounds(tree["comm_c"], 6, seats=5, expenses=4)
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(read()) > few


def test_compound_records_queries_do_not_grow(tree, django_assert_num_queries):
    small = govern(tree["compound_a"], seats=2, expenses=1)
    big = govern(tree["compound_b"], seats=6, expenses=9)
    with django_assert_num_queries(8) as first:
        selectors.compound_records(compound=small, year=YEAR)
    with django_assert_num_queries(len(first.captured_queries)):
        records = selectors.compound_records(compound=big, year=YEAR)
    assert len(records.seats) == 6 and len(records.expenses) == 9


def test_compound_type_communities(tree):
    services.unit_update(unit=tree["comm_c"].unit, is_compound_type=True)
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    assert [u.name for u in selectors.compound_type_communities(user=district)] == ["丙社区党委·单位"]


def test_expired_terms_are_flagged(tree):
    compound = tree["compound_a"].unit
    services.owners_committee_record(compound=compound, elected_on=date(2015, 5, 1), term_ends_on=date(2020, 5, 1))
    services.branch_term_record(
        organization=tree["compound_a"], elected_on=date(2023, 5, 1), term_ends_on=date(2099, 5, 1)
    )
    row = selectors.compound_get(
        user=user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]), code=compound.code, year=YEAR
    )
    assert row.committee_term_expired is True
    assert row.branch_term_expired is False


def test_branch_posts_ordered_by_rank(tree):
    branch = tree["compound_a"]
    for position in (BranchPosition.COMMITTEE_MEMBER, BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY):
        services.branch_post_appoint(
            organization=branch,
            member=make_member(home_organization=branch),
            position=position,
            started_on=date(2022, 1, 1),
        )
    records = selectors.compound_records(compound=branch.unit, year=YEAR)
    assert [p.position for p in records.branch_posts] == ["secretary", "deputy_secretary", "committee_member"]


def test_cross_appointment_rate_over_compounds_with_a_branch(tree):
    govern(tree["compound_a"], seats=4)  # 1 of 4 seats cross-appointed
    govern(tree["compound_b"], seats=2)  # 1 of 2
    committee = services.owners_committee_record(
        compound=tree["bare_b"], elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1)
    )
    services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, name="无支部小区业主")
    assert selectors.cross_appointment_rate(selectors.compounds_within(None)) == Decimal("33.3")
    assert selectors.cross_appointment_rate(selectors.compounds_within(tree["comm_b"])) == Decimal("50.0")
