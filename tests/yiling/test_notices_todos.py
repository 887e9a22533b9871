"""The unread-notices item of the work page: the user's own counter, linked to the unread inbox."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Role
from tests.organizations.factories import district_tree, user_with_role
from yiling import todos
from yiling.notices import registry, services
from yiling.notices import todos as notice_todos
from yiling.notices.models import NoticeKind
from yiling.notices.registry import Draft

from .seeding import FAST_HASHERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def notify(user, n: int) -> None:
    rule = registry.Rule(
        name="test.todo",
        kind=NoticeKind.TASK,
        label="t",
        collect=lambda as_of: [
            Draft(subject_key=f"s{i}", period="p", title=f"t{i}", recipients=[user.pk]) for i in range(n)
        ],
    )
    services.run_rule(rule, as_of=date(2026, 12, 1))


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_the_item_is_registered_with_a_definition():
    item = {i.name: i for i in todos.registered()}["unread_notices"]
    assert item.app_label == "yiling" and str(item.definition)


def test_unread_notices_count_for_their_recipient_only_and_link_to_the_unread_inbox():
    tree = district_tree()
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    other = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_b"])
    notify(secretary, 3)
    [entry] = notice_todos.unread_notices(fresh(secretary))
    assert entry.count == 3 and entry.url == reverse("notices:inbox") + "?unread=1"
    assert notice_todos.unread_notices(fresh(other)) == []
    services.notices_mark_all_read(user=secretary)
    assert notice_todos.unread_notices(fresh(secretary)) == []


def test_the_item_costs_no_query():
    user = user_with_role(Role.STREET_STAFF, organization=district_tree()["street_a"])
    notify(user, 2)
    user = fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        assert notice_todos.unread_notices(user)[0].count == 2
    assert len(ctx.captured_queries) == 0
