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


def alliance_rows(committee, *, instructor=None) -> dict:
    """One row of every alliances model under ``committee`` (any organization), for the tests that walk
    every admin and every export: an enterprise branch in a park, its profile and building, an alliance
    with a meeting (and so a hosting turn), a joint and an own activity, a shared resource booked, an
    instructor (the member ``instructor`` when given) and a visit."""
    from alliances.models import FormationMode, ResourceKind

    day = date(2024, 5, 6)
    park = make_unit(UnitType.PARK, committee, name="联盟园区")
    branch = make_org(committee, name="联盟企业党支部", unit_type=UnitType.ENTERPRISE, unit_parent=park)
    building = services.building_create(code=f"BLD{next(_seq)}", name="联盟楼宇", park=park, address="园区路1号")
    services.enterprise_profile_save(
        unit=branch.unit, building=building, formation_mode=FormationMode.STANDALONE, branch=branch,
        is_large_scale=True, party_members=3,
    )  # fmt: skip
    alliance = services.alliance_create(
        code=f"AL{next(_seq):04d}", name="园区党建联盟", park=park, committee=committee, formed_on=date(2024, 1, 1)
    )
    services.membership_add(alliance=alliance, branch=branch, joined_on=date(2024, 1, 2))
    services.joint_meeting_record(
        alliance=alliance, held_on=day, host=branch, topic="联席会议", minutes="纪要", decisions="决定"
    )
    plan = services.joint_activity_plan(
        alliance=alliance, year=2024, title="轮流观摩", kind="observation", planned_on=day
    )
    services.own_activity_record(alliance=alliance, branch=branch, title="主题党日", held_on=day, joint_activity=plan)
    room = services.resource_add(
        alliance=alliance, name="活动室", kind=ResourceKind.ROOM, provider=branch, description="60人"
    )
    services.resource_book(resource=room, activity=plan, booked_for=day)
    assignment = services.instructor_assign(
        enterprise=branch.unit, started_on=date(2024, 2, 1),
        **({"member": instructor} if instructor is not None else {"instructor_name": "王指导"}),
    )  # fmt: skip
    services.instructor_visit_log(assignment=assignment, visited_on=day, summary="指导组织生活")
    return {"alliance": alliance, "branch": branch, "park": park}
