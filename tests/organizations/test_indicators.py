"""The compound figures of organizations.indicators, with exact counts on a small tree and the rows
each figure must leave out."""

from __future__ import annotations

import pytest

from organizations import indicators, services
from organizations.models import UnitType

from .factories import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def compounds(tree):
    """district_tree() plus: a joint second branch in compound A, a compound in 甲社区 whose branch was
    dissolved, and a compound with a branch in 丙社区 (乙街道).

    With a branch: compound A (two), compound B, compound C. Without: bare B, the dissolved one.
    """
    joint = make_org(tree["comm_a"], name="甲小区联合支部")
    services.organization_update(organization=joint, unit=tree["compound_a"].unit)
    dissolved = make_org(
        tree["comm_a"], name="甲社区已撤销支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_a"].unit
    )
    services.organization_update(organization=dissolved, is_active=False)
    compound_c = make_org(
        tree["comm_c"], name="丙小区党支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_c"].unit
    )
    return {**tree, "compound_c": compound_c, "dissolved": dissolved}


def test_compound_party_organizations_counts_compounds_with_an_active_branch_once(compounds):
    figure = indicators.compound_party_organizations
    assert indicators.compounds(None) == 5
    assert figure(None) == 3
    assert figure(compounds["street_a"]) == 2
    assert figure(compounds["comm_a"]) == 1
    assert figure(compounds["comm_b"]) == 1  # compound B, not the bare compound
    assert figure(compounds["street_b"]) == 1
    assert figure(compounds["compound_a"]) == 1


def test_red_property_companies_counts_each_red_company_managing_a_compound_once(compounds):
    red = services.property_company_create(code="PC-RED", name="红色物业甲", is_red=True)
    red_c = services.property_company_create(code="PC-RED-C", name="红色物业丙", is_red=True)
    plain = services.property_company_create(code="PC-PLAIN", name="普通物业", is_red=False)
    services.property_company_create(code="PC-IDLE", name="未接管小区的红色物业", is_red=True)
    for unit, company in [
        (compounds["compound_a"].unit, red),
        (compounds["compound_b"].unit, red),
        (compounds["compound_c"].unit, red_c),
        (compounds["bare_b"], plain),
        (compounds["dissolved"].unit, plain),
    ]:
        services.unit_update(unit=unit, property_company=company)

    figure = indicators.red_property_companies
    assert figure(None) == 2
    assert figure(compounds["street_a"]) == 1
    assert figure(compounds["comm_a"]) == 1
    assert figure(compounds["comm_b"]) == 1
    assert figure(compounds["street_b"]) == 1
    services.property_company_update(company=red_c, is_red=False)
    assert figure(None) == 1
    assert figure(compounds["street_b"]) == 0
