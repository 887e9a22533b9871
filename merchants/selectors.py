"""Reads of the merchants app: the public board, the merchant's own shop and the secretary's desk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from yiling.scoping import assignments_of

from . import board_cache
from .models import (
    BusinessDistrictProfile,
    ContactAccess,
    Feedback,
    FeedbackQuerySet,
    Merchant,
    MerchantQuerySet,
    Pledge,
    Rating,
    RatingCycle,
    ServiceTeam,
)

if TYPE_CHECKING:
    from yiling.scoping import UserLike

#: Roles that moderate feedback, decide pledges and handle complaints for the shops they reach.
DESK_ROLES = {"district_staff", "street_staff", "market_secretary"}
#: Published feedback shown on a board (newest first).
BOARD_FEEDBACK = 20


def _merchant_related(qs: MerchantQuerySet) -> MerchantQuerySet:
    return qs.select_related("shop", "shop__parent", "zone", "operator", "operator__home_organization")


def merchants_visible(user: UserLike) -> MerchantQuerySet:
    return _merchant_related(Merchant.objects.visible_to(user))


def may_use_desk(user: UserLike) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(a.role in DESK_ROLES for a in assignments_of(user))


def own_merchant_ids(user: UserLike) -> list[int]:
    """The shop units the user holds the merchant role for (no query beyond the user's assignments)."""
    return [a.unit_id for a in assignments_of(user) if a.role == "merchant" and a.unit_id]


def own_merchants(user: UserLike) -> list[Merchant]:
    """The merchants whose shop the user holds the merchant role for."""
    if not user.is_authenticated:
        return []
    shop_ids = [a.unit_id for a in assignments_of(user) if a.role == "merchant" and a.unit_id]
    return list(_merchant_related(Merchant.objects.filter(shop_id__in=shop_ids)))


def merchant_for_shop(*, user: UserLike, code: str) -> Merchant:
    merchant = merchants_visible(user).filter(shop__code=code).first()
    if merchant is None:
        raise Http404
    return merchant


def is_own(user: UserLike, merchant: Merchant) -> bool:
    return any(a.role == "merchant" and a.unit_id == merchant.shop_id for a in assignments_of(user))


# --- the public board ---------------------------------------------------------------------------------


def current_pledge(merchant: Merchant) -> Pledge | None:
    return merchant.pledges.filter(status=Pledge.Status.APPROVED).first()


def current_rating(merchant: Merchant) -> Rating | None:
    return (
        Rating.objects.filter(merchant=merchant, cycle__is_published=True)
        .select_related("cycle")
        .order_by("-cycle__year")
        .first()
    )


def _feedback_item(f: Feedback) -> dict[str, Any]:
    return {
        "kind": f.get_kind_display(),
        "kind_code": f.kind,
        "text": f.text,
        "submitted_at": f.submitted_at,
        "reply": f.reply,
        "replied_at": f.replied_at,
        "closed": f.closed_at is not None,
        "result": f.result,
    }


def board_data_uncached(board_code: str) -> dict[str, Any] | None:
    """Everything the board shows, as plain data, in four queries; None for an unknown code.

    Nothing here is personal beyond the member's name and branch, which the board shows on purpose.
    """
    merchant = _merchant_related(Merchant.objects.all()).filter(board_code=board_code).first()
    if merchant is None:
        return None
    pledge = current_pledge(merchant)
    rating = current_rating(merchant)
    feedback = list(merchant.feedback.published().order_by("-submitted_at", "-pk")[:BOARD_FEEDBACK])
    operator = merchant.operator
    branch = operator.home_organization.name if operator.home_organization_id else operator.external_organization
    return {
        "code": merchant.board_code,
        "merchant_id": merchant.pk,
        "shop": merchant.shop.name,
        "shop_code": merchant.shop.code,
        "district": merchant.shop.parent.name if merchant.shop.parent_id else "",
        "address": merchant.shop.address,
        "operator": operator.name,
        "branch": branch,
        "post": merchant.post,
        "zone": merchant.zone.name if merchant.zone_id else "",
        "duties": merchant.duties,
        "plaque_number": merchant.plaque_number,
        "status": merchant.status,
        "status_label": merchant.get_status_display(),
        "status_reason": merchant.status_reason,
        "pledges": pledge.lines if pledge else [],
        "pledges_changed_at": pledge.decided_at if pledge else None,
        "rating": (
            {
                "year": rating.cycle.year,
                "grade": rating.grade,
                "grade_label": rating.get_grade_display(),
                "total": rating.total,
                "explanation": rating.explanation,
                "criteria": rating.cycle.criteria,
            }
            if rating
            else None
        ),
        "feedback": [_feedback_item(f) for f in feedback],
    }


def board_data(board_code: str) -> dict[str, Any] | None:
    """The board, from the cache when it is there (and the cache answers), else from the database."""
    if not board_code or len(board_code) > 16:
        return None
    data = board_cache.get(board_code)
    if data is None:
        data = board_data_uncached(board_code)
        if data is not None:
            board_cache.put(board_code, data)
    return data


def merchant_by_board(board_code: str) -> Merchant | None:
    if not board_code or len(board_code) > 16:
        return None
    return Merchant.objects.filter(board_code=board_code).first()


def receipt_lookup(*, board_code: str, receipt: str) -> Feedback | None:
    receipt = receipt.strip().upper()
    if not receipt or len(receipt) > 16:
        return None
    return Feedback.objects.filter(merchant__board_code=board_code, receipt=receipt).first()


def public_districts(*, search: str = "") -> list[dict[str, Any]]:
    """Displaying merchants by business district (two queries), optionally those whose shop name matches."""
    merchants = Merchant.objects.displaying().select_related("shop", "shop__parent").order_by("shop__code")
    if search:
        merchants = merchants.filter(shop__name__icontains=search)
    profiles = {
        p.unit_id: p
        for p in BusinessDistrictProfile.objects.filter(
            unit_id__in={m.shop.parent_id for m in merchants if m.shop.parent_id}
        )
    }
    groups: dict[int | None, dict[str, Any]] = {}
    for m in merchants:
        district = m.shop.parent
        group = groups.setdefault(
            district.pk if district else None,
            {
                "name": district.name if district else "",
                "code": district.code if district else "",
                "is_demonstration": bool(
                    district and profiles.get(district.pk, None) and profiles[district.pk].is_demonstration
                ),
                "merchants": [],
            },
        )
        group["merchants"].append({"shop": m.shop.name, "code": m.board_code})
    return sorted(groups.values(), key=lambda g: g["code"])


# --- the merchant's shop --------------------------------------------------------------------------------


def shop_feedback(merchant: Merchant) -> FeedbackQuerySet:
    """All feedback of a shop, for its merchant and the desk (newest first)."""
    return merchant.feedback.exclude(status=Feedback.Status.REJECTED).order_by("-submitted_at", "-pk")


def shop_pledges(merchant: Merchant) -> list[Pledge]:
    return list(merchant.pledges.order_by("-version")[:10])


def shop_complaints_due(merchant: Merchant) -> FeedbackQuerySet:
    return merchant.feedback.complaints_open().order_by("due_on", "pk")


# --- the business district secretary's desk ------------------------------------------------------------


def _desk_feedback(user: UserLike) -> FeedbackQuerySet:
    return Feedback.objects.visible_to(user).select_related("merchant__shop", "merchant__shop__parent")


def moderation_queue(user: UserLike) -> FeedbackQuerySet:
    return _desk_feedback(user).filter(status=Feedback.Status.PENDING).order_by("submitted_at", "pk")


def complaints_by_due(user: UserLike) -> FeedbackQuerySet:
    return _desk_feedback(user).complaints_open().select_related("handler").order_by("due_on", "pk")


def pledge_proposals(user: UserLike) -> Any:
    return (
        Pledge.objects.visible_to(user)
        .filter(status=Pledge.Status.PROPOSED)
        .select_related("merchant__shop", "merchant__shop__parent")
        .prefetch_related(
            Prefetch(
                "merchant__pledges", queryset=Pledge.objects.filter(status=Pledge.Status.APPROVED), to_attr="current"
            )
        )
        .order_by("proposed_at", "pk")
    )


def desk_merchants(user: UserLike, *, search: str = "", status: str = "") -> MerchantQuerySet:
    qs = merchants_visible(user).annotate(
        waiting=Count("feedback", filter=Q(feedback__status=Feedback.Status.PENDING), distinct=True)
    )
    if search:
        qs = qs.filter(Q(shop__name__icontains=search) | Q(operator__name__icontains=search))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("shop__parent__code", "shop__code")


def desk_feedback_get(*, user: UserLike, pk: int) -> Feedback:
    feedback = _desk_feedback(user).filter(pk=pk).first()
    if feedback is None:
        raise Http404
    return feedback


def desk_pledge_get(*, user: UserLike, pk: int) -> Pledge:
    pledge = Pledge.objects.visible_to(user).select_related("merchant__shop").filter(pk=pk).first()
    if pledge is None:
        raise Http404
    return pledge


def rating_cycles(user: UserLike) -> Any:
    """The rating cycles the user reaches, with how many merchants each rated."""
    return (
        RatingCycle.objects.visible_to(user)
        .select_related("organization")
        .annotate(rated=Count("ratings"))
        .order_by("-year", "organization__path")
    )


def service_teams(user: UserLike) -> Any:
    return ServiceTeam.objects.visible_to(user).select_related("organization").annotate(size=Count("members"))


def contact_accesses(user: UserLike) -> Any:
    return ContactAccess.objects.visible_to(user).select_related("user", "feedback")
