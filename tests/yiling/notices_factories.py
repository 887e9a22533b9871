"""Test data of the notice tests: a small district with one account per role, built through services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from organizations import services as org_services
from organizations.models import FundSource, Role
from tests.organizations.factories import district_tree, user_with_role
from yiling.notices import services


def people(tree: dict) -> dict:
    """Accounts with an email: district staff, the first street's staff, its first community's and
    compound's secretaries, and a secretary of the other street's community."""
    return {
        "district": user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], email="district@example.cn"),
        "street": user_with_role(Role.STREET_STAFF, organization=tree["street_a"], email="street@example.cn"),
        "community": user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], email="comm@example.cn"),
        "compound": user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"], email="cpd@example.cn"),
        "other": user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"], email="other@example.cn"),
    }


def world() -> dict:
    tree = district_tree()
    return {**tree, **people(tree)}


def expense_without_scan(org, *, spent_on: date, amount: str = "120.00"):
    allocation = org_services.fund_allocation_create(
        organization=org,
        year=spent_on.year,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("1000.00"),
        granted_on=spent_on - timedelta(days=1),
    )
    return org_services.expense_record(
        allocation=allocation, amount=Decimal(amount), spent_on=spent_on, purpose="购买党建书籍", receipt_number="NO-1"
    )


def programme_with_tasks(orgs, *, due_on: date, title: str = "小区建支部三年行动"):
    programme = services.programme_create(title=title, description="全流程督导")
    tasks = [
        services.task_create(programme=programme, organization=org, title="建立小区党支部", due_on=due_on)
        for org in orgs
    ]
    services.programme_publish(programme=programme, published_on=due_on - timedelta(days=60))
    return programme, tasks


def notices_for_admin_walk(tree: dict) -> None:
    """Rows in every notice admin for the personal-data walk (tests/yiling/test_admin_lookups.py): a
    notice and its email to an account in the first street, its progress report on a task, the
    street's group robot."""
    from django.utils import timezone

    from yiling.notices.models import NoticeKind
    from yiling.notices.registry import Draft, Rule

    reader = user_with_role(
        Role.COMPOUND_SECRETARY, organization=tree["compound_a"], phone="13700001111", email="reader@example.cn"
    )
    today = timezone.localdate()
    rule = Rule(
        name="test.walk",
        kind=NoticeKind.FUNDING,
        label="walk",
        collect=lambda as_of: [Draft(subject_key="s", period="p", title="经费提醒", recipients=[reader.pk])],
    )
    services.run_rule(rule, as_of=today)
    services.street_webhook_set(street=tree["street_a"].unit, url="https://robot.invalid/send?key=k")
    _programme, (task,) = programme_with_tasks([tree["compound_a"]], due_on=today)
    services.progress_report(task=task, percent=10, by=reader)
