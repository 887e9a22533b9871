"""The liaisons selectors read a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import pytest

from liaisons import selectors, services
from liaisons.models import Demand, State

from .factories import long_ago, raise_demand

pytestmark = pytest.mark.django_db


def _add(world, n):
    for i in range(n):
        demand = raise_demand(world["compound_a_unit"], title=f"问题{i}", state=State.RESOLVED)
        raise_demand(world["bare_b"], title=f"别处{i}", state=State.ACCEPTED)
        services.deliberation_record(
            compound=world["compound_a_unit"],
            held_on=long_ago(1),
            topic=f"议事{i}",
            attendees="张三",
            attendance=1,
            decisions="同意",
            demands=[demand],
        )


READS = {
    "liaison_list": lambda u, w: list(selectors.liaison_list(user=u)),
    "demand_list": lambda u, w: [d.liaison.agency.name for d in selectors.demand_list(user=u)],
    "demand_get": lambda u, w: [
        s.by_name for s in selectors.demand_get(user=u, pk=Demand.objects.order_by("pk").first().pk).steps.all()
    ],
    "deliberation_list": lambda u, w: [d.compound.name for d in selectors.deliberation_list(user=u)],
    "by_agency": lambda u, w: selectors.by_group(Demand.objects.visible_to(u), "liaison__agency__name"),
    "by_street": lambda u, w: selectors.by_group(Demand.objects.visible_to(u), "compound__parent__parent__name"),
    "median": lambda u, w: selectors.median_days(Demand.objects.visible_to(u)),
    "unpaired": lambda u, w: list(selectors.unpaired_compounds(w["street_a"])),
}


@pytest.mark.parametrize("read", READS)
def test_selectors_read_a_fixed_number_of_queries(world, read, django_assert_num_queries):
    user = world["users"]["district_staff"]
    _add(world, 1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    READS[read](user, world)  # the user's assignments, read once
    with CaptureQueriesContext(connection) as few:
        READS[read](user, world)
    _add(world, 4)
    with django_assert_num_queries(len(few.captured_queries)):
        READS[read](user, world)


def test_by_group_counts_and_medians(world):
    raise_demand(world["compound_a_unit"], title="甲已解决", state=State.CONFIRMED)
    raise_demand(world["compound_a_unit"], title="甲开放")
    raise_demand(world["bare_b"], title="乙开放")
    rows = {r["name"]: r for r in selectors.by_group(Demand.objects.all(), "liaison__agency__name")}
    assert rows["区委办公室"] == {"name": "区委办公室", "open": 1, "overdue": 1, "resolved": 1, "median_days": 20.0}
    assert rows["区人大办"]["open"] == 1 and rows["区人大办"]["median_days"] is None
