"""The work page every user lands on: the to-do list first (from the to-do registry), then the figures
of their reach."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members import services as member_services
from members.models import Category, CheckIn, PostKind
from organizations import services
from organizations.models import CommitteePosition, FundSource, Role, UnitType
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, make_org, user_with_role
from tests.yiling.test_uploads import PNG_BYTES
from yiling import todos

pytestmark = pytest.mark.django_db

HOME = reverse("portal-home")


@pytest.fixture
def tree():
    return district_tree()


def report_in(unit, n: int = 1) -> list[CheckIn]:
    return [
        member_services.checkin_submit(
            member=make_member(home_organization=None, residence=unit, category=Category.IN_SERVICE), unit=unit
        )
        for _ in range(n)
    ]


def todo_block(response, name: str) -> str:
    match = re.search(
        rf'<li data-todo="{name}"[^>]*>(.*?)</li>\s*(?:<li data-todo|</ul>\s*</section>)', body(response), re.S
    )
    assert match, name
    return match.group(1)


def count(response, name: str) -> int:
    return int(re.search(r'<span class="count" data-count>(\d+)</span>', todo_block(response, name)).group(1))


def body(response) -> str:
    return response.content.decode()


def test_a_compound_secretary_sees_the_report_ins_waiting_first_and_confirms_one(tree, client):
    compound = tree["compound_a"].unit
    waiting = report_in(compound, 3)
    report_in(tree["compound_b"].unit, 2)  # another compound's, not theirs
    client.force_login(user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"]))

    response = client.get(HOME)
    page = body(response)
    assert page.index('id="todo"') < page.index("data-figure")
    assert "计算于" in page
    assert count(response, "checkins_to_confirm") == 3
    unit_url = reverse("members:unit-detail", kwargs={"code": compound.code}) + "#pending"
    assert f'<a href="{unit_url}">{compound.name}</a>' in todo_block(response, "checkins_to_confirm")
    assert tree["compound_b"].unit.name not in todo_block(response, "checkins_to_confirm")
    # The list comes first even among the items: the ones with something waiting lead.
    assert page.index('data-todo="checkins_to_confirm"') < page.index('data-todo="terms_expiring"')

    client.post(reverse("members:checkin-confirm", kwargs={"pk": waiting[0].pk}))
    assert count(client.get(HOME), "checkins_to_confirm") == 2


def test_empty_volunteer_posts_count_the_posts_nobody_holds(tree, client):
    compound = tree["compound_a"].unit
    for post in (PostKind.values[0], PostKind.values[1]):
        member_services.volunteer_post_assign(
            member=make_member(home_organization=tree["compound_a"], residence=compound),
            compound=compound,
            post=post,
            started_on=date(2024, 1, 1),
        )
    client.force_login(user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"]))
    assert count(client.get(HOME), "empty_volunteer_posts") == 4
    # A community secretary leads both compounds of 乙社区: six empty posts in each.
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"]))
    assert count(client.get(HOME), "empty_volunteer_posts") == 12


def test_terms_expiring_within_90_days(tree, client):
    today = timezone.localdate()
    services.branch_term_record(
        organization=tree["compound_a"],
        elected_on=today - timedelta(days=1000),
        term_ends_on=today + timedelta(days=30),
    )
    services.branch_term_record(
        organization=tree["compound_b"],
        elected_on=today - timedelta(days=1000),
        term_ends_on=today + timedelta(days=120),
    )
    committee = services.owners_committee_record(
        compound=tree["compound_a"].unit,
        elected_on=today - timedelta(days=1000),
        term_ends_on=today + timedelta(days=89),
    )
    services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, name="业主甲")
    client.force_login(user_with_role(Role.STREET_STAFF, organization=tree["street_a"]))
    response = client.get(HOME)
    block = todo_block(response, "terms_expiring")
    assert count(response, "terms_expiring") == 2
    assert "甲小区党支部" in block and "乙小区党支部" not in block
    assert (
        reverse("organizations:compound-detail", kwargs={"code": tree["compound_a"].unit.code}) + "#committee" in block
    )
    client.force_login(user_with_role(Role.STREET_STAFF, organization=tree["street_b"]))
    assert count(client.get(HOME), "terms_expiring") == 0


def test_expenses_without_receipts(tree, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fund = services.fund_allocation_create(
        organization=tree["compound_a"],
        year=timezone.localdate().year,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("1000"),
        granted_on=timezone.localdate(),
    )
    for number in ("NO-1", "NO-2"):
        services.expense_record(
            allocation=fund, amount=Decimal("10"), spent_on=timezone.localdate(), purpose="茶水", receipt_number=number
        )
    scanned = SimpleUploadedFile("receipt.png", PNG_BYTES, content_type="image/png")
    services.expense_record(
        allocation=fund, amount=Decimal("10"), spent_on=timezone.localdate(), purpose="茶水", receipt=scanned
    )
    client.force_login(user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"]))
    response = client.get(HOME)
    assert count(response, "expenses_without_receipts") == 2
    assert "#money" in todo_block(response, "expenses_without_receipts")
    client.force_login(user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_b"]))
    assert count(client.get(HOME), "expenses_without_receipts") == 0


def test_an_agency_contact_has_nothing_to_do_here(tree, client):
    report_in(tree["compound_a"].unit)
    client.force_login(user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"]))
    response = client.get(HOME)
    assert response.status_code == 200
    assert re.search(r'<span class="count" data-total>0</span>', body(response))


def test_an_item_an_app_registers_appears_by_itself(tree, client, monkeypatch):
    monkeypatch.setattr(todos, "_REGISTRY", dict(todos._REGISTRY))

    @todos.todo("test_meetings", "会议待记录", order=1)
    def meetings(user):
        return [todos.Entry(where="甲小区", count=2, url="/somewhere/")]

    client.force_login(user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"]))
    response = client.get(HOME)
    assert count(response, "test_meetings") == 2
    assert body(response).index('data-todo="test_meetings"') < body(response).index('data-todo="checkins_to_confirm"')


def test_the_work_page_reads_a_fixed_number_of_queries(tree, client):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    client.force_login(user)
    report_in(tree["compound_a"].unit)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        org = make_org(tree["comm_a"], unit_type=UnitType.COMPOUND, unit_parent=tree["comm_a"].unit)
        report_in(org.unit, 2)
    report_in(tree["compound_b"].unit, 2)
    assert queries() == before


def test_the_landed_apps_declare_their_items_once_each():
    items = {item.name: item for item in todos.registered()}
    assert {n: items[n].app_label for n in ("checkins_to_confirm", "empty_volunteer_posts")} == {
        "checkins_to_confirm": "members",
        "empty_volunteer_posts": "members",
    }
    assert items["terms_expiring"].app_label == items["expenses_without_receipts"].app_label == "organizations"
    assert all(str(item.definition) for item in items.values())


def test_registering_a_taken_item_name_from_another_function_is_refused(monkeypatch):
    monkeypatch.setattr(todos, "_REGISTRY", dict(todos._REGISTRY))
    with pytest.raises(ValueError, match="members"):
        todos.todo("checkins_to_confirm", "另一个")(lambda user: [])


def linked_lists(response) -> set[str]:
    """The addresses the work page's figures link to."""
    return set(re.findall(r'href="(/(?:merchants|liaisons)/[^"#?]*)', body(response)))


@pytest.mark.parametrize(
    ("role", "node", "opens"),
    [
        (Role.COMPOUND_SECRETARY, "compound_a", set()),
        (Role.COMMUNITY_SECRETARY, "comm_a", set()),
        (Role.STREET_STAFF, "street_a", {"/merchants/desk/", "/merchants/complaints/"}),
        (Role.DISTRICT_STAFF, "root", {"/merchants/desk/", "/merchants/complaints/", "/liaisons/report/"}),
    ],
)
def test_a_figure_links_to_its_list_only_for_those_who_may_open_it(tree, client, role, node, opens):
    user = user_with_role(role, organization=tree[node], username="u")
    client.force_login(user)

    linked = linked_lists(client.get(HOME)) & {"/merchants/desk/", "/merchants/complaints/", "/liaisons/report/"}

    assert linked == opens
    for url in linked:
        assert client.get(url).status_code == 200, url
