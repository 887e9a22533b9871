"""The alliances to-do item: joint meetings not minuted, for the park's staff and those above, with the
link to the alliance's meetings; nothing for a user outside the reach; one query whatever the rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliances import services, todos
from organizations.models import Role
from tests.organizations.factories import user_with_role
from yiling import todos as registry

from .factories import make_alliance, park_secretary

pytestmark = pytest.mark.django_db

HELD = date(2025, 3, 6)


def meeting(alliance, host, *, minutes: str = ""):
    return services.joint_meeting_record(alliance=alliance, held_on=HELD, host=host, topic="联席会", minutes=minutes)


def test_the_item_is_registered_by_alliances_with_a_definition():
    item = {i.name: i for i in registry.registered()}["meetings_not_minuted"]
    assert item.app_label == "alliances" and str(item.definition)


def test_the_park_secretary_sees_the_meetings_without_minutes_by_alliance(tree):
    secretary = park_secretary(tree)
    district = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    first, second = make_alliance(tree, members=2), make_alliance(tree, members=2)
    meeting(first, tree["branches"][0])
    meeting(first, tree["branches"][1])
    meeting(second, tree["branches"][0], minutes="纪要")
    entries = todos.meetings_not_minuted(secretary)
    assert [(e.where, e.count, e.url) for e in entries] == [(first.name, 2, first.get_absolute_url() + "#meetings")]
    assert sum(e.count for e in todos.meetings_not_minuted(district)) == 2
    # Outside the reach: another park's staff, a street's staff.
    assert todos.meetings_not_minuted(user_with_role(Role.STREET_STAFF, organization=tree["other_park"])) == []
    assert todos.meetings_not_minuted(user_with_role(Role.STREET_STAFF, organization=tree["street"])) == []
    services.joint_meeting_minute(meeting=first.meetings.first(), minutes="补写纪要")
    assert sum(e.count for e in todos.meetings_not_minuted(secretary)) == 1


def test_the_item_reads_in_one_query_whatever_the_number_of_meetings(tree):
    secretary = park_secretary(tree)

    def queries() -> int:
        user = type(secretary).objects.get(pk=secretary.pk)
        with CaptureQueriesContext(connection) as ctx:
            assert todos.meetings_not_minuted(user)
        return len(ctx.captured_queries)

    meeting(make_alliance(tree, members=1), tree["branches"][0])
    few = queries()
    for _ in range(4):
        alliance = make_alliance(tree, members=2)
        meeting(alliance, tree["branches"][0])
        meeting(alliance, tree["branches"][1])
    assert queries() == few <= 2
