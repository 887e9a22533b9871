"""The compound pages on a phone: lists in pages, a refused form that opens at itself and keeps what
was typed, action addresses that can be reloaded, and bad query parameters answered with a message."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from organizations import services
from organizations.models import Expense, FundAllocation, FundSource, Role, UnitType

from .factories import make_org, user_with_role
from .test_governance_views import PNG, body, messages_of, rows

pytestmark = pytest.mark.django_db

LIST = "organizations:compound-list"


@pytest.fixture
def secretary_client(client, tree):
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    return client


def add_compounds(tree, count: int) -> list[str]:
    community = tree["comm_a"]
    made = [
        make_org(community, name=f"页面小区{count}-{i:03d}", unit_type=UnitType.COMPOUND, unit_parent=community.unit)
        for i in range(count)
    ]
    return [org.unit.code for org in made]


def warnings_of(response) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<li class="warning">([^<]*)</li>', response.content.decode())]


def test_the_compound_list_pages_by_fifteen_with_totals_of_all(tree, secretary_client, django_assert_num_queries):
    add_compounds(tree, 20)
    first = secretary_client.get(reverse(LIST))
    total = int(body(first).split('data-total="compounds">')[1].split("<")[0])
    assert total == 21  # the 20 and compound A, all counted on every page
    assert len(rows(first)) == 15
    assert "第 1 页，共 2 页" in body(first)
    second = secretary_client.get(reverse(LIST), {"page": 2})
    assert len(rows(second)) == total - 15
    assert set(rows(first)).isdisjoint(rows(second))
    # One more page of rows costs no more queries.
    with django_assert_num_queries(6):
        secretary_client.get(reverse(LIST), {"page": 2})
    add_compounds(tree, 14)
    with django_assert_num_queries(6):
        third = secretary_client.get(reverse(LIST), {"page": 3})
    assert len(rows(third)) == 35 - 30


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"page": "x"}, "没有第“x”页：现显示第 1 页（共 1 页）。"),
        ({"page": "99"}, "没有第“99”页：现显示第 1 页（共 1 页）。"),
        ({"year": "abc"}, f"“abc”不是 2000 至 2100 之间的年份：现显示 {timezone.localdate().year} 年。"),
        ({"year": "1999"}, f"“1999”不是 2000 至 2100 之间的年份：现显示 {timezone.localdate().year} 年。"),
        ({"community": "NOPE"}, "您所辖范围内没有代码为“NOPE”的社区：现显示全部。"),
        ({"q": "长" * 51}, "搜索内容最多 50 个字：请缩短后重新搜索。"),
    ],
)
def test_bad_query_parameters_are_answered_with_a_message(tree, secretary_client, query, warning):
    response = secretary_client.get(reverse(LIST), query)
    assert response.status_code == 200
    assert warnings_of(response) == [warning]
    assert rows(response) == [tree["compound_a"].unit.code]


def test_a_good_query_says_nothing(tree, secretary_client):
    response = secretary_client.get(reverse(LIST), {"year": "2025", "page": "1", "q": "", "community": ""})
    assert warnings_of(response) == []


def test_the_tree_refuses_an_over_long_search_with_a_message(secretary_client):
    response = secretary_client.get(reverse("organizations:organization-list"), {"q": "x" * 51})
    assert response.status_code == 200
    assert warnings_of(response) == ["搜索内容最多 50 个字：请缩短后重新搜索。"]


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("committee-record", "form-committee"),
        ("seat-add", "form-seat"),
        ("first-secretary-appoint", "form-first-secretary"),
        ("venue-add", "form-venue"),
        ("activity-record", "form-activity"),
        ("expense-record", "form-expense"),
    ],
)
def test_an_action_address_reloaded_opens_the_page_at_its_form(tree, secretary_client, name, section):
    code = tree["compound_a"].unit.code
    today = timezone.localdate()
    services.allocations_grant(year=today.year, granted_on=today.replace(month=1, day=1))
    services.owners_committee_record(
        compound=tree["compound_a"].unit, elected_on=date(2023, 5, 1), term_ends_on=date(2028, 5, 1)
    )
    response = secretary_client.get(reverse(f"organizations:{name}", args=[code]), {"year": "2025"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('organizations:compound-detail', args=[code])}?year=2025#{section}"
    # Each form posts to an address that ends at itself, so a refusal opens there.
    page = secretary_client.get(reverse("organizations:compound-detail", args=[code]))
    assert f'id="{section}"' in page.content.decode()
    assert f'{reverse(f"organizations:{name}", args=[code])}?year={timezone.localdate().year}#{section}"' in (
        page.content.decode()
    )


def test_an_action_address_outside_reach_is_not_found(tree, client):
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"]))
    url = reverse("organizations:venue-add", args=[tree["compound_a"].unit.code])
    assert client.get(url).status_code == 404


def test_a_refused_expense_keeps_what_was_typed_and_asks_for_the_file_again(tree, secretary_client):
    today = timezone.localdate()
    services.allocations_grant(year=today.year, granted_on=today.replace(month=1, day=1))
    fund = FundAllocation.objects.get(organization=tree["compound_a"], year=today.year, source=FundSource.ACTIVITY_FUND)
    code = tree["compound_a"].unit.code
    response = secretary_client.post(
        reverse("organizations:expense-record", args=[code]),
        {
            "allocation": fund.pk,
            "amount": "5000",
            "spent_on": today.isoformat(),
            "purpose": "超支采购",
            "receipt_number": "FP-1",
            "receipt": SimpleUploadedFile("发票.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 200
    text = body(response)
    form = text.split('id="form-expense"')[1].split("</details>")[0]
    assert "<details" not in form and " open" in text.split('id="form-expense"')[1][:20]
    assert "未保存：请更正下面标出的内容。" in form
    assert "您附上的文件没有保留：提交前请重新选择文件。" in form
    assert 'value="超支采购"' in form and 'value="5000"' in form and 'value="FP-1"' in form
    assert f'<option value="{fund.pk}" selected>' in form
    assert not Expense.objects.exists()
    assert fund.amount == Decimal("1000.00")


def test_the_seat_form_finds_a_resident_by_typing(tree, secretary_client):
    services.owners_committee_record(
        compound=tree["compound_a"].unit, elected_on=date(2023, 5, 1), term_ends_on=date(2028, 5, 1)
    )
    page = secretary_client.get(reverse("organizations:compound-detail", args=[tree["compound_a"].unit.code]))
    seat = body(page).split('id="form-seat"')[1].split("</details>")[0]
    assert re.search(r'<select name="member"[^>]*data-type-to-find="输入姓名查找"', seat)


def test_the_result_messages_write_dates_and_money_the_portal_way(tree, secretary_client):
    code = tree["compound_a"].unit.code
    recorded = secretary_client.post(
        reverse("organizations:committee-record", args=[code]),
        {"elected_on": "2024-05-01", "term_ends_on": "2029-05-01"},
        follow=True,
    )
    assert any("2024年5月1日" in m for m in messages_of(recorded))
    today = timezone.localdate()
    services.fund_allocation_create(
        organization=tree["compound_a"],
        year=today.year,
        source=FundSource.PUBLIC_REVENUE,
        amount=Decimal("5000"),
        granted_on=today,
        resolution_ref="业主大会决议1号",
    )
    fund = FundAllocation.objects.get(organization=tree["compound_a"], year=today.year)
    spent = secretary_client.post(
        reverse("organizations:expense-record", args=[code]),
        {
            "allocation": fund.pk,
            "amount": "1234.5",
            "spent_on": today.isoformat(),
            "purpose": "修缮",
            "receipt_number": "1",
        },
        follow=True,
    )
    assert any("1,234.50" in m for m in messages_of(spent)), messages_of(spent)
