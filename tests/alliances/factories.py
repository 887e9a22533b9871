"""Alliances test data, written through the services as the portal writes it."""

from __future__ import annotations

import itertools
from datetime import date

from alliances import services
from organizations.models import OrgKind, Role, UnitType
from tests.organizations.factories import make_org, make_unit, user_with_role

_seq = itertools.count(1)


def park_tree(branches: int = 4) -> dict:
    """A district with a street and a park; the park committee has ``branches`` enterprise branches."""
    root = make_org(None, name="区委", kind=OrgKind.COMMITTEE, unit_type=UnitType.DISTRICT)
    park = make_org(root, name="开发区党工委", kind=OrgKind.WORKING_COMMITTEE, unit_type=UnitType.PARK)
    other_park = make_org(root, name="工业园党委", kind=OrgKind.COMMITTEE, unit_type=UnitType.PARK)
    street = make_org(root, name="街道党工委", kind=OrgKind.WORKING_COMMITTEE, unit_type=UnitType.STREET)
    firms = [
        make_org(park, name=f"企业{i}党支部", unit_type=UnitType.ENTERPRISE, unit_parent=park.unit)
        for i in range(1, branches + 1)
    ]
    other_firm = make_org(other_park, name="外园企业党支部", unit_type=UnitType.ENTERPRISE, unit_parent=other_park.unit)
    return {
        "root": root,
        "park": park,
        "other_park": other_park,
        "street": street,
        "branches": firms,
        "other_branch": other_firm,
    }


def make_alliance(tree: dict, *, members: int | None = None, joined_on: date = date(2024, 1, 10)):
    park = tree["park"]
    alliance = services.alliance_create(
        code=f"AL{next(_seq):04d}", name=f"联盟{next(_seq)}", park=park.unit, committee=park, formed_on=date(2024, 1, 1)
    )
    for branch in tree["branches"][: members if members is not None else len(tree["branches"])]:
        services.membership_add(alliance=alliance, branch=branch, joined_on=joined_on)
    return alliance


def park_secretary(tree: dict):
    return user_with_role(Role.STREET_STAFF, organization=tree["park"])


def make_enterprise(tree: dict, *, name: str | None = None, parent=None):
    return make_unit(UnitType.ENTERPRISE, tree["park"], name=name, parent=parent or tree["park"].unit)
