"""Reads of the roster. Everything a user sees goes through the scoping rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .models import Category, CheckIn, FloatingRecord, Member, MemberQuerySet, PostKind, VolunteerPost

if TYPE_CHECKING:
    from organizations.models import Organization, Unit
    from yiling.scoping import UserLike

OPEN_CHECKIN = Q(status__in=[CheckIn.Status.PENDING, CheckIn.Status.CONFIRMED])


def members_within(scope: Organization | None) -> MemberQuerySet:
    """Members held by, or living in, ``scope``'s subtree (the whole district for None)."""
    return Member.objects.all().within(scope)


def with_roster_state(qs: MemberQuerySet) -> MemberQuerySet:
    """Annotate each member's open report-in (status, unit name) and current post, in the same query."""
    open_checkin = CheckIn.objects.filter(OPEN_CHECKIN, member=OuterRef("pk"))
    current_post = VolunteerPost.objects.filter(member=OuterRef("pk"), ended_on__isnull=True)
    return qs.annotate(
        checkin_status=Subquery(open_checkin.values("status")[:1]),
        checkin_unit_name=Subquery(open_checkin.values("unit__name")[:1]),
        current_post=Subquery(current_post.values("post")[:1]),
    )


def member_list(
    *,
    user: UserLike,
    unit: Unit | None = None,
    category: str = "",
    search: str = "",
) -> MemberQuerySet:
    """The members ``user`` may see, optionally those living in ``unit``, with their roster state."""
    qs = Member.objects.visible_to(user).select_related("home_organization", "residence", "employer")
    if unit is not None:
        qs = qs.living_in(unit)
    if category in Category.values:
        qs = qs.filter(category=category)
    if search:
        qs = qs.filter(name__icontains=search)
    return with_roster_state(qs).order_by("name", "pk")


def member_get(*, user: UserLike, pk: int) -> Member:
    """One member the user may see (404 otherwise), with the records shown on the member's page."""
    qs = Member.objects.visible_to(user).select_related("home_organization", "residence", "employer")
    return get_object_or_404(qs, pk=pk)


def member_records(*, member: Member) -> dict[str, list[Any]]:
    """A member's report-ins, posts, floating records and transfers (one query each)."""
    return {
        "checkins": list(member.checkins.select_related("unit", "decided_by")),
        "posts": list(member.volunteer_posts.select_related("compound").order_by("-started_on")),
        "floating": list(member.floating_records.select_related("local_unit")),
        "transfers": list(member.transfers.select_related("from_organization", "to_organization", "recorded_by")),
    }


def pending_checkins(*, user: UserLike, unit: Unit) -> list[CheckIn]:
    """Report-ins awaiting a decision at ``unit`` (and, for a community, at its compounds)."""
    qs = (
        CheckIn.objects.visible_to(user)
        .filter(Q(unit=unit) | Q(unit__parent=unit), status=CheckIn.Status.PENDING)
        .select_related("member", "member__employer", "unit")
        .order_by("submitted_at", "pk")
    )
    return list(qs)


def post_board(*, compound: Unit) -> list[dict[str, Any]]:
    """The six posts of a compound, each with its current holders (empty list: the post is vacant)."""
    holders: dict[str, list[VolunteerPost]] = {kind: [] for kind in PostKind.values}
    for holding in (
        VolunteerPost.objects.active().filter(compound=compound).select_related("member").order_by("member__name")
    ):
        holders[holding.post].append(holding)
    return [{"post": kind, "label": kind.label, "holders": holders[kind.value]} for kind in PostKind]


def _count(qs: Any, group: str, counted: str = "pk", *, distinct: bool = False) -> Coalesce:
    """A correlated count over ``qs`` grouped by its ``group`` field (0 when there is none).

    Each figure is its own subquery so the counts do not multiply each other through joins.
    """
    counts = qs.order_by().values(group).annotate(_n=Count(counted, distinct=distinct)).values("_n")[:1]
    return Coalesce(Subquery(counts), 0)


def compound_summaries(*, user: UserLike, community: Unit) -> list[Unit]:
    """The compounds of a community the user may see, each annotated with its roster figures."""
    from organizations.models import Unit as UnitModel

    here = OuterRef("pk")
    residents = Member.objects.filter(residence=here)
    return list(
        UnitModel.objects.visible_to(user)
        .filter(parent=community, unit_type="compound")
        .annotate(
            member_count=_count(residents, "residence"),
            in_service_count=_count(residents.filter(category=Category.IN_SERVICE), "residence"),
            reported_in_count=_count(CheckIn.objects.filter(unit=here, status=CheckIn.Status.CONFIRMED), "unit"),
            pending_count=_count(CheckIn.objects.filter(unit=here, status=CheckIn.Status.PENDING), "unit"),
            posts_filled=_count(
                VolunteerPost.objects.active().filter(compound=here), "compound", "post", distinct=True
            ),
        )
        .order_by("code")
    )


def open_floating_records(scope: Organization | None) -> Any:
    """Open floating records of members in ``scope``'s subtree."""
    qs = FloatingRecord.objects.filter(ended_on__isnull=True)
    if scope is not None:
        qs = qs.filter(
            Q(member__home_organization__path__startswith=scope.path)
            | Q(member__residence__organization__path__startswith=scope.path)
            | Q(local_unit__organization__path__startswith=scope.path)
        )
    return qs


# --- portal pages
# What the secretaries' pages read. Seeing goes through ``visible_to``; acting (confirm, return,
# assign, end, register) needs more: an organization-bound role whose subtree covers the unit.
# An agency contact sees the members employed at the agency but acts on no compound.


from django.db.models import BooleanField, ExpressionWrapper, Value  # noqa: E402
from django.http import Http404  # noqa: E402

from organizations.models import ORGANIZATION_ROLES  # noqa: E402
from organizations.models import Unit as _Unit  # noqa: E402
from organizations.selectors import acting_reach  # noqa: E402
from yiling.scoping import Anchors, assignments_of, subtree_q  # noqa: E402

from .models import RESIDENCE_TYPES  # noqa: E402


def my_units(user: UserLike) -> list[Unit]:
    """The compounds and communities the user's organization-bound roles are bound to.

    One query; none when the user holds no such role.
    """
    unit_ids = {
        a.organization.unit_id
        for a in assignments_of(user)
        if a.role in ORGANIZATION_ROLES and a.organization_id and a.organization.unit_id
    }
    if not unit_ids:
        return []
    return list(
        _Unit.objects.visible_to(user)
        .filter(pk__in=unit_ids, unit_type__in=RESIDENCE_TYPES)
        .select_related("parent")
        .order_by("unit_type", "code")
    )


def residence_unit_get(*, user: UserLike, code: str) -> Unit:
    """A compound or community the user may see (404 otherwise), annotated with ``can_act``."""
    reach = acting_reach(user)
    can_act = ExpressionWrapper(reach, output_field=BooleanField()) if reach is not None else Value(False)
    qs = (
        _Unit.objects.visible_to(user)
        .filter(unit_type__in=RESIDENCE_TYPES)
        .select_related("parent", "organization")
        .annotate(can_act=can_act)
    )
    return get_object_or_404(qs, code=code)


def manageable_unit(*, user: UserLike, code: str) -> Unit:
    """A compound or community the user may act on, or 404."""
    reach = acting_reach(user)
    if reach is None:
        raise Http404
    qs = _Unit.objects.visible_to(user).filter(reach, unit_type__in=RESIDENCE_TYPES).select_related("parent")
    return get_object_or_404(qs, code=code)


def manageable_checkin(*, user: UserLike, pk: int) -> CheckIn:
    """A report-in at a unit the user may act on, or 404."""
    reach = acting_reach(user, "unit")
    if reach is None:
        raise Http404
    qs = CheckIn.objects.visible_to(user).filter(reach).select_related("member", "unit")
    return get_object_or_404(qs, pk=pk)


def manageable_post(*, user: UserLike, pk: int) -> VolunteerPost:
    """A post held in a compound the user may act on, or 404."""
    reach = acting_reach(user, "compound")
    if reach is None:
        raise Http404
    qs = VolunteerPost.objects.visible_to(user).filter(reach).select_related("member", "compound")
    return get_object_or_404(qs, pk=pk)


def residents_of(*, user: UserLike, unit: Unit) -> MemberQuerySet:
    """Members the user may see living in ``unit`` itself (not in a community's compounds), with their
    roster state."""
    return member_list(user=user, unit=unit).filter(residence=unit)


def confirmed_checkins(*, user: UserLike, unit: Unit) -> list[CheckIn]:
    """Confirmed report-ins at ``unit`` itself: the members who serve there."""
    qs = (
        CheckIn.objects.visible_to(user)
        .filter(unit=unit, status=CheckIn.Status.CONFIRMED)
        .select_related("member", "member__residence", "member__employer")
        .order_by("member__name", "pk")
    )
    return list(qs)


def member_by_identity(*, id_number: str, name: str) -> Member | None:
    """The member with exactly this ID number and name, wherever the membership is held, or None.

    Unscoped on purpose: a first secretary is sent from an agency or a firm, so the member usually
    lives and is held outside the part of the tree of the secretary appointing him or her. Asking
    for both the full ID number and the name keeps it from being a lookup of strangers by number.
    """
    from .idnumbers import normalize

    number, wanted = normalize(id_number), " ".join(name.split())
    if not number or not wanted:
        return None
    return Member.objects.select_related("employer", "home_organization").filter(id_number=number, name=wanted).first()


#: The roles that may call the members of their own organization from the portal.
CALLING_ROLES = ("community_secretary", "compound_secretary")


def member_to_call(*, user: UserLike, pk: int) -> Member:
    """A member a secretary may phone: one whose membership or home lies in the subtree of the
    secretary's own organization (404 otherwise, and for everyone who is not such a secretary)."""
    anchors = Anchors(organization=("home_organization", "residence__organization"))
    parts = [
        q
        for a in assignments_of(user)
        if a.role in CALLING_ROLES and a.organization_id
        for q in [subtree_q(a.organization.path, anchors)]
        if q is not None
    ]
    if not parts:
        raise Http404
    reach = parts[0]
    for q in parts[1:]:
        reach |= q
    return get_object_or_404(Member.objects.visible_to(user).filter(reach).exclude(phone=""), pk=pk)


def may_call(*, user: UserLike, member: Member) -> bool:
    """Whether the member page offers ``user`` the call button (the same rule as ``member_to_call``)."""
    try:
        member_to_call(user=user, pk=member.pk)
    except Http404:
        return False
    return True
