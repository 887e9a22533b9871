"""The alliance figures, exact on a small tree, for the district and for a park's subtree."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from alliances import indicators, services
from alliances.models import FormationMode
from tests.members.factories import make_member

from .factories import make_alliance, make_enterprise

pytestmark = pytest.mark.django_db


def test_figures_for_the_district_and_for_a_park(tree):
    alliance = make_alliance(tree, members=3)
    a, b, c, d = tree["branches"]
    services.membership_end(membership=alliance.memberships.get(branch=c), left_on=date(2025, 1, 1))
    for branch in (a, b, c, d, tree["other_branch"]):
        services.enterprise_profile_save(
            unit=branch.unit, formation_mode=FormationMode.STANDALONE, branch=branch, is_large_scale=branch != d,
            is_demonstration_site=branch in (a, tree["other_branch"]),
        )  # fmt: skip
    # a firm sharing a's branch (联合建) is in the alliance through it
    shared = make_enterprise(tree)
    services.enterprise_profile_save(unit=shared, formation_mode=FormationMode.JOINT, branch=a)
    services.instructor_assign(enterprise=a.unit, instructor_name="甲", started_on=date(2025, 1, 1))
    services.instructor_assign(enterprise=tree["other_branch"].unit, instructor_name="乙", started_on=date(2025, 1, 1))
    for _ in range(2):
        make_member(home_organization=a)
    make_member(home_organization=tree["other_branch"])
    make_member(home_organization=tree["street"])
    services.joint_meeting_record(alliance=alliance, held_on=timezone.localdate(), host=a, topic="本季会议")
    services.joint_meeting_record(alliance=alliance, held_on=date(2024, 2, 1), host=b, topic="旧会议")

    district = {name: getattr(indicators, name)(None) for name in (
        "alliances", "alliance_member_enterprises", "enterprise_branches", "enterprise_branch_members",
        "demonstration_sites", "large_enterprises", "large_enterprises_with_instructor", "joint_meetings_this_quarter",
    )}  # fmt: skip
    assert district == {
        "alliances": 1,
        "alliance_member_enterprises": 3,  # a, the firm sharing a's branch, b (c has left)
        "enterprise_branches": 5,
        "enterprise_branch_members": 3,
        "demonstration_sites": 2,
        "large_enterprises": 4,
        "large_enterprises_with_instructor": 2,
        "joint_meetings_this_quarter": 1,
    }
    other = tree["other_park"]
    assert indicators.alliances(other) == 0
    assert indicators.enterprise_branches(other) == 1
    assert indicators.enterprise_branch_members(other) == 1
    assert indicators.large_enterprises_with_instructor(other) == 1
    assert indicators.alliance_member_enterprises(tree["park"]) == 3
