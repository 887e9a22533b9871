"""Test data of the liaisons app, built through the services on the small district of
``tests.organizations.factories.district_tree``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from liaisons import services
from liaisons.models import Category, Demand, State
from organizations.models import Role, UnitType
from tests.organizations.factories import make_unit, user_with_role

#: Where each state is reached from RAISED, the moves in order.
PATH_TO = {
    State.RAISED: [],
    State.ACCEPTED: [State.ACCEPTED],
    State.IN_PROGRESS: [State.ACCEPTED, State.IN_PROGRESS],
    State.RESOLVED: [State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED],
    State.CONFIRMED: [State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.CONFIRMED],
    State.REOPENED: [State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.REOPENED],
}


def long_ago(days: int = 60) -> date:
    return timezone.localdate() - timedelta(days=days)


def liaison_world(tree: dict[str, Any]) -> dict[str, Any]:
    """``tree`` with a second agency, pairings (agency ↔ 甲小区, agency B ↔ 乙社区无支部小区, an ended one of
    agency B with 乙小区) and a user for each role that matters to a problem of 甲小区."""
    world = dict(tree)
    world["agency_b"] = make_unit(UnitType.AGENCY, tree["root"], name="区人大办")
    world["compound_a_unit"] = tree["compound_a"].unit
    world["compound_b_unit"] = tree["compound_b"].unit
    world["liaison_a"] = services.liaison_start(
        agency=tree["agency"], compound=tree["compound_a"].unit, started_on=long_ago(), agency_contact="王科长"
    )
    world["liaison_ended"] = services.liaison_start(
        agency=world["agency_b"], compound=tree["compound_b"].unit, started_on=long_ago(90), ended_on=long_ago(30)
    )
    world["liaison_bare"] = services.liaison_start(
        agency=world["agency_b"], compound=tree["bare_b"], started_on=long_ago(30)
    )
    world["users"] = {
        "contact": user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"], password=None),
        "other_contact": user_with_role(Role.AGENCY_CONTACT, unit=world["agency_b"], password=None),
        "compound_secretary": user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"], password=None),
        "community_secretary": user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], password=None),
        "street_staff": user_with_role(Role.STREET_STAFF, organization=tree["street_a"], password=None),
        "district_staff": user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], password=None),
        "other_secretary": user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_b"], password=None),
        "other_street": user_with_role(Role.STREET_STAFF, organization=tree["street_b"], password=None),
        "merchant": user_with_role(Role.MERCHANT, unit=tree["shop"], password=None),
    }
    return world


def raise_demand(compound: Any, *, title: str = "单元门禁损坏", state: str = State.RAISED, **extra: Any) -> Demand:
    """A problem of ``compound`` moved by the system (``by=None``) to ``state``."""
    fields = {"category": Category.REPAIR, "raised_on": long_ago(20), "due_on": long_ago(5), **extra}
    demand = services.demand_raise(compound=compound, title=title, **fields)
    for to_state in PATH_TO[state]:
        services.demand_move(demand=demand, to_state=to_state, note="处理说明")
    return demand
