"""Many leaf organizations added at once land where add_child would put them, with their history."""

from __future__ import annotations

import pytest

from organizations import services
from organizations.models import Organization, OrgKind, Unit, UnitType

from .factories import make_org

pytestmark = pytest.mark.django_db


def test_bulk_children_are_placed_in_code_order_among_siblings():
    root = services.organization_create(parent=None, code="R", name="区委", kind=OrgKind.COMMITTEE)
    for code in ("R-B", "R-D"):
        services.organization_create(parent=root, code=code, name=code, kind=OrgKind.BRANCH)
    children = [Organization(code=c, name=c, kind=OrgKind.BRANCH) for c in ("R-E", "R-A", "R-C")]
    services.organization_children_create_bulk(parent=root, children=children)
    root.refresh_from_db()
    assert [o.code for o in Organization.objects.get_children(root)] == ["R-A", "R-B", "R-C", "R-D", "R-E"]
    assert root.numchild == 5
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert Organization.history.filter(code="R-C", history_type="+").exists()
    # the tree goes on working as before
    services.organization_create(parent=root, code="R-BB", name="R-BB", kind=OrgKind.BRANCH)
    assert [o.code for o in Organization.objects.get_children(root)][:3] == ["R-A", "R-B", "R-BB"]


def test_bulk_children_fall_back_one_by_one_when_a_sibling_has_children():
    root = services.organization_create(parent=None, code="R", name="区委", kind=OrgKind.COMMITTEE)
    parent = make_org(root, name="甲")
    make_org(parent, name="甲下")
    services.organization_children_create_bulk(parent=root, children=[Organization(code="A", name="A", kind="branch")])
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert Organization.objects.get_parent(Organization.objects.get(code="A")) == root


def test_units_in_bulk_are_validated_and_handed_over():
    root = services.organization_create(parent=None, code="R", name="区委", kind=OrgKind.COMMITTEE)
    units = services.units_create_bulk(
        units=[Unit(code=f"U{i}", name=f"企业{i}", unit_type=UnitType.ENTERPRISE, organization=root) for i in range(3)]
    )
    orgs = services.organization_children_create_bulk(
        parent=root,
        children=[Organization(code=f"O{i}", name=f"支部{i}", kind="branch", unit=u) for i, u in enumerate(units)],
    )
    services.units_cover_bulk(units=units, organizations=orgs)
    assert [u.organization.code for u in Unit.objects.order_by("code")] == ["O0", "O1", "O2"]
    assert Unit.history.filter(code="U0").count() == 2
    with pytest.raises(Exception, match="code"):
        services.units_create_bulk(
            units=[Unit(code="U0", name="重复", unit_type=UnitType.ENTERPRISE, organization=root)]
        )
