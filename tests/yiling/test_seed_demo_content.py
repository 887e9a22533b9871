"""What ``manage.py seed_demo`` loads: the district of the case and the demo accounts (seeded once for the module)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from organizations.models import Organization, OrgKind, Role, RoleAssignment, Unit, UnitType
from yiling import demo

from .seeding import DEMO_USERNAMES, FAST_HASHERS, demo_loaded

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the tests that only read the result, rolled back at the end of the module.

    Each test's own transaction nests inside this one as a savepoint, so what a test writes (a
    login, say) is undone after it.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        yield demo_loaded()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db) -> str:
    return _seeded_once


def test_compounds(seeded):
    compounds = Unit.objects.filter(unit_type=UnitType.COMPOUND).select_related("organization")
    assert compounds.count() == 70
    with_branch = [c for c in compounds if c.organization.unit_id == c.pk]
    assert len(with_branch) == 56
    assert all(c.organization.kind == OrgKind.BRANCH for c in with_branch)
    for compound in compounds:
        community_org = Organization.objects.get(unit_id=compound.parent_id)
        assert compound.parent.unit_type == UnitType.COMMUNITY
        if compound.organization.unit_id == compound.pk:
            assert Organization.objects.get_parent(compound.organization) == community_org
        else:
            assert compound.organization == community_org
    names = set(compounds.values_list("name", flat=True))
    assert {"恒大绿洲", "清江润城", "平湖国际", "松湖花园", "楚天明珠", "锦绣星城", "地质花苑"} <= names
    assert Unit.objects.get(name="平湖国际").households == 1275
    assert Unit.objects.get(name="楚天明珠").parent.name == "兴安社区"
    assert Unit.objects.get(name="恒大绿洲").parent.name == "绿洲社区"


def test_case_figures_and_tree(seeded):
    lvzhou = Unit.objects.get(name="绿洲社区")
    assert lvzhou.unit_type == UnitType.COMMUNITY
    assert lvzhou.is_compound_type
    assert (lvzhou.households, lvzhou.residents) == (2717, 8197)
    assert Unit.objects.get(name="润城社区").is_compound_type

    root = Organization.objects.get(code="ORG-YL")
    assert root.depth == 1 and root.name == "中共宜昌市夷陵区委员会" and root.unit.unit_type == UnitType.DISTRICT
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    street = Organization.objects.get(name="小溪塔街道党工委")
    assert street.kind == OrgKind.WORKING_COMMITTEE and Organization.objects.get_parent(street) == root
    assert Unit.objects.filter(unit_type=UnitType.STREET).count() >= 2
    assert Unit.objects.filter(unit_type=UnitType.PARK).count() == 6
    assert Unit.objects.filter(unit_type=UnitType.AGENCY).count() == 67
    # merchants (issue 11): 4 main streets and 8 markets
    assert Unit.objects.filter(unit_type=UnitType.BUSINESS_DISTRICT).count() == 12
    assert Organization.objects.get(name="夷陵电商产业城联合党支部").kind == OrgKind.JOINT_BRANCH
    assert Unit.objects.get(name="区委办公室").organization.name == "区委办公室党支部"
    codes = [*Unit.objects.values_list("code", flat=True), *Organization.objects.values_list("code", flat=True)]
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", code), code


def test_demo_accounts_log_in(seeded):
    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES)
    assert users.count() == len(DEMO_USERNAMES)
    for user in users:
        assert user.check_password(demo.DEMO_PASSWORD)
        assert user.full_name
    assert users.get(username="district").is_staff
    assert not users.get(username="community").is_staff
    assert RoleAssignment.objects.get(user__username="compound").organization.name == "平湖国际小区党支部"
    merchant = RoleAssignment.objects.get(user__username="merchant")
    assert merchant.role == Role.MERCHANT and merchant.unit.parent.name == "长江市场"

    response = Client().post(reverse("login"), {"username": "community", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert "district" in seeded and demo.DEMO_PASSWORD in seeded and "/admin/" in seeded


# --- compound governance and funds (issue 4) ---------------------------------------------------------


def _indicators(*args: str) -> dict:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("indicators", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_governance_figures_of_the_case(seeded):
    figures = _indicators()
    assert (
        figures["compounds"],
        figures["compound_party_organizations"],
        figures["owners_committees"],
        figures["venues"],
    ) == (70, 56, 66, 52)
    assert figures["red_property_companies"] == 7
    assert 0 < figures["cross_appointment_rate"] < 100
    assert 0 < figures["fund_execution_rate"] < 100


def test_governance_figures_of_a_community(seeded):
    from organizations.demo import compound_plan

    xingan = [c for c in compound_plan() if c["community"] == "YL-XXT-XA"]
    figures = _indicators("--scope", "ORG-YL-XXT-XA")
    assert figures["compounds"] == len(xingan) == 10
    assert figures["compound_party_organizations"] == sum(c["has_branch"] for c in xingan) == 8
    assert figures["owners_committees"] == 9  # 供销小区 has none
    assert figures["venues"] == 8


def test_named_compounds_of_the_case(seeded):
    from organizations.models import BranchPosition, BranchPost, FundAllocation, FundSource, OwnersCommittee, Venue

    pinghu = Unit.objects.get(name="平湖国际")
    assert pinghu.households == 1275
    assert pinghu.property_company.is_red
    chutian = Unit.objects.get(name="楚天明珠")
    first = BranchPost.objects.active().get(organization__unit=chutian, position=BranchPosition.FIRST_SECRETARY)
    assert first.member.name == "万波"
    assert first.member.employer.name == "区公安局"
    committee = OwnersCommittee.objects.current().get(compound=chutian)
    assert committee.seats.filter(member__isnull=False).exists()  # 红色业委会
    lvzhou = Unit.objects.get(name="恒大绿洲")
    assert lvzhou.parent.is_compound_type and lvzhou.parent.name == "绿洲社区"
    assert Venue.objects.get(unit=lvzhou).get_kind_display() == "支部与业委会合署办公室"
    share = FundAllocation.objects.get(organization__unit=lvzhou, source=FundSource.PUBLIC_REVENUE)
    assert share.resolution_ref.startswith("恒大绿洲业主大会决议")
    funds = FundAllocation.objects.filter(source=FundSource.ACTIVITY_FUND)
    assert funds.count() == 56
    assert {a.amount for a in funds} == {1000}


def test_latest_activities_are_of_this_year_beside_the_case(seeded):
    from django.utils import timezone

    from organizations.demo_governance import ACTIVITIES, ACTIVITIES_THIS_YEAR
    from organizations.models import Activity

    today = timezone.localdate()
    this_year = Activity.objects.filter(held_on__year=today.year)
    assert this_year.count() == sum(map(len, ACTIVITIES_THIS_YEAR.values())) == 9
    assert not Activity.objects.filter(held_on__gt=today).exists()
    assert Activity.objects.filter(held_on__year=2018).count() == sum(map(len, ACTIVITIES.values())) == 11

    client = Client()
    client.force_login(get_user_model().objects.get(username="compound"))
    page = client.get(reverse("organizations:compound-detail", args=[Unit.objects.get(name="平湖国际").code]))
    found = re.findall(
        r'<tr data-activity="\d+">\s*<td[^>]*>(\d+)年(\d+)月(\d+)日</td>\s*<td[^>]*>([^<]+)', page.content.decode()
    )
    rows = [(date(int(y), int(m), int(d)), title) for y, m, d, title in found]
    # Early in January several fall on the 1st, so their order is not fixed; their set and year are.
    this_years = {"小区议事会：电动车集中充电点选址", "主题党日：重温入党誓词", "楼道杂物清理"}
    assert {title for _held, title in rows[:3]} == this_years
    assert all(held.year == today.year for held, _title in rows[:3])
    assert [held for held, _title in rows] == sorted((held for held, _title in rows), reverse=True)
    assert rows[3] == (date(2018, 9, 6), "消防通道清理")


# --- the dashboards' headline figures (issue 14, "Done when") -----------------------------------------

#: The figures ``indicators --format json`` must hold after ``seed_demo`` on an empty database.
ISSUE_14_FIGURES = {
    "demonstration_business_districts": 5,
    "alliances": 2,
    "compound_party_organizations": 56,
    "owners_committees": 66,
    "venues": 52,
    "enterprise_branches": 38,
    "enterprise_branch_members": 491,
    "merchants_displaying": 358,
    "agencies": 67,
    "compounds": 70,
    "demonstration_sites": 15,
    "large_enterprises_with_instructor": 44,
    "alliance_member_enterprises": 22,
}


def test_the_issue_14_headline_figures_after_seed_demo(seeded):
    figures = _indicators()
    assert {name: figures.get(name) for name in ISSUE_14_FIGURES} == ISSUE_14_FIGURES
