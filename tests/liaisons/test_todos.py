"""The liaisons to-do items: problems waiting on the agency (to accept, to resolve) and on the compound
(to confirm), counted for the right user with their links, nothing outside the reach, in a fixed
number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from liaisons import todos
from liaisons.models import State
from yiling import todos as registry

from .factories import raise_demand

pytestmark = pytest.mark.django_db


def by_where(entries) -> dict[str, int]:
    return {e.where: e.count for e in entries}


def demand_list(code: str, state: str) -> str:
    return reverse("liaisons:demand-list") + "?" + urlencode({"compound": code, "state": state})


def test_the_items_are_registered_by_liaisons_with_a_definition():
    items = {item.name: item for item in registry.registered()}
    for name in ("problems_to_accept", "problems_to_resolve", "problems_to_confirm"):
        assert items[name].app_label == "liaisons" and str(items[name].definition)


def test_the_agency_contact_sees_what_to_accept_and_to_resolve_at_its_paired_compound(world):
    compound = world["compound_a_unit"]
    users = world["users"]
    raise_demand(compound, title="一")
    raise_demand(compound, title="二")
    raise_demand(compound, title="三", state=State.REOPENED)
    raise_demand(compound, title="四", state=State.IN_PROGRESS)
    raise_demand(compound, title="五", state=State.RESOLVED)
    raise_demand(world["bare_b"], title="别家")  # agency B's compound

    accept = todos.problems_to_accept(users["contact"])
    assert by_where(accept) == {
        f"{compound.name} · {State.RAISED.label}": 2,
        f"{compound.name} · {State.REOPENED.label}": 1,
    }
    assert demand_list(compound.code, "raised") in {e.url for e in accept}
    resolve = todos.problems_to_resolve(users["contact"])
    assert [(e.count, e.url) for e in resolve] == [(1, demand_list(compound.code, "in_progress"))]
    # The other agency's contact counts its own compound only; the compound side accepts nothing.
    assert sum(e.count for e in todos.problems_to_accept(users["other_contact"])) == 1
    assert todos.problems_to_accept(users["compound_secretary"]) == []
    assert todos.problems_to_resolve(users["street_staff"]) == []


def test_the_compound_side_confirms_what_the_agency_resolved(world):
    compound = world["compound_a_unit"]
    users = world["users"]
    raise_demand(compound, title="一", state=State.RESOLVED)
    raise_demand(compound, title="二", state=State.RESOLVED)
    raise_demand(compound, title="三", state=State.CONFIRMED)
    raise_demand(compound, title="四")

    entries = todos.problems_to_confirm(users["compound_secretary"])
    assert [(e.count, e.url) for e in entries] == [(2, demand_list(compound.code, "resolved"))]
    assert sum(e.count for e in todos.problems_to_confirm(users["street_staff"])) == 2
    # Outside the reach: another compound's secretary, another street; the agency never confirms.
    for outsider in ("other_secretary", "other_street", "contact", "merchant"):
        assert todos.problems_to_confirm(users[outsider]) == [], outsider


def test_an_agency_contact_who_is_also_the_compound_secretary_does_not_confirm_its_own_work(world):
    from organizations import services as org_services
    from organizations.models import Role

    contact = world["users"]["contact"]
    org_services.role_assign(user=contact, role=Role.COMPOUND_SECRETARY, organization=world["compound_a"], unit=None)
    raise_demand(world["compound_a_unit"], state=State.RESOLVED)
    assert todos.problems_to_confirm(contact) == []


def test_each_item_reads_in_one_query_whatever_the_number_of_problems(world):
    users = world["users"]

    def queries() -> list[int]:
        found = []
        for item, user in (
            (todos.problems_to_accept, users["contact"]),
            (todos.problems_to_resolve, users["contact"]),
            (todos.problems_to_confirm, users["street_staff"]),
        ):
            user = type(user).objects.get(pk=user.pk)  # a fresh request's user: roles not yet cached
            with CaptureQueriesContext(connection) as ctx:
                assert item(user)
            found.append(len(ctx.captured_queries))
        return found

    for title in ("一", "二"):
        for state in (State.RAISED, State.IN_PROGRESS, State.RESOLVED):
            raise_demand(world["compound_a_unit"], title=title, state=state)
    few = queries()
    for n in range(4):
        for state in (State.RAISED, State.IN_PROGRESS, State.RESOLVED):
            raise_demand(world["compound_a_unit"], title=f"多{n}", state=state)
    assert queries() == few
    assert max(few) <= 3
