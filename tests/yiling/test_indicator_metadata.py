"""What each figure says about itself: its definition, the parts of a rate, the list behind it, the
readable form of its value, and the same figure for many subtrees at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import NoReverseMatch
from django.utils import timezone, translation

from organizations import services
from organizations.models import Activity, ActivityKind, UnitType
from tests.organizations.factories import district_tree, make_org
from tests.organizations.test_governance_selectors import govern
from yiling import indicators


@pytest.fixture
def registry(monkeypatch):
    copy = dict(indicators._REGISTRY)
    monkeypatch.setattr(indicators, "_REGISTRY", copy)
    return copy


def test_every_rate_names_parts_that_are_registered():
    assert indicators.missing_parts() == []
    rates = [ind for ind in indicators.registered() if ind.numerator]
    assert {"cross_appointment_rate", "fund_execution_rate", "compound_organization_coverage"} <= {
        r.name for r in rates
    }
    assert all(r.kind == indicators.Kind.PERCENT for r in rates)


@pytest.mark.parametrize("app_label", ["organizations", "members"])
def test_the_figures_of_the_landed_apps_say_what_they_count_and_link_to_a_list(app_label):
    figures = [ind for ind in indicators.registered() if ind.app_label == app_label]
    assert figures
    for ind in figures:
        assert str(ind.definition), ind.name
        try:
            assert ind.url(None).startswith("/"), ind.name
        except NoReverseMatch:  # pragma: no cover - the message names the figure
            pytest.fail(f"{ind.name}: its link names no page")


def test_a_figure_declared_the_old_way_still_registers_and_reads(registry):
    @indicators.indicator("test_plain", "Plain count")
    def plain(scope):
        return 12345

    figure = indicators.get("test_plain")
    assert (figure.definition, figure.numerator, figure.link, figure.kind) == ("", "", None, indicators.Kind.COUNT)
    assert figure.url() == ""
    assert figure.display(12345) == "12345"
    assert figure.readable(12345) == "12,345"
    assert not figure.groups_in_one_go


def test_a_rate_needs_both_parts():
    with pytest.raises(ValueError, match="test_half"):
        indicators.indicator("test_half", "Half a rate", numerator="compounds")


def test_readable_values():
    with translation.override("zh-hans"):
        assert indicators.get("funds_allocated").readable(Decimal("1234567.5")) == "1,234,567.50 元"
        assert indicators.get("cross_appointment_rate").readable(Decimal("42.4")) == "42.4%"
        assert indicators.get("compounds").readable(None) == "—"
        assert (
            indicators.get("members_by_category")
            .readable({"in_service": 1200, "retired": 3})
            .startswith("在职党员：1,200")
        )


@pytest.mark.django_db
def test_figures_per_subtree_equal_the_figures_of_each_subtree_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    tree = district_tree()
    govern(tree["compound_a"], seats=4, expenses=3)
    govern(tree["compound_b"], seats=2, expenses=1)
    extra = make_org(tree["comm_c"], unit_type=UnitType.COMPOUND, unit_parent=tree["comm_c"].unit)
    govern(extra, seats=3, expenses=0)
    Activity.objects.create(
        compound=tree["compound_a"].unit,
        kind=ActivityKind.values[0],
        title="议事",
        held_on=timezone.localdate(),
        attendance=9,
    )
    services.organization_update(organization=tree["compound_b"], is_active=False)
    scopes = [tree["street_a"], tree["street_b"]]
    grouped = [ind for ind in indicators.registered() if ind.groups_in_one_go]
    assert {"compounds", "cross_appointment_rate", "fund_execution_rate", "compound_work_coverage"} <= {
        g.name for g in grouped
    }
    for ind in grouped:
        one_by_one = {s.pk: ind.compute(s) for s in scopes}
        with django_assert_max_num_queries(2):
            assert ind.compute_per_subtree(scopes) == one_by_one, ind.name
    more = [tree["comm_a"], tree["comm_b"], tree["comm_c"]]
    mixed = [tree["street_b"], tree["comm_a"], tree["compound_b"]]  # disjoint, of three depths
    for scopes in (more, mixed):
        for ind in grouped:
            expected = {s.pk: ind.compute(s) for s in scopes}
            with django_assert_max_num_queries(2):
                assert ind.compute_per_subtree(scopes) == expected, ind.name


@pytest.mark.django_db
def test_a_page_counts_a_shared_part_once(django_assert_num_queries):
    tree = district_tree()
    govern(tree["compound_a"])
    scopes = [tree["comm_a"], tree["comm_b"]]
    memo: dict = {}
    with django_assert_num_queries(3):  # compounds, with a branch, with party work: once each
        organization = indicators.get("compound_organization_coverage").compute_per_subtree(scopes, memo)
        work = indicators.get("compound_work_coverage").compute_per_subtree(scopes, memo)
        indicators.get("compounds").compute_per_subtree(scopes, memo)
    assert organization == {tree["comm_a"].pk: Decimal("100.0"), tree["comm_b"].pk: Decimal("50.0")}
    assert work[tree["comm_a"].pk] == Decimal("0.0")
