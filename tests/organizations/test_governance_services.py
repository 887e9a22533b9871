"""The writes of compound governance and funds: what the database holds after each, and what is refused."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import Category
from organizations import services
from organizations.models import (
    ActivityKind,
    BranchPosition,
    BranchPost,
    CommitteePosition,
    Expense,
    FundAllocation,
    FundSource,
    OwnersCommittee,
    UnitType,
    VenueKind,
)
from tests.constraints import refused_by
from tests.members.factories import make_member

from .factories import make_unit

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def messages_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(excinfo.value.messages)


@pytest.fixture
def compound(tree):
    return tree["compound_a"].unit


@pytest.fixture
def branch(tree):
    return tree["compound_a"]


@pytest.fixture
def fund(branch):
    return services.fund_allocation_create(
        organization=branch,
        year=YEAR,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("1000"),
        granted_on=date(YEAR, 1, 1),
    )


def test_committee_terms_follow_each_other(compound):
    first = services.owners_committee_record(
        compound=compound, elected_on=date(2016, 5, 1), term_ends_on=date(2021, 5, 1)
    )
    second = services.owners_committee_record(
        compound=compound, elected_on=date(2021, 5, 2), term_ends_on=date(2026, 5, 1)
    )
    first.refresh_from_db()
    assert not first.is_current
    assert second.is_current
    assert OwnersCommittee.objects.current().get(compound=compound) == second


def test_committee_term_refused_when_older_or_backwards(compound):
    services.owners_committee_record(compound=compound, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1))
    with pytest.raises(ValidationError) as older:
        services.owners_committee_record(compound=compound, elected_on=date(2020, 1, 1), term_ends_on=date(2025, 1, 1))
    assert older.value.message_dict == {"elected_on": ["新一届的选举日期须晚于现任一届（2021年5月1日选举）。"]}
    with pytest.raises(ValidationError) as backwards:
        services.owners_committee_record(compound=compound, elected_on=date(2022, 1, 1), term_ends_on=date(2021, 1, 1))
    assert backwards.value.message_dict == {"term_ends_on": ["届满日期须晚于选举日期。"]}
    assert OwnersCommittee.objects.filter(compound=compound).count() == 1


def test_committee_only_for_a_compound(tree):
    with pytest.raises(ValidationError) as refused:
        services.owners_committee_record(
            compound=tree["comm_a"].unit, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1)
        )
    assert refused.value.message_dict == {"compound": [f"{tree['comm_a'].unit.name}不是小区。"]}
    assert not OwnersCommittee.objects.exists()


def test_seats_for_residents_and_owners(compound, branch):
    resident = make_member(home_organization=branch, residence=compound, name="李四")
    elsewhere = make_member(home_organization=branch, name="王五")
    committee = services.owners_committee_record(
        compound=compound, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1)
    )
    seat = services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, member=resident)
    assert seat.name == "李四"
    owner = services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, name=" 张业主 ")
    assert owner.member is None and owner.name == "张业主"
    with pytest.raises(ValidationError) as not_living:
        services.committee_seat_add(committee=committee, position=CommitteePosition.MEMBER, member=elsewhere)
    assert "王五" in messages_of(not_living)
    with pytest.raises(ValidationError) as second_chair:
        services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, name="第二个主任")
    assert second_chair.value.message_dict == {NON_FIELD_ERRORS: ["业委会已有主任。"]}
    assert committee.seats.count() == 2


def test_first_secretary_replaces_the_previous_one(branch, tree):
    police = make_unit(UnitType.AGENCY, tree["root"], name="区公安局")
    first = make_member(home_organization=branch, category=Category.IN_SERVICE, employer=police, name="万波")
    second = make_member(home_organization=branch, category=Category.IN_SERVICE, employer=police, name="接任者")
    services.branch_post_appoint(
        organization=branch, member=first, position=BranchPosition.FIRST_SECRETARY, started_on=date(2018, 4, 1)
    )
    services.branch_post_appoint(
        organization=branch, member=second, position=BranchPosition.FIRST_SECRETARY, started_on=date(2022, 4, 1)
    )
    posts = BranchPost.objects.filter(organization=branch, position=BranchPosition.FIRST_SECRETARY)
    assert {(p.member.name, p.ended_on) for p in posts} == {("万波", date(2022, 4, 1)), ("接任者", None)}


def test_first_secretary_must_be_in_service(branch):
    retired = make_member(home_organization=branch, category=Category.RETIRED)
    with pytest.raises(ValidationError) as refused:
        services.branch_post_appoint(
            organization=branch, member=retired, position=BranchPosition.FIRST_SECRETARY, started_on=date(2020, 1, 1)
        )
    assert refused.value.message_dict == {"member": ["第一书记须是选派来的在职党员。"]}
    assert not BranchPost.objects.exists()


def test_one_post_per_member_per_branch(branch):
    member = make_member(home_organization=branch)
    services.branch_post_appoint(
        organization=branch, member=member, position=BranchPosition.SECRETARY, started_on=date(2020, 1, 1)
    )
    with pytest.raises(ValidationError) as refused:
        services.branch_post_appoint(
            organization=branch, member=member, position=BranchPosition.COMMITTEE_MEMBER, started_on=date(2020, 1, 1)
        )
    assert refused.value.message_dict == {"member": [f"{member.name}已在本支部担任书记，请先结束该职务。"]}
    assert list(BranchPost.objects.values_list("position", flat=True)) == [BranchPosition.SECRETARY]


def test_branch_term_recorded_on_the_organization(branch):
    services.branch_term_record(organization=branch, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1))
    branch.refresh_from_db()
    assert (branch.elected_on, branch.term_ends_on) == (date(2021, 5, 1), date(2026, 5, 1))
    with pytest.raises(ValidationError) as backwards:
        services.branch_term_record(organization=branch, elected_on=date(2021, 5, 1), term_ends_on=date(2020, 5, 1))
    assert backwards.value.message_dict == {"term_ends_on": ["届满日期须晚于选举日期。"]}


def test_activity_refuses_the_future_and_foreign_venues(tree, compound):
    other_venue = services.venue_create(unit=tree["compound_b"].unit, name="活动室", kind=VenueKind.ACTIVITY_ROOM)
    with pytest.raises(ValidationError) as future:
        services.activity_record(
            compound=compound,
            kind=ActivityKind.THEME_DAY,
            title="主题党日",
            held_on=timezone.localdate() + timedelta(days=1),
            attendance=10,
        )
    assert future.value.message_dict == {"held_on": ["日期不能晚于今天。"]}
    with pytest.raises(ValidationError) as foreign:
        services.activity_record(
            compound=compound,
            kind=ActivityKind.THEME_DAY,
            title="主题党日",
            held_on=date(2024, 7, 1),
            attendance=10,
            venue=other_venue,
        )
    assert foreign.value.message_dict == {"venue": ["请选择本小区或所在社区的阵地。"]}
    with pytest.raises(ValidationError) as nobody:
        services.activity_record(
            compound=compound, kind=ActivityKind.THEME_DAY, title="主题党日", held_on=date(2024, 7, 1), attendance=0
        )
    assert nobody.value.message_dict == {NON_FIELD_ERRORS: ["参加人数至少为1人。"]}
    community_venue = services.venue_create(unit=tree["comm_a"].unit, name="社区阵地", kind=VenueKind.ACTIVITY_ROOM)
    activity = services.activity_record(
        compound=compound,
        kind=ActivityKind.THEME_DAY,
        title="主题党日",
        held_on=date(2024, 7, 1),
        attendance=12,
        venue=community_venue,
    )
    assert activity.venue == community_venue


def test_allocations_granted_once_a_year_at_the_standard(tree):
    services.funding_standard_set(year=YEAR, activity_fund=Decimal("1200"), secretary_allowance=Decimal("600"))
    first = services.allocations_grant(year=YEAR, granted_on=date(YEAR, 1, 1))
    again = services.allocations_grant(year=YEAR, granted_on=date(YEAR, 1, 1))
    assert {a.organization for a in first} == {tree["compound_a"], tree["compound_b"]}
    assert again == []
    assert all(a.amount == Decimal("1200") for a in first)
    assert services.activity_fund_for(YEAR + 1) == Decimal("1000.00")


def test_public_revenue_share_needs_the_resolution(branch):
    with pytest.raises(ValidationError) as refused:
        services.fund_allocation_create(
            organization=branch,
            year=YEAR,
            source=FundSource.PUBLIC_REVENUE,
            amount=Decimal("500"),
            granted_on=date(YEAR, 1, 1),
        )
    assert refused.value.message_dict == {NON_FIELD_ERRORS: ["公共收益经费须注明业主决议文号。"]}
    share = services.fund_allocation_create(
        organization=branch,
        year=YEAR,
        source=FundSource.PUBLIC_REVENUE,
        amount=Decimal("500"),
        granted_on=date(YEAR, 1, 1),
        resolution_ref="业主大会决议〔2026〕1号",
    )
    assert share.resolution_ref == "业主大会决议〔2026〕1号"


def test_expense_draws_down_the_balance_and_refuses_to_overdraw(fund):
    services.expense_record(
        allocation=fund, amount=Decimal("600.50"), spent_on=date(YEAR, 1, 1), purpose="学习资料", receipt_number="FP1"
    )
    with pytest.raises(ValidationError) as refused:
        services.expense_record(
            allocation=fund, amount=Decimal("400.00"), spent_on=date(YEAR, 1, 1), purpose="慰问", receipt_number="FP2"
        )
    assert "amount" in refused.value.message_dict
    assert "399.50" in messages_of(refused)
    assert Expense.objects.count() == 1
    services.expense_record(
        allocation=fund, amount=Decimal("399.50"), spent_on=date(YEAR, 1, 1), purpose="慰问", receipt_number="FP2"
    )
    assert services.allocation_spent(fund) == fund.amount


def test_expense_names_only_an_activity_of_its_own_compound(tree, fund, compound):
    theirs = services.activity_record(
        compound=tree["compound_b"].unit, kind=ActivityKind.THEME_DAY, title="乙主题党日", held_on=date(2024, 7, 1),
        attendance=9,
    )  # fmt: skip
    ours = services.activity_record(
        compound=compound, kind=ActivityKind.THEME_DAY, title="甲主题党日", held_on=date(2024, 7, 1), attendance=9
    )
    with pytest.raises(ValidationError) as refused:
        services.expense_record(
            allocation=fund, amount=Decimal("50"), spent_on=date(YEAR, 1, 1), purpose="茶水", receipt_number="FP1",
            activity=theirs,
        )  # fmt: skip
    assert refused.value.message_dict == {"activity": ["请选择本小区的活动。"]}
    assert not Expense.objects.exists()

    expense = services.expense_record(
        allocation=fund, amount=Decimal("50"), spent_on=date(YEAR, 1, 1), purpose="茶水", receipt_number="FP1",
        activity=ours,
    )  # fmt: skip
    assert Expense.objects.get().activity == ours == expense.activity


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("0.001")])
def test_expense_amount_positive_yuan(fund, amount):
    with pytest.raises(ValidationError) as refused:
        services.expense_record(
            allocation=fund, amount=amount, spent_on=date(YEAR, 1, 1), purpose="资料", receipt_number="FP1"
        )
    assert set(refused.value.message_dict) == {"amount"}
    assert "确保该值大于或等于0.01。" in refused.value.message_dict["amount"]
    assert not Expense.objects.exists()


def test_expense_needs_a_receipt_and_the_allocation_year(fund):
    with pytest.raises(ValidationError) as no_receipt:
        services.expense_record(allocation=fund, amount=Decimal("10"), spent_on=date(YEAR, 1, 1), purpose="资料")
    assert no_receipt.value.message_dict == {NON_FIELD_ERRORS: ["请上传票据或填写票据号。"]}
    with pytest.raises(ValidationError) as wrong_year:
        services.expense_record(
            allocation=fund, amount=Decimal("10"), spent_on=date(YEAR - 1, 12, 31), purpose="资料", receipt_number="1"
        )
    assert wrong_year.value.message_dict == {"spent_on": [f"{YEAR}年度的经费只能在{YEAR}年内支出。"]}
    with pytest.raises(ValidationError) as wrong_type:
        services.expense_record(
            allocation=fund,
            amount=Decimal("10"),
            spent_on=date(YEAR, 1, 1),
            purpose="资料",
            receipt=SimpleUploadedFile("receipt.exe", b"MZ"),
        )
    assert "receipt" in wrong_type.value.message_dict
    assert not Expense.objects.exists()


def test_expense_with_a_receipt_file(fund, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    expense = services.expense_record(
        allocation=fund,
        amount=Decimal("88"),
        spent_on=date(YEAR, 1, 1),
        purpose="党旗",
        receipt=SimpleUploadedFile("fapiao.jpg", b"\xff\xd8\xff\xe0jpeg", content_type="image/jpeg"),
    )
    assert expense.receipt.name.startswith(f"receipts/{YEAR}/{fund.organization.code}/")
    assert (tmp_path / expense.receipt.name).read_bytes() == b"\xff\xd8\xff\xe0jpeg"


def test_allowance_only_for_the_secretary(branch):
    secretary = make_member(home_organization=branch)
    other = make_member(home_organization=branch)
    services.branch_post_appoint(
        organization=branch, member=secretary, position=BranchPosition.SECRETARY, started_on=date(2020, 1, 1)
    )
    services.funding_standard_set(year=YEAR, activity_fund=Decimal("1000"), secretary_allowance=Decimal("1200"))
    with pytest.raises(ValidationError) as refused:
        services.allowance_grant(organization=branch, year=YEAR, member=other)
    assert refused.value.message_dict == {"member": [f"{other.name}不是本支部书记。"]}
    allowance = services.allowance_grant(organization=branch, year=YEAR, member=secretary)
    assert allowance.amount == Decimal("1200.00")


def test_database_refuses_a_second_current_committee(compound):
    services.owners_committee_record(compound=compound, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 5, 1))
    with refused_by(OwnersCommittee, "organizations_ownerscommittee_one_current_per_compound"):
        OwnersCommittee.objects.create(
            compound=compound, elected_on=date(2022, 5, 1), term_ends_on=date(2027, 5, 1), is_current=True
        )


def test_database_refuses_a_public_share_without_resolution(branch):
    with refused_by(FundAllocation, "organizations_fundallocation_public_revenue_has_resolution"):
        FundAllocation.objects.create(
            organization=branch,
            year=YEAR,
            source=FundSource.PUBLIC_REVENUE,
            amount=Decimal("1"),
            granted_on=date(YEAR, 1, 1),
        )


def test_database_refuses_a_second_activity_fund_a_year(branch, fund):
    with refused_by(FundAllocation, "organizations_fundallocation_one_activity_fund_a_year"):
        FundAllocation.objects.create(
            organization=branch, year=YEAR, source=FundSource.ACTIVITY_FUND, amount=Decimal("1"),
            granted_on=date(YEAR, 1, 1),
        )  # fmt: skip
    # Only the activity fund is once a year: a public-revenue share and next year's fund are not refused.
    FundAllocation.objects.bulk_create(
        [
            FundAllocation(
                organization=branch, year=YEAR, source=FundSource.PUBLIC_REVENUE, amount=Decimal("1"),
                resolution_ref="决议1", granted_on=date(YEAR, 1, 1),
            ),
            FundAllocation(
                organization=branch, year=YEAR + 1, source=FundSource.ACTIVITY_FUND, amount=Decimal("1"),
                granted_on=date(YEAR, 1, 1),
            ),
        ]
    )  # fmt: skip
    assert FundAllocation.objects.filter(organization=branch).count() == 3


def test_database_refuses_a_second_holder_of_a_single_holder_post(branch):
    secretary, other = make_member(home_organization=branch), make_member(home_organization=branch)
    services.branch_post_appoint(
        organization=branch, member=secretary, position=BranchPosition.SECRETARY, started_on=date(2020, 1, 1)
    )
    with refused_by(BranchPost, "organizations_branchpost_one_holder"):
        BranchPost.objects.create(
            organization=branch, member=other, position=BranchPosition.SECRETARY, started_on=date(2021, 1, 1)
        )
    # Committee members are many.
    BranchPost.objects.create(
        organization=branch, member=other, position=BranchPosition.COMMITTEE_MEMBER, started_on=date(2021, 1, 1)
    )
    assert BranchPost.objects.filter(organization=branch, ended_on__isnull=True).count() == 2


def test_database_refuses_a_second_current_post_for_a_member(branch):
    member = make_member(home_organization=branch)
    post = services.branch_post_appoint(
        organization=branch, member=member, position=BranchPosition.SECRETARY, started_on=date(2020, 1, 1)
    )
    with refused_by(BranchPost, "organizations_branchpost_one_post_per_member"):
        BranchPost.objects.create(
            organization=branch, member=member, position=BranchPosition.COMMITTEE_MEMBER, started_on=date(2020, 1, 1)
        )
    # Reopening an ended post beside the member's current one is refused the same way.
    services.branch_post_end(post=post, ended_on=date(2021, 1, 1))
    services.branch_post_appoint(
        organization=branch, member=member, position=BranchPosition.COMMITTEE_MEMBER, started_on=date(2021, 1, 2)
    )
    with refused_by(BranchPost, "organizations_branchpost_one_post_per_member"):
        BranchPost.objects.filter(pk=post.pk).update(ended_on=None)
    assert BranchPost.objects.get(pk=post.pk).ended_on == date(2021, 1, 1)
