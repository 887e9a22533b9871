"""The secretaries' compound pages: who sees and acts where, what each action writes, refusals,
receipts, the fund-execution export and the query budgets."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from members.models import Category
from organizations import services
from organizations.models import (
    Activity,
    ActivityKind,
    BranchPosition,
    BranchPost,
    CommitteePosition,
    CommitteeSeat,
    Expense,
    FundAllocation,
    FundSource,
    OrgKind,
    OwnersCommittee,
    Role,
    UnitType,
    Venue,
    VenueKind,
)
from tests.members.factories import make_member

from .factories import make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


# --- helpers --------------------------------------------------------------------------------------


def body(response) -> str:
    return html.unescape(response.content.decode())


def zh(msgid: str, **params) -> str:
    """A message as the portal shows it (in the site language, whatever the catalogue holds)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
    return text % {k: str(v) for k, v in params.items()} if params else text


def label(choice) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


def rows(response) -> list[str]:
    """The compound codes listed, top to bottom (rows carry data-unit)."""
    return re.findall(r'<tr data-unit="([^"]+)"', response.content.decode())


def row_text(response, code: str) -> str:
    match = re.search(rf'<tr data-unit="{re.escape(code)}">(.*?)</tr>', response.content.decode(), re.S)
    assert match, f"no row for {code}"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def section(response, name: str) -> str:
    """The visible text of one section of the compound page."""
    match = re.search(rf'<section id="{name}"[^>]*>(.*?)</section>', response.content.decode(), re.S)
    assert match, f"no section {name}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def messages_of(response) -> list[str]:
    return [
        html.unescape(m) for m in re.findall(r'<li class="(?:error|success)">([^<]*)</li>', response.content.decode())
    ]


def detail_url(compound) -> str:
    return reverse("organizations:compound-detail", args=[compound.code])


def action_url(name: str, compound) -> str:
    return reverse(f"organizations:{name}", args=[compound.code])


def today() -> date:
    return timezone.localdate()


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def units(tree):
    return {"compound_a": tree["compound_a"].unit, "compound_b": tree["compound_b"].unit, "bare_b": tree["bare_b"]}


@pytest.fixture
def funds(tree):
    """This year's activity fund (1,000 yuan) for each compound branch."""
    services.allocations_grant(year=today().year, granted_on=today().replace(month=1, day=1))
    return {
        name: FundAllocation.objects.get(organization=tree[name], year=today().year, source=FundSource.ACTIVITY_FUND)
        for name in ("compound_a", "compound_b")
    }


@pytest.fixture
def community_secretary(tree):
    return user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])


@pytest.fixture
def compound_secretary(tree):
    return user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])


@pytest.fixture
def street_staff(tree):
    return user_with_role(Role.STREET_STAFF, organization=tree["street_a"])


@pytest.fixture
def agency_contact(tree):
    return user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])


@pytest.fixture
def secretary_client(client, community_secretary):
    client.force_login(community_secretary)
    return client


def committee_for(compound, *, elected_on=date(2023, 5, 1), term_ends_on=date(2028, 5, 1)):
    return services.owners_committee_record(compound=compound, elected_on=elected_on, term_ends_on=term_ends_on)


# --- the list ---------------------------------------------------------------------------------------


def test_each_user_lists_the_compounds_of_their_part_of_the_tree(
    tree, units, client, community_secretary, compound_secretary, street_staff, agency_contact
):
    url = reverse("organizations:compound-list")
    expected = {
        community_secretary: [units["compound_a"].code],
        compound_secretary: [units["compound_a"].code],
        street_staff: sorted([units["compound_a"].code, units["compound_b"].code, units["bare_b"].code]),
        agency_contact: [],
    }
    for user, codes in expected.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert sorted(rows(response)) == codes
    assert "暂无小区。" in body(response)


def test_district_staff_filter_by_community_and_search(tree, units, client):
    client.force_login(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))
    url = reverse("organizations:compound-list")

    assert sorted(rows(client.get(url))) == sorted(u.code for u in units.values())
    by_community = client.get(url, {"community": tree["comm_b"].unit.code})
    assert sorted(rows(by_community)) == sorted([units["compound_b"].code, units["bare_b"].code])
    assert rows(client.get(url, {"q": "无支部"})) == [units["bare_b"].code]


def test_the_list_shows_governance_and_money_by_street_and_community(tree, units, funds, street_staff, client):
    compound = units["compound_a"]
    company = services.property_company_create(code="PC-1", name="红星物业", is_red=True)
    services.unit_update(unit=compound, property_company=company)
    services.unit_update(unit=tree["comm_a"].unit, is_compound_type=True)
    services.branch_term_record(
        organization=tree["compound_a"], elected_on=date(2023, 5, 10), term_ends_on=date(2028, 5, 20)
    )
    committee = committee_for(compound)
    both = make_member(name="双职", home_organization=tree["compound_a"], residence=compound)
    services.branch_post_appoint(
        organization=tree["compound_a"], member=both, position=BranchPosition.SECRETARY, started_on=date(2023, 5, 10)
    )
    services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, member=both)
    services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, name="业主甲")
    services.venue_create(unit=compound, name="党群活动室", kind=VenueKind.ACTIVITY_ROOM)
    services.expense_record(
        allocation=funds["compound_a"],
        amount=Decimal("250.00"),
        spent_on=today(),
        purpose="学习资料",
        receipt_number="R1",
    )
    client.force_login(street_staff)

    response = client.get(reverse("organizations:compound-list"))

    text = body(response)
    row = " ".join(row_text(response, compound.code).split())
    assert "双组建 ✓" in row
    assert "✓ 甲小区党支部" in row
    assert "红星物业 红色物业" in row
    assert "1 / 2 (50.0%)" in row
    assert "是" in row  # terms synchronized: both end in May 2028
    assert "1,000.00 元 / 250.00 元 / 750.00 元" in row
    bare = " ".join(row_text(response, units["bare_b"].code).split())
    assert "尚未建立" in bare and "未知" in bare
    # Grouped by street, then community; the compound-type community is marked.
    assert re.search(
        r"<h2>甲街道党工委·单位</h2>\s*<h3[^>]*>甲社区党委·单位 <span class=\"tag\">小区型社区</span>", text
    )
    assert "乙社区党委·单位</h3>" in text
    totals = dict(re.findall(r'<dd data-total="(\w+)">([^<]*)</dd>', response.content.decode()))
    assert totals == {
        "compounds": "3",
        "with_branch": "2",
        "with_committee": "1",
        "dual": "1",
        "venues": "1",
        "balance": "1,750.00 元",
    }


def add_compounds(tree, count: int, *, start: int = 0) -> None:
    """``count`` compounds in community A, each with a branch, a committee with a seat, a venue and an expense."""
    year = today().year
    for i in range(start, start + count):
        org = make_org(
            tree["comm_a"], name=f"增补小区{i:03d}党支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_a"].unit
        )
        committee = committee_for(org.unit)
        services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, name=f"业主{i}")
        services.venue_create(unit=org.unit, name="活动室", kind=VenueKind.ACTIVITY_ROOM)
        allocation = services.fund_allocation_create(
            organization=org, year=year, source=FundSource.ACTIVITY_FUND, amount=Decimal("1000"), granted_on=today()
        )
        services.expense_record(
            allocation=allocation, amount=Decimal("10"), spent_on=today(), purpose="茶水", receipt_number=f"N{i}"
        )


def test_list_query_budget(tree, secretary_client, django_assert_num_queries):
    url = reverse("organizations:compound-list")
    add_compounds(tree, 2)
    # session, user, assignments, compounds, communities, compound-type communities (none here, so
    # no query for the compounds they are formed around)
    with django_assert_num_queries(6):
        small = secretary_client.get(url)
    add_compounds(tree, 4, start=2)
    with django_assert_num_queries(6):
        large = secretary_client.get(url)
    assert len(rows(small)) == 3 and len(rows(large)) == 7


# --- the compound page: who sees it, who acts --------------------------------------------------------


def test_community_secretary_opens_own_compounds_not_anothers(units, secretary_client):
    response = secretary_client.get(detail_url(units["compound_a"]))
    assert response.status_code == 200
    assert "<h1>甲小区党支部·单位</h1>" in response.content.decode()
    assert 'action="/organizations/compounds/' in response.content.decode()
    assert secretary_client.get(detail_url(units["compound_b"])).status_code == 404
    assert secretary_client.get(detail_url(units["bare_b"])).status_code == 404


def test_compound_secretary_sees_only_their_compound(units, compound_secretary, client):
    client.force_login(compound_secretary)
    assert client.get(detail_url(units["compound_a"])).status_code == 200
    assert client.get(detail_url(units["compound_b"])).status_code == 404


def test_posting_to_another_communitys_compound_is_not_found_and_writes_nothing(units, funds, secretary_client):
    compound = units["compound_b"]
    attempts = {
        "committee-record": {"elected_on": "2024-01-01", "term_ends_on": "2029-01-01"},
        "venue-add": {"name": "活动室", "kind": VenueKind.ACTIVITY_ROOM},
        "activity-record": {"kind": ActivityKind.STUDY, "title": "学习", "held_on": today(), "attendance": 5},
        "expense-record": {
            "allocation": funds["compound_b"].pk,
            "amount": "10",
            "spent_on": today(),
            "purpose": "茶水",
            "receipt_number": "1",
        },
        "seat-add": {"position": CommitteePosition.MEMBER, "name": "业主"},
        "first-secretary-appoint": {"id_number": "420506198005170011", "name": "某人", "started_on": today()},
    }
    for name, data in attempts.items():
        assert secretary_client.post(action_url(name, compound), data).status_code == 404, name
    assert not OwnersCommittee.objects.exists()
    assert not Venue.objects.exists() and not Activity.objects.exists() and not Expense.objects.exists()


def test_agency_contact_acts_on_no_compound(units, agency_contact, client):
    client.force_login(agency_contact)
    compound = units["compound_a"]
    assert client.get(detail_url(compound)).status_code == 404
    response = client.post(
        action_url("activity-record", compound),
        {"kind": ActivityKind.STUDY, "title": "学习", "held_on": today(), "attendance": 5},
    )
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_page_of_a_compound_without_its_own_branch(units, street_staff, client):
    client.force_login(street_staff)
    response = client.get(detail_url(units["bare_b"]))
    assert response.status_code == 200
    assert "尚未建立党组织" in section(response, "branch")
    assert "尚未建立党组织" in section(response, "money")
    page = response.content.decode()
    assert action_url("expense-record", units["bare_b"]) not in page
    assert action_url("first-secretary-appoint", units["bare_b"]) not in page
    # The branch does not exist, but activities, venues and the committee can be recorded.
    assert action_url("activity-record", units["bare_b"]) in page
    assert action_url("committee-record", units["bare_b"]) in page


def test_the_page_shows_branch_committee_and_money(tree, units, funds, secretary_client):
    compound = units["compound_a"]
    services.unit_update(unit=tree["comm_a"].unit, is_compound_type=True)
    services.branch_term_record(
        organization=tree["compound_a"], elected_on=date(2023, 5, 10), term_ends_on=date(2028, 6, 1)
    )
    sent = make_member(
        name="派驻者",
        home_organization=tree["comm_c"],
        residence=tree["comm_c"].unit,
        category=Category.IN_SERVICE,
        employer=tree["agency"],
    )
    both = make_member(name="双职", home_organization=tree["compound_a"], residence=compound)
    services.branch_post_appoint(
        organization=tree["compound_a"],
        member=sent,
        position=BranchPosition.FIRST_SECRETARY,
        started_on=date(2024, 3, 1),
    )
    services.branch_post_appoint(
        organization=tree["compound_a"], member=both, position=BranchPosition.SECRETARY, started_on=date(2023, 5, 10)
    )
    old = committee_for(compound, elected_on=date(2018, 5, 1), term_ends_on=date(2023, 5, 1))
    assert old.is_current
    committee = committee_for(compound, elected_on=date(2023, 5, 1), term_ends_on=date(2028, 5, 1))
    services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, member=both)
    services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, name="业主乙")
    services.fund_allocation_create(
        organization=tree["compound_a"],
        year=today().year,
        source=FundSource.PUBLIC_REVENUE,
        amount=Decimal("500"),
        granted_on=today(),
        resolution_ref="业主大会决议〔2026〕1号",
    )
    services.expense_record(
        allocation=funds["compound_a"],
        amount=Decimal("120.50"),
        spent_on=today(),
        purpose="横幅",
        receipt_number="FP-9",
    )

    response = secretary_client.get(detail_url(compound))

    assert "小区型社区" in re.search(r'<p class="path">(.*?)</p>', response.content.decode(), re.S).group(1)
    branch = section(response, "branch")
    assert f"{label(BranchPosition.FIRST_SECRETARY)} 派驻者 2024年3月1日 区委办公室" in branch
    assert f"{label(BranchPosition.SECRETARY)} 双职 交叉任职" in branch
    assert "2023年5月10日 – 2028年6月1日" in branch
    committee_text = section(response, "committee")
    assert "2023年5月1日 – 2028年5月1日" in committee_text
    assert "1 / 2 (50.0%)" in committee_text
    assert "双职 交叉任职" in committee_text and "业主乙" in committee_text
    assert "2018年5月1日 – 2023年5月1日" in committee_text  # the previous term
    assert "同步改选：否" in committee_text
    money = section(response, "money")
    assert "业主大会决议〔2026〕1号" in money
    assert "1,500.00 元" in money and "120.50 元" in money and "1,379.50 元" in money
    assert "横幅" in money and "FP-9" in money
    # The expense form names each allocation with its balance.
    assert re.search(rf'<option value="{funds["compound_a"].pk}">[^<]*879\.50', response.content.decode())


# --- actions --------------------------------------------------------------------------------------


def test_record_a_committee_term_makes_it_current(units, secretary_client):
    compound = units["compound_a"]
    old = committee_for(compound, elected_on=date(2018, 5, 1), term_ends_on=date(2023, 5, 1))

    response = secretary_client.post(
        action_url("committee-record", compound),
        {"elected_on": "2023-05-02", "term_ends_on": "2028-05-02", "notes": "第三届"},
    )

    assert response.status_code == 302 and response.url == detail_url(compound)
    current = OwnersCommittee.objects.get(compound=compound, is_current=True)
    assert (current.elected_on, current.term_ends_on, current.notes) == (date(2023, 5, 2), date(2028, 5, 2), "第三届")
    old.refresh_from_db()
    assert not old.is_current
    assert "业委会" in messages_of(secretary_client.get(response.url))[0]


def test_committee_term_refusal_names_the_field_and_writes_nothing(units, secretary_client):
    compound = units["compound_a"]
    response = secretary_client.post(
        action_url("committee-record", compound), {"elected_on": "2024-05-01", "term_ends_on": "2024-04-01"}
    )
    assert response.status_code == 200
    assert "届满日期：" + zh("A term must end after the election.") in messages_of(response)
    assert not OwnersCommittee.objects.exists()
    # What was typed is kept.
    assert 'value="2024-05-01"' in response.content.decode()

    response = secretary_client.post(
        action_url("committee-record", compound), {"elected_on": "2024-13-01", "term_ends_on": ""}
    )
    assert "选举日期：输入一个有效的日期。" in messages_of(response)
    assert "届满日期：这个字段是必填项。" in messages_of(response)
    assert not OwnersCommittee.objects.exists()


def test_add_seats_for_a_resident_member_and_an_owner(tree, units, secretary_client):
    compound = units["compound_a"]
    committee = committee_for(compound)
    resident = make_member(name="住户党员", home_organization=tree["compound_a"], residence=compound)
    elsewhere = make_member(name="外区党员", home_organization=tree["compound_a"], residence=units["compound_b"])

    assert (
        secretary_client.post(
            action_url("seat-add", compound), {"position": CommitteePosition.CHAIR, "member": resident.pk}
        ).status_code
        == 302
    )
    assert (
        secretary_client.post(
            action_url("seat-add", compound), {"position": CommitteePosition.MEMBER, "name": " 业主丙 "}
        ).status_code
        == 302
    )
    refused = secretary_client.post(
        action_url("seat-add", compound), {"position": CommitteePosition.MEMBER, "member": elsewhere.pk}
    )
    empty = secretary_client.post(action_url("seat-add", compound), {"position": CommitteePosition.MEMBER})

    seats = {(s.name, s.position, s.member_id) for s in CommitteeSeat.objects.filter(committee=committee)}
    assert seats == {("住户党员", CommitteePosition.CHAIR, resident.pk), ("业主丙", CommitteePosition.MEMBER, None)}
    assert refused.status_code == 200 and any(m.startswith("居住在此的党员：") for m in messages_of(refused))
    assert any("请选择居住在此的党员，或填写业主姓名" in m for m in messages_of(empty))


def seat_end_url(seat) -> str:
    return reverse("organizations:seat-end", args=[seat.committee.compound.code, seat.pk])


def test_ending_a_seat_asks_first_then_vacates_it_and_points_to_seating_again(units, secretary_client):
    compound = units["compound_a"]
    seat = services.committee_seat_add(
        committee=committee_for(compound), position=CommitteePosition.CHAIR, name="业主丁"
    )
    page = body(secretary_client.get(detail_url(compound)))
    assert f'href="{seat_end_url(seat)}?year={today().year}"' in page

    asks = secretary_client.get(seat_end_url(seat))

    assert asks.status_code == 200
    assert zh("End %(name)s's seat as %(position)s?", name="业主丁", position=label(CommitteePosition.CHAIR)) in body(
        asks
    )
    assert "仍保留在业委会记录中" in body(asks)
    seat.refresh_from_db()
    assert seat.ended_on is None

    done = secretary_client.post(seat_end_url(seat), follow=True)

    seat.refresh_from_db()
    assert seat.ended_on == today()
    assert done.redirect_chain[-1][0] == f"{detail_url(compound)}#committee"
    said = zh(
        "%(name)s no longer sits on the owners' committee as %(position)s.",
        name="业主丁",
        position=label(CommitteePosition.CHAIR),
    )
    assert (
        f'<li class="success">{said} <a class="undo" href="{detail_url(compound)}#form-seat">重新增加委员</a>'
        in body(done)
    )
    assert seat_end_url(seat) not in body(done)  # no longer listed

    again = secretary_client.get(seat_end_url(seat), follow=True)
    assert zh("This seat has already been vacated.") in body(again)


def test_a_seat_of_another_communitys_compound_cannot_be_ended(units, secretary_client):
    seat = services.committee_seat_add(
        committee=committee_for(units["compound_b"]), position=CommitteePosition.MEMBER, name="业主戊"
    )

    assert secretary_client.get(seat_end_url(seat)).status_code == 404
    assert secretary_client.post(seat_end_url(seat)).status_code == 404
    seat.refresh_from_db()
    assert seat.ended_on is None


def test_appoint_a_first_secretary_held_elsewhere_by_id_number_and_name(tree, units, secretary_client):
    compound = units["compound_a"]
    sent = make_member(
        name="派驻者",
        home_organization=tree["comm_c"],
        residence=tree["comm_c"].unit,
        category=Category.IN_SERVICE,
        employer=tree["agency"],
    )

    wrong_name = secretary_client.post(
        action_url("first-secretary-appoint", compound),
        {"id_number": sent.id_number, "name": "别人", "started_on": today()},
    )
    assert wrong_name.status_code == 200
    assert not BranchPost.objects.exists()
    assert any(m.startswith("公民身份号码：") for m in messages_of(wrong_name))
    # The typed ID number is not sent back in the page.
    assert sent.id_number not in wrong_name.content.decode()

    response = secretary_client.post(
        action_url("first-secretary-appoint", compound),
        {"id_number": sent.id_number.lower() + " ", "name": "派驻者", "started_on": today()},
    )
    assert response.status_code == 302
    post = BranchPost.objects.get()
    assert (post.organization, post.member, post.position) == (tree["compound_a"], sent, BranchPosition.FIRST_SECRETARY)


def test_a_retired_member_cannot_be_first_secretary(tree, units, secretary_client):
    retired = make_member(name="退休者", home_organization=tree["comm_c"], residence=tree["comm_c"].unit)
    response = secretary_client.post(
        action_url("first-secretary-appoint", units["compound_a"]),
        {"id_number": retired.id_number, "name": "退休者", "started_on": today()},
    )
    assert zh("A first secretary is an in-service member sent to lead the branch.") in messages_of(response)
    assert not BranchPost.objects.exists()


def test_add_a_venue_and_record_an_activity_there(units, secretary_client, community_secretary):
    compound = units["compound_a"]
    response = secretary_client.post(
        action_url("venue-add", compound),
        {"name": "红色驿站", "kind": VenueKind.SHARED_OFFICE, "area": "45.5", "opened_on": "2024-07-01"},
    )
    assert response.status_code == 302
    venue = Venue.objects.get()
    assert (venue.unit, venue.name, venue.kind, venue.area) == (
        compound,
        "红色驿站",
        VenueKind.SHARED_OFFICE,
        Decimal("45.5"),
    )

    response = secretary_client.post(
        action_url("activity-record", compound),
        {
            "kind": ActivityKind.THEME_DAY,
            "title": "主题党日",
            "held_on": today(),
            "attendance": 23,
            "venue": venue.pk,
            "report": "学习讨论",
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (
        activity.compound,
        activity.title,
        activity.attendance,
        activity.venue,
        activity.report,
        activity.recorded_by,
    ) == (compound, "主题党日", 23, venue, "学习讨论", community_secretary)
    page = secretary_client.get(response.url)
    assert "活动“主题党日”已记录。" in messages_of(page)
    assert "主题党日" in section(page, "activities")


def test_activity_refusals(units, secretary_client):
    compound = units["compound_a"]
    response = secretary_client.post(
        action_url("activity-record", compound),
        {"kind": ActivityKind.STUDY, "title": "学习", "held_on": today() + timedelta(days=1), "attendance": 0},
    )
    assert "参加人数：" + zh("Attendance must be at least one person.") in messages_of(response)
    response = secretary_client.post(
        action_url("activity-record", compound),
        {"kind": ActivityKind.STUDY, "title": "学习", "held_on": today() + timedelta(days=1), "attendance": 3},
    )
    assert "举办日期：" + zh("The date cannot be in the future.") in messages_of(response)
    assert not Activity.objects.exists()


def expense_data(allocation, **extra):
    return {
        "allocation": allocation.pk,
        "amount": "100.00",
        "spent_on": today(),
        "purpose": "宣传资料",
        "receipt_number": "FP001",
        **extra,
    }


def test_record_an_expense_lowers_the_balance(units, funds, secretary_client, community_secretary):
    compound = units["compound_a"]
    response = secretary_client.post(
        action_url("expense-record", compound), expense_data(funds["compound_a"], amount="300.5")
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert (expense.allocation, expense.amount, expense.purpose, expense.receipt_number, expense.recorded_by) == (
        funds["compound_a"],
        Decimal("300.50"),
        "宣传资料",
        "FP001",
        community_secretary,
    )
    money = section(secretary_client.get(response.url), "money")
    assert "699.50" in money


def test_an_overdrawing_expense_is_refused_and_nothing_written(units, funds, secretary_client):
    compound = units["compound_a"]
    services.expense_record(
        allocation=funds["compound_a"], amount=Decimal("900"), spent_on=today(), purpose="前期", receipt_number="0"
    )

    response = secretary_client.post(
        action_url("expense-record", compound), expense_data(funds["compound_a"], amount="100.01")
    )

    assert response.status_code == 200
    expected = zh(
        "This expense of %(amount)s would overdraw the %(allocation)s: only %(balance)s is left.",
        amount="100.01 元",
        allocation=label(FundSource.ACTIVITY_FUND),
        balance="100.00 元",
    )
    assert "余额：仅剩" in expected
    assert "金额（元）：" + expected in messages_of(response)
    assert Expense.objects.count() == 1
    assert 'value="100.01"' in response.content.decode()


def test_expense_amounts_and_allocations_are_checked(units, funds, secretary_client):
    compound = units["compound_a"]
    url = action_url("expense-record", compound)
    for amount in ("12.345", "-5", "0", "abc"):
        response = secretary_client.post(url, expense_data(funds["compound_a"], amount=amount))
        assert "金额（元）：请填写以元为单位的正数金额，最多两位小数。" in messages_of(response), amount
    # Another compound's allocation is not a choice here.
    response = secretary_client.post(url, expense_data(funds["compound_b"]))
    assert any(m.startswith("支出来源：") for m in messages_of(response))
    # Neither receipt nor number.
    response = secretary_client.post(url, expense_data(funds["compound_a"], receipt_number=""))
    assert zh("Attach the receipt or give its number.") in messages_of(response)
    assert not Expense.objects.exists()


def test_the_portal_expense_form_attaches_no_other_compounds_activity(units, funds, secretary_client):
    """The secretaries' form offers no activity: one posted anyway (another compound's) is not stored."""
    theirs = services.activity_record(
        compound=units["compound_b"], kind=ActivityKind.THEME_DAY, title="乙主题党日", held_on=today(), attendance=9
    )

    response = secretary_client.post(
        action_url("expense-record", units["compound_a"]), expense_data(funds["compound_a"], activity=theirs.pk)
    )

    assert response.status_code == 302
    assert list(Expense.objects.values_list("allocation", "activity")) == [(funds["compound_a"].pk, None)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_receipt_upload_and_scoped_download(tree, units, funds, media, secretary_client, client, street_staff):
    compound = units["compound_a"]
    receipt = SimpleUploadedFile("发票.png", PNG, content_type="image/png")
    response = secretary_client.post(
        action_url("expense-record", compound), expense_data(funds["compound_a"], receipt=receipt, receipt_number="")
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert expense.receipt.name.startswith(f"receipts/{today().year}/{tree['compound_a'].code}/")

    page = secretary_client.get(detail_url(compound)).content.decode()
    url = reverse("organizations:expense-receipt", args=[expense.pk])
    assert f'href="{url}"' in page
    download = secretary_client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png"

    # The street above sees it; another community's secretary, an agency contact do not; nor /media/.
    client.force_login(street_staff)
    assert client.get(url).status_code == 200
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"]))
    assert client.get(url).status_code == 404
    client.force_login(user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"]))
    assert client.get(url).status_code == 404
    assert client.get("/" + settings.MEDIA_URL + expense.receipt.name).status_code == 404


def test_a_receipt_of_the_wrong_kind_is_refused(units, funds, media, secretary_client):
    receipt = SimpleUploadedFile("invoice.exe", b"MZ", content_type="application/octet-stream")
    response = secretary_client.post(
        action_url("expense-record", units["compound_a"]), expense_data(funds["compound_a"], receipt=receipt)
    )
    assert response.status_code == 200
    assert any(m.startswith("收据（JPG、PNG 或 PDF，不超过 5 MB）：") for m in messages_of(response))
    assert not Expense.objects.exists()
    assert not any(media.rglob("*.exe"))


def test_the_year_is_validated(units, funds, secretary_client):
    compound = units["compound_a"]
    last_year = today().year - 1
    services.fund_allocation_create(
        organization=compound.organization,
        year=last_year,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("800"),
        granted_on=date(last_year, 1, 1),
    )
    assert f"{today().year}年经费" in section(secretary_client.get(detail_url(compound), {"year": "abc"}), "money")
    assert f"{today().year}年经费" in section(secretary_client.get(detail_url(compound), {"year": "1899"}), "money")
    old = section(secretary_client.get(detail_url(compound), {"year": last_year}), "money")
    assert f"{last_year}年经费" in old and "800.00" in old


def add_records(tree, compound, allocation, count: int, *, start: int = 0) -> None:
    """``count`` of everything the page lists: posts, seats, venues, activities, expenses."""
    committee = OwnersCommittee.objects.filter(compound=compound, is_current=True).first() or committee_for(compound)
    for i in range(start, start + count):
        member = make_member(
            name=f"成员{i:03d}",
            home_organization=tree["compound_a"],
            residence=compound,
            category=Category.IN_SERVICE,
            employer=tree["agency"],
        )
        services.branch_post_appoint(
            organization=tree["compound_a"],
            member=member,
            position=BranchPosition.COMMITTEE_MEMBER,
            started_on=date(2024, 1, 1),
        )
        services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, member=member)
        venue = services.venue_create(unit=compound, name=f"阵地{i:03d}", kind=VenueKind.OUTDOOR)
        services.activity_record(
            compound=compound,
            kind=ActivityKind.VOLUNTEER,
            title=f"活动{i:03d}",
            held_on=today(),
            attendance=5,
            venue=venue,
        )
        services.expense_record(
            allocation=allocation, amount=Decimal("1"), spent_on=today(), purpose=f"支出{i:03d}", receipt_number=str(i)
        )


def test_page_query_budget(tree, units, funds, secretary_client, django_assert_num_queries):
    compound = units["compound_a"]
    url = detail_url(compound)
    add_records(tree, compound, funds["compound_a"], 2)
    # session, user, assignments, compound, 8 record lists, venue choices, allocations, residents
    with django_assert_num_queries(15):
        small = secretary_client.get(url)
    add_records(tree, compound, funds["compound_a"], 4, start=2)
    with django_assert_num_queries(15):
        large = secretary_client.get(url)
    assert small.content.decode().count("data-expense=") == 2
    assert large.content.decode().count("data-expense=") == 6


# --- fund execution ---------------------------------------------------------------------------------


@pytest.fixture
def spent(tree, funds):
    services.expense_record(
        allocation=funds["compound_a"], amount=Decimal("250"), spent_on=today(), purpose="活动", receipt_number="1"
    )
    services.expense_record(
        allocation=funds["compound_b"], amount=Decimal("1000"), spent_on=today(), purpose="活动", receipt_number="2"
    )
    other = make_org(tree["comm_c"], name="丙小区党支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_c"].unit)
    services.fund_allocation_create(
        organization=other,
        year=today().year,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("1000"),
        granted_on=today(),
    )
    return other


def test_fund_execution_by_street_and_compound(tree, spent, street_staff, client):
    client.force_login(street_staff)
    response = client.get(reverse("organizations:fund-execution"))
    assert response.status_code == 200
    assert sorted(rows(response)) == sorted([tree["compound_a"].unit.code, tree["compound_b"].unit.code])
    assert "1,000.00 元 250.00 元 750.00 元 25.0" in " ".join(row_text(response, tree["compound_a"].unit.code).split())
    totals = dict(re.findall(r'<dd data-total="(\w+)">([^<]*)</dd>', response.content.decode()))
    assert totals == {
        "compounds": "2",
        "allocated": "2,000.00 元",
        "spent": "1,250.00 元",
        "balance": "750.00 元",
        "rate": "62.5",
    }


def test_fund_execution_csv_export(tree, spent, client):
    client.force_login(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))
    response = client.get(reverse("organizations:fund-execution"), {"year": today().year, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert f"fund-execution-{today().year}.csv" in response["Content-Disposition"]
    content = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    a, b, c = tree["compound_a"].unit, tree["compound_b"].unit, spent.unit
    assert table == [
        ["街道", "社区", "小区", "小区编码", "拨付(元)", "支出(元)", "余额(元)", "执行率(%)"],
        ["甲街道党工委·单位", "甲社区党委·单位", a.name, a.code, "1000.00", "250.00", "750.00", "25.0"],
        ["甲街道党工委·单位", "乙社区党委·单位", b.name, b.code, "1000.00", "1000.00", "0.00", "100.0"],
        ["乙街道党工委·单位", "丙社区党委·单位", c.name, c.code, "1000.00", "0.00", "1000.00", "0.0"],
        ["合计", "", "", "", "3000.00", "1250.00", "1750.00", "41.7"],
    ]


def test_fund_execution_xlsx_export_is_scoped(tree, spent, community_secretary, client):
    client.force_login(community_secretary)
    response = client.get(reverse("organizations:fund-execution"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    a = tree["compound_a"].unit
    assert values[0] == ["街道", "社区", "小区", "小区编码", "拨付(元)", "支出(元)", "余额(元)", "执行率(%)"]
    assert values[1][:4] == ["甲街道党工委·单位", "甲社区党委·单位", a.name, a.code]
    assert [float(v) for v in values[1][4:]] == [1000.0, 250.0, 750.0, 25.0]
    assert values[2][0] == "合计" and len(values) == 3


def test_fund_execution_query_budget(tree, secretary_client, django_assert_num_queries):
    url = reverse("organizations:fund-execution")
    add_compounds(tree, 2)
    with django_assert_num_queries(4):
        small = secretary_client.get(url)
    add_compounds(tree, 4, start=2)
    with django_assert_num_queries(4):
        large = secretary_client.get(url)
    # compound A's own branch is listed too, with nothing allocated
    assert len(rows(small)) == 3 and len(rows(large)) == 7
    # session, user, assignments, compounds
    with django_assert_num_queries(4):
        secretary_client.get(url, {"format": "csv"})


def test_nav_links_to_compounds_and_funds(secretary_client):
    page = secretary_client.get(reverse("organizations:compound-list")).content.decode()
    assert f'<a href="{reverse("organizations:compound-list")}">小区</a>' in page
    assert f'<a href="{reverse("organizations:fund-execution")}">经费执行</a>' in page


def test_a_community_secretarys_compound_type_community(tree, secretary_client):
    """A compound-type community (formed around one compound) is named with its compound on the list."""
    community = make_org(
        tree["street_a"],
        name="绿洲社区党委",
        kind=OrgKind.COMMITTEE,
        unit_type=UnitType.COMMUNITY,
        unit_parent=tree["street_a"].unit,
    )
    services.unit_update(unit=community.unit, is_compound_type=True)
    make_unit(UnitType.COMPOUND, community, name="恒大绿洲", parent=community.unit)
    client_user = user_with_role(Role.COMMUNITY_SECRETARY, organization=community)
    secretary_client.force_login(client_user)
    text = body(secretary_client.get(reverse("organizations:compound-list")))
    assert "小区型社区：绿洲社区党委·单位（恒大绿洲）" in text


# --- money and dates as the portal writes them ------------------------------------------------------


def warnings_of(response) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<li class="warning">([^<]*)</li>', response.content.decode())]


def test_the_expense_form_names_allocations_with_thousands_separators(tree, units, funds, secretary_client):
    services.expense_record(
        allocation=funds["compound_a"], amount=Decimal("490"), spent_on=today(), purpose="横幅", receipt_number="1"
    )
    services.fund_allocation_create(
        organization=tree["compound_a"],
        year=today().year,
        source=FundSource.PUBLIC_REVENUE,
        amount=Decimal("6000"),
        granted_on=today(),
        resolution_ref="决议1号",
    )

    page = body(secretary_client.get(detail_url(units["compound_a"])))

    options = re.findall(r'<option value="\d+">([^<]*)</option>', page)
    year = today().year
    assert f"{year}年{label(FundSource.ACTIVITY_FUND)}，余额 510.00 元（共 1,000.00 元）" in options
    assert f"{year}年{label(FundSource.PUBLIC_REVENUE)}（决议1号），余额 6,000.00 元（共 6,000.00 元）" in options


def test_the_overdraw_refusal_writes_its_amounts_as_money(units, funds, secretary_client):
    services.expense_record(
        allocation=funds["compound_a"], amount=Decimal("490"), spent_on=today(), purpose="横幅", receipt_number="1"
    )

    response = secretary_client.post(
        action_url("expense-record", units["compound_a"]), expense_data(funds["compound_a"], amount="99999")
    )

    fund = label(FundSource.ACTIVITY_FUND)
    assert f"金额（元）：这笔 99,999.00 元的支出超出{fund}余额：仅剩 510.00 元。" in messages_of(response)
    assert Expense.objects.count() == 1


def test_a_refused_appointment_names_the_current_holders_start_in_chinese(tree, units, secretary_client):
    member = make_member(name="现任", home_organization=tree["compound_a"], residence=units["compound_a"])
    services.branch_post_appoint(
        organization=tree["compound_a"], member=member, position=BranchPosition.SECRETARY, started_on=date(2024, 3, 7)
    )
    newcomer = make_member(name="新任", home_organization=tree["compound_a"], residence=units["compound_a"])
    with pytest.raises(ValidationError) as refused:
        services.branch_post_appoint(
            organization=tree["compound_a"],
            member=newcomer,
            position=BranchPosition.SECRETARY,
            started_on=date(2024, 3, 1),
        )
    assert "2024年3月7日" in str(refused.value) and "2024-03-07" not in str(refused.value)


def test_an_unknown_download_format_of_the_fund_execution_is_answered(tree, secretary_client):
    response = secretary_client.get(reverse("organizations:fund-execution"), {"format": "bogus"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert warnings_of(response) == ["表格只能下载为 Excel（format=xlsx）或 CSV（format=csv）。"]
    assert warnings_of(secretary_client.get(reverse("organizations:fund-execution"))) == []
