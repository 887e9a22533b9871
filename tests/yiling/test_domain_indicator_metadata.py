"""The figures of merchants, liaisons and alliances say what they count, link to the list behind them,
and a rate names the registered figures it divides (so a page can show "75% = 3 / 4")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch
from django.utils import timezone

from liaisons.models import State
from merchants import services as merchant_services
from merchants.models import Feedback
from tests.liaisons.factories import liaison_world, raise_demand
from tests.merchants.factories import make_market, make_merchant
from tests.organizations.factories import district_tree
from yiling import indicators


@pytest.mark.parametrize("app_label", ["merchants", "liaisons", "alliances"])
def test_the_figures_of_the_domain_apps_say_what_they_count_and_link_to_a_list(app_label):
    figures = [ind for ind in indicators.registered() if ind.app_label == app_label]
    assert figures
    for ind in figures:
        assert str(ind.definition), ind.name
        try:
            assert ind.url(None).startswith("/"), ind.name
        except NoReverseMatch:  # pragma: no cover - the message names the figure
            pytest.fail(f"{ind.name}: its link names no page")


def test_the_rates_of_the_domain_apps_name_their_parts():
    assert indicators.missing_parts() == []
    rates = {
        ind.name: (ind.numerator, ind.denominator)
        for ind in indicators.registered()
        if ind.app_label in ("merchants", "liaisons", "alliances") and ind.kind == indicators.Kind.PERCENT
    }
    assert rates == {
        "complaints_resolved_on_time_rate": ("complaints_closed_on_time", "complaints_closed"),
        "problem_resolution_rate": ("problems_resolved", "problems_raised"),
    }


@pytest.mark.django_db
def test_a_rate_equals_its_numerator_over_its_denominator():
    tree = district_tree()
    world = liaison_world(tree)
    compound = world["compound_a_unit"]
    for title, state in (("一", State.RESOLVED), ("二", State.CONFIRMED), ("三", State.RAISED), ("四", State.RAISED)):
        raise_demand(compound, title=title, state=state)
    market = make_market(tree["street_a"])
    merchant = make_merchant(market)
    today = timezone.localdate()
    for n, late in enumerate((False, False, True)):
        complaint = merchant_services.feedback_submit(merchant=merchant, kind=Feedback.Kind.COMPLAINT, text=f"投诉{n}")
        if late:
            Feedback.objects.filter(pk=complaint.pk).update(due_on=today - timedelta(days=1))
            complaint.refresh_from_db()
        merchant_services.complaint_close(feedback=complaint, result="已处理", by=None)

    for rate, expected in (("problem_resolution_rate", (2, 4)), ("complaints_resolved_on_time_rate", (2, 3))):
        figure = indicators.get(rate)
        part, whole = indicators.get(figure.numerator).compute(None), indicators.get(figure.denominator).compute(None)
        assert (part, whole) == expected
        assert (
            figure.compute(None)
            == indicators.percent(part, whole)
            == Decimal(100 * part / whole).quantize(Decimal("0.1"))
        )
        scopes = [tree["street_a"], tree["street_b"]]
        per = figure.compute_per_subtree(scopes)
        assert per[tree["street_a"].pk] == figure.compute(tree["street_a"])
