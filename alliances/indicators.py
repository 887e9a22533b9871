"""Figures of the park alliances (园区建联盟), for any subtree of the organization tree."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members import selectors as member_selectors
from organizations import selectors as org_selectors
from organizations.models import UnitType
from yiling.indicators import indicator

from .models import Alliance, AllianceMembership, EnterpriseProfile, InstructorAssignment, JointMeeting

if TYPE_CHECKING:
    from organizations.models import Organization

HOME = "alliances:home"
ENTERPRISES = "alliances:enterprise-list"
INSTRUCTORS = "alliances:instructor-list"


def _profiles(scope: Organization | None):  # type: ignore[no-untyped-def]
    return EnterpriseProfile.objects.all().within(scope)


def _enterprise_branches(scope: Organization | None):  # type: ignore[no-untyped-def]
    return org_selectors.organizations_within(scope).active().filter(unit__unit_type=UnitType.ENTERPRISE)


@indicator(
    "alliances",
    _("Party-building alliances"),
    definition=_("Party-building alliances (党建联盟) led by a committee of the subtree."),
    link=HOME,
)
def alliances(scope: Organization | None) -> int:
    return Alliance.objects.all().within(scope).count()


@indicator(
    "alliance_member_enterprises",
    _("Enterprises in alliances"),
    definition=_("Enterprises whose party branch is a current member of an alliance."),
    link=ENTERPRISES,
)
def alliance_member_enterprises(scope: Organization | None) -> int:
    """Enterprises whose members are organized in a branch that is a current alliance member."""
    members = AllianceMembership.objects.current().values("branch_id")
    return _profiles(scope).filter(branch_id__in=members).count()


@indicator(
    "enterprise_branches",
    _("Enterprise party branches"),
    definition=_("Active party organizations sitting in an enterprise (non-public enterprises' branches)."),
    link=ENTERPRISES,
)
def enterprise_branches(scope: Organization | None) -> int:
    return _enterprise_branches(scope).count()


@indicator(
    "enterprise_branch_members",
    _("Party members of enterprise branches"),
    definition=_("Party members whose membership is held by an enterprise branch of the subtree."),
    link=ENTERPRISES,
)
def enterprise_branch_members(scope: Organization | None) -> int:
    return (
        member_selectors.members_within(scope)
        .filter(home_organization__in=_enterprise_branches(scope).values("pk"))
        .count()
    )


@indicator(
    "demonstration_sites",
    _("Demonstration sites"),
    definition=_("Enterprises marked as party-building demonstration sites (示范点)."),
    link=ENTERPRISES,
)
def demonstration_sites(scope: Organization | None) -> int:
    return _profiles(scope).filter(is_demonstration_site=True).count()


@indicator(
    "large_enterprises",
    _("Large-scale enterprises"),
    definition=_("Enterprises marked as large-scale (规上企业)."),
    link=INSTRUCTORS,
)
def large_enterprises(scope: Organization | None) -> int:
    return _profiles(scope).large().count()


@indicator(
    "large_enterprises_with_instructor",
    _("Large-scale enterprises with an instructor"),
    definition=_("Large-scale enterprises with a party-building instructor (党建指导员) assigned now."),
    link=INSTRUCTORS,
)
def large_enterprises_with_instructor(scope: Organization | None) -> int:
    covered = InstructorAssignment.objects.current().values("enterprise_id")
    return _profiles(scope).large().filter(unit_id__in=covered).count()


@indicator(
    "joint_meetings_this_quarter",
    _("Joint meetings this quarter"),
    definition=_("Joint meetings (联席会议) the subtree's alliances held since the quarter began."),
    link=HOME,
)
def joint_meetings_this_quarter(scope: Organization | None) -> int:
    today = timezone.localdate()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    qs = JointMeeting.objects.filter(held_on__gte=start, held_on__lte=today)
    if scope is not None:
        qs = qs.filter(alliance__committee__path__startswith=scope.path)
    return qs.count()
