"""The figures of 单位联小区, for the district and for a street."""

from __future__ import annotations

import pytest
from django.db.models import Q

from liaisons.models import Demand, State
from yiling.indicators import compute_all, registered

from .factories import raise_demand

pytestmark = pytest.mark.django_db


def test_figures_for_the_district_and_a_street(world, django_assert_max_num_queries):
    raise_demand(world["compound_a_unit"], title="未解决")  # open and overdue (due five days ago)
    raise_demand(world["compound_a_unit"], title="已解决", state=State.RESOLVED)
    raise_demand(world["bare_b"], title="已确认", state=State.CONFIRMED)
    # Both resolved today, 20 days after being raised: the median is 20.
    assert Demand.objects.filter(Q(state="resolved") | Q(state="confirmed")).count() == 2
    values = compute_all(None)
    assert values["agencies"] == 2
    assert values["paired_compounds"] == 2  # 甲小区 and 乙社区无支部小区; 乙小区's pairing has ended
    assert values["unpaired_compounds"] == 1
    assert (values["problems_open"], values["problems_overdue"], values["problems_resolved"]) == (1, 1, 2)
    assert values["median_days_to_resolve"] == 20.0
    street_b = compute_all(world["street_b"])
    assert (street_b["paired_compounds"], street_b["problems_open"], street_b["median_days_to_resolve"]) == (0, 0, None)
    for indicator in registered():
        if indicator.app_label == "liaisons":
            with django_assert_max_num_queries(1):
                indicator.compute(world["comm_a"])
