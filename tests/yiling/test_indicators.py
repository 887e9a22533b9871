"""The indicator registry and the ``indicators`` command that prints its figures."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.organizations.factories import district_tree, make_org
from yiling import indicators

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return district_tree()


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry for the test to change; the real one is restored afterwards."""
    copy = dict(indicators._REGISTRY)
    monkeypatch.setattr(indicators, "_REGISTRY", copy)
    return copy


def run(*args: str) -> str:
    out = StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    output = run("--format", "json", *args)
    assert len(output.strip().splitlines()) == 1, output
    return json.loads(output)


# --- the command --------------------------------------------------------------------------------


def test_json_for_the_whole_district(tree):
    values = run_json()
    assert set(values) == {ind.name for ind in indicators.registered()}
    assert {"organizations", "communities", "streets"} <= set(values)
    assert (values["organizations"], values["communities"], values["streets"]) == (8, 3, 2)


def test_json_for_one_community(tree):
    values = run_json("--scope", tree["comm_a"].code)
    assert (values["organizations"], values["communities"], values["streets"]) == (2, 1, 0)


def test_json_for_a_street_counts_its_subtree(tree):
    values = run_json("--scope", tree["street_a"].code)
    assert (values["organizations"], values["communities"], values["streets"]) == (5, 2, 1)


def test_inactive_organizations_are_not_counted(tree):
    from organizations import services

    services.organization_update(organization=tree["compound_a"], is_active=False)
    assert run_json("--scope", tree["comm_a"].code)["organizations"] == 1
    assert run_json()["organizations"] == 7


def test_table_prints_every_figure_with_its_label(tree):
    with translation.override("zh-hans"):
        output = run("--scope", tree["comm_b"].code)
        labels = {ind.name: str(ind.label) for ind in indicators.registered()}

    lines = output.splitlines()
    assert lines[0] == "乙社区党委"
    rows = {}
    for line in lines[1:]:
        name, value, label = line.split(maxsplit=2)
        rows[name] = (value, label)
    assert set(rows) == set(labels)
    assert rows["organizations"] == ("2", labels["organizations"])
    assert rows["communities"] == ("1", labels["communities"])
    assert rows["streets"] == ("0", labels["streets"])


def test_table_for_the_whole_district(tree):
    output = run()
    rows = {line.split()[0]: line.split()[1] for line in output.splitlines()[1:]}
    assert (rows["organizations"], rows["communities"], rows["streets"]) == ("8", "3", "2")


def test_unknown_scope_is_an_error(tree):
    with pytest.raises(CommandError) as excinfo:
        run("--scope", "NO-SUCH-ORG")
    assert "NO-SUCH-ORG" in str(excinfo.value)


def test_figures_follow_the_tree(tree):
    make_org(tree["comm_c"], name="丙小区党支部")
    assert run_json("--scope", tree["street_b"].code)["organizations"] == 3


# --- the registry -------------------------------------------------------------------------------


def test_organizations_app_registers_its_figures():
    by_name = {ind.name: ind for ind in indicators.registered()}
    assert {"organizations", "communities", "streets"} <= set(by_name)
    assert by_name["communities"].app_label == "organizations"


def test_registering_a_taken_name_from_another_function_is_refused(registry):
    def other(scope):
        return 0

    with pytest.raises(ValueError, match="organizations"):
        indicators.indicator("organizations", "Another count")(other)
    assert indicators._REGISTRY["organizations"].compute is not other


def test_registering_the_same_function_again_is_harmless(registry):
    existing = indicators._REGISTRY["streets"]
    assert indicators.indicator("streets", existing.label)(existing.compute) is existing.compute
    assert [ind.name for ind in indicators.registered()].count("streets") == 1


def test_a_new_figure_appears_in_the_command_output(tree, registry):
    @indicators.indicator("test_ratio", "Test ratio")
    def ratio(scope):
        return Decimal("1.50") if scope is None else Decimal("0.25")

    assert indicators.compute_all(None)["test_ratio"] == Decimal("1.50")
    assert run_json()["test_ratio"] == 1.5
    assert run_json("--scope", tree["comm_a"].code)["test_ratio"] == 0.25
    assert [ind.name for ind in indicators.registered()][-1] == "test_ratio"


def test_registry_is_restored_after_a_test_changed_it():
    # Runs after the tests above: their additions went to a copy.
    assert "test_ratio" not in {ind.name for ind in indicators.registered()}


def test_a_breakdown_is_shown_with_the_labels_of_its_keys(registry):
    @indicators.indicator("test_breakdown", "Test breakdown", key_labels={"a": "甲类", "b": "乙类"})
    def breakdown(scope):
        return {"a": 3, "b": 0}

    figure = indicators._REGISTRY["test_breakdown"]
    with translation.override("zh-hans"):
        assert figure.display(breakdown(None)) == "甲类：3，乙类：0"
    with translation.override("en"):
        assert figure.display(breakdown(None)) == "甲类: 3, 乙类: 0"
    assert figure.display(None) == "—"
