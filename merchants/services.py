"""Writes of the merchants app. Admin, portal pages, the public board, the importer and the demo all come here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import board_cache
from .models import (
    BusinessDistrictProfile,
    ContactAccess,
    Feedback,
    Grade,
    Merchant,
    Pledge,
    Rating,
    RatingCycle,
    ResponsibilityZone,
    ServiceActivity,
    ServiceTeam,
)

#: A complaint is due this many working days after it is received, unless the handler sets another date.
COMPLAINT_WORKING_DAYS = 3
#: Public feedback limits: per address an hour, per board a day.
PER_ADDRESS_PER_HOUR = 5
PER_BOARD_PER_DAY = 50

MERCHANT_FIELDS = ("operator", "licence_number", "zone", "post", "plaque_number")
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _apply(obj: Any, allowed: tuple[str, ...], changes: dict[str, Any], *, by: Any = None) -> Any:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    changed = [f for f, v in changes.items() if getattr(obj, f) != v]
    if not changed:
        return obj
    for f in changed:
        setattr(obj, f, changes[f])
    obj.full_clean()
    obj._history_user = by
    obj.save(update_fields=changed)
    return obj


def _board_changed(*merchant_ids: int) -> None:
    board_cache.clear_on_commit(merchant_ids)


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def new_board_code() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


# --- business districts, zones ----------------------------------------------------------------------


@transaction.atomic
def district_profile_set(*, unit: Any, kind: str, is_demonstration: bool, by: Any = None) -> BusinessDistrictProfile:
    """Say whether a business district is a street or a market, and whether it is a showcase."""
    profile = BusinessDistrictProfile.objects.filter(unit=unit).first()
    if profile is None:
        profile = BusinessDistrictProfile(unit=unit, kind=kind, is_demonstration=is_demonstration)
        profile.full_clean()
        profile._history_user = by
        profile.save()
        return profile
    return _apply(profile, ("kind", "is_demonstration"), {"kind": kind, "is_demonstration": is_demonstration}, by=by)


@transaction.atomic
def zone_create(*, district: Any, name: str, duties: str = "", by: Any = None) -> ResponsibilityZone:
    zone = ResponsibilityZone(district=district, name=name, duties=duties)
    zone.full_clean()
    zone._history_user = by
    zone.save()
    return zone


@transaction.atomic
def zone_update(*, zone: ResponsibilityZone, by: Any = None, **changes: Any) -> ResponsibilityZone:
    zone = _apply(zone, ("name", "duties"), changes, by=by)
    _board_changed(*zone.merchants.values_list("pk", flat=True))
    return zone


# --- merchants ---------------------------------------------------------------------------------------


@transaction.atomic
def merchant_create(
    *,
    shop: Any,
    operator: Any,
    licence_number: str,
    zone: ResponsibilityZone | None = None,
    post: str = "",
    plaque_number: str = "",
    board_code: str = "",
    by: Any = None,
) -> Merchant:
    """Record a member-run shop as a member merchant, with a fresh board code."""
    merchant = Merchant(
        shop=shop,
        operator=operator,
        licence_number=licence_number,
        zone=zone,
        post=post,
        plaque_number=plaque_number,
        board_code=board_code or new_board_code(),
    )
    merchant.full_clean()
    merchant._history_user = by
    merchant.save()
    return merchant


@transaction.atomic
def merchants_bulk_create(*, items: list[dict[str, Any]], by: Any = None) -> list[Merchant]:
    """Many new merchants at once (the demo, a first load): each checked field by field and by its
    own rules, the unique ones left to the database's named constraints; history rows written too."""
    from simple_history.utils import bulk_create_with_history

    merchants = []
    for fields in items:
        merchant = Merchant(board_code=fields.pop("board_code", "") or new_board_code(), **fields)
        # The rows come from the database: their existence is the foreign keys' to check.
        merchant.clean_fields(exclude=["shop", "operator", "zone"])
        merchant.clean()
        merchants.append(merchant)
    return bulk_create_with_history(merchants, Merchant, default_user=by, batch_size=500)


@transaction.atomic
def pledges_bulk_publish(*, texts: dict[int, str], by: Any = None) -> list[Pledge]:
    """The first pledges of merchants that have none yet, published at once (a first load)."""
    from simple_history.utils import bulk_create_with_history

    have = set(Pledge.objects.filter(merchant_id__in=texts).values_list("merchant_id", flat=True))
    now = timezone.now()
    pledges = []
    for merchant_id, text in texts.items():
        if merchant_id in have:
            continue
        text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
        pledge = Pledge(
            merchant_id=merchant_id,
            version=1,
            text=text,
            status=Pledge.Status.APPROVED,
            proposed_by=by,
            proposed_at=now,
            decided_by=by,
            decided_at=now,
        )
        pledge.clean_fields(exclude=["merchant"])
        pledges.append(pledge)
    created = bulk_create_with_history(pledges, Pledge, default_user=by, batch_size=500)
    _board_changed(*(p.merchant_id for p in created))
    return created


@transaction.atomic
def merchant_update(*, merchant: Merchant, by: Any = None, **changes: Any) -> Merchant:
    merchant = _apply(merchant, MERCHANT_FIELDS, changes, by=by)
    _board_changed(merchant.pk)
    return merchant


@transaction.atomic
def merchant_set_status(*, merchant: Merchant, status: str, reason: str = "", by: Any = None) -> Merchant:
    """Display, suspend or revoke a merchant's plaque; suspending and revoking need a reason."""
    reason = reason.strip() if status != Merchant.Status.DISPLAYING else ""
    merchant = _apply(merchant, ("status", "status_reason"), {"status": status, "status_reason": reason}, by=by)
    _board_changed(merchant.pk)
    return merchant


# --- pledges -----------------------------------------------------------------------------------------


@transaction.atomic
def pledge_propose(*, merchant: Merchant, text: str, by: Any = None) -> Pledge:
    """The merchant proposes a new version of the pledges; it waits for the secretary."""
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    last = merchant.pledges.aggregate(n=Max("version"))["n"] or 0
    pledge = Pledge(merchant=merchant, version=last + 1, text=text, proposed_by=by, proposed_at=timezone.now())
    pledge.full_clean()
    pledge._history_user = by
    pledge.save()
    return pledge


def _decide(pledge: Pledge, *, status: str, by: Any, reason: str = "") -> Pledge:
    if pledge.status != Pledge.Status.PROPOSED:
        raise ValidationError(_("This proposal has already been decided."))
    pledge.status = status
    pledge.return_reason = reason
    pledge.decided_by = by
    pledge.decided_at = timezone.now()
    pledge.full_clean()
    pledge._history_user = by
    pledge.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
    return pledge


@transaction.atomic
def pledge_approve(*, pledge: Pledge, by: Any) -> Pledge:
    """Make a proposal the current pledges; the previous version is kept as superseded."""
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    for old in Pledge.objects.filter(merchant_id=pledge.merchant_id, status=Pledge.Status.APPROVED):
        old.status = Pledge.Status.SUPERSEDED
        old._history_user = by
        old.save(update_fields=["status"])
    pledge = _decide(pledge, status=Pledge.Status.APPROVED, by=by)
    _board_changed(pledge.merchant_id)
    return pledge


@transaction.atomic
def pledge_return(*, pledge: Pledge, reason: str, by: Any) -> Pledge:
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if not reason.strip():
        raise ValidationError({"return_reason": _("Say why the proposal is returned.")})
    return _decide(pledge, status=Pledge.Status.RETURNED, by=by, reason=reason.strip())


# --- feedback ----------------------------------------------------------------------------------------


def source_of(address: str) -> str:
    """A keyed hash of the sender's address: enough to count submissions, not to tell who sent them."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def feedback_refusal(*, merchant: Merchant, source: str) -> str | None:
    """Why a new submission is refused (too many from this address or for this board), or None."""
    now = timezone.now()
    if (
        Feedback.objects.filter(source=source, submitted_at__gte=now - timedelta(hours=1)).count()
        >= PER_ADDRESS_PER_HOUR
    ):
        return _("You have sent %(n)s messages in the last hour. Please try again later.") % {"n": PER_ADDRESS_PER_HOUR}
    if (
        Feedback.objects.filter(merchant=merchant, submitted_at__gte=now - timedelta(days=1)).count()
        >= PER_BOARD_PER_DAY
    ):
        return _("This shop has received many messages today. Please try again tomorrow.")
    return None


@transaction.atomic
def feedback_submit(
    *, merchant: Merchant, kind: str, text: str, contact_phone: str = "", source: str = "", receipt: str = ""
) -> Feedback:
    """A customer's message; nothing of it is public until a secretary publishes it."""
    now = timezone.now()
    feedback = Feedback(
        merchant=merchant,
        kind=kind,
        text=text.strip(),
        contact_phone=contact_phone.strip(),
        receipt=receipt or new_receipt(),
        source=source,
        submitted_at=now,
    )
    if kind == Feedback.Kind.COMPLAINT:
        feedback.due_on = add_working_days(timezone.localdate(now), COMPLAINT_WORKING_DAYS)
    feedback.full_clean()
    feedback.save()
    return feedback


def _moderate(feedback: Feedback, status: str, by: Any) -> Feedback:
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    feedback.status = status
    feedback.moderated_by = by
    feedback.moderated_at = timezone.now()
    feedback.full_clean()
    feedback._history_user = by
    feedback.save(update_fields=["status", "moderated_by", "moderated_at"])
    _board_changed(feedback.merchant_id)
    return feedback


@transaction.atomic
def feedback_publish(*, feedback: Feedback, by: Any) -> Feedback:
    return _moderate(feedback, Feedback.Status.PUBLISHED, by)


@transaction.atomic
def feedback_reject(*, feedback: Feedback, by: Any) -> Feedback:
    """Keep a message off the board (abuse, advertising); a complaint is still handled."""
    return _moderate(feedback, Feedback.Status.REJECTED, by)


@transaction.atomic
def feedback_reply(*, feedback: Feedback, reply: str, by: Any) -> Feedback:
    if not reply.strip():
        raise ValidationError({"reply": _("Write a reply.")})
    feedback.reply = reply.strip()
    feedback.replied_at = timezone.now()
    feedback.full_clean()
    feedback._history_user = by
    feedback.save(update_fields=["reply", "replied_at"])
    _board_changed(feedback.merchant_id)
    return feedback


@transaction.atomic
def complaint_assign(*, feedback: Feedback, handler: Any, due_on: date | None = None, by: Any = None) -> Feedback:
    if feedback.kind != Feedback.Kind.COMPLAINT:
        raise ValidationError(_("Only a complaint has a handler."))
    feedback.handler = handler
    if due_on is not None:
        feedback.due_on = due_on
    feedback.full_clean()
    feedback._history_user = by
    feedback.save(update_fields=["handler", "due_on"])
    return feedback


@transaction.atomic
def complaint_close(*, feedback: Feedback, result: str, by: Any) -> Feedback:
    """Close a complaint with the result the customer reads by the receipt number."""
    if feedback.kind != Feedback.Kind.COMPLAINT:
        raise ValidationError(_("Only a complaint is closed with a result."))
    if feedback.closed_at is not None:
        raise ValidationError(_("This complaint is already closed."))
    if not result.strip():
        raise ValidationError({"result": _("Write the result.")})
    feedback.result = result.strip()
    feedback.closed_at = timezone.now()
    if feedback.handler_id is None:
        feedback.handler = by
    feedback.full_clean()
    feedback._history_user = by
    feedback.save(update_fields=["result", "closed_at", "handler"])
    _board_changed(feedback.merchant_id)
    return feedback


def contact_phone_viewed(*, user: Any, feedback: Feedback) -> ContactAccess:
    """Record that ``user`` saw the complainant's full phone number."""
    return ContactAccess.objects.create(user=user, feedback=feedback, accessed_at=timezone.now())


# --- integrity ratings -------------------------------------------------------------------------------


@transaction.atomic
def rating_cycle_create(
    *, organization: Any, year: int, criteria: str, is_published: bool = False, by: Any = None
) -> RatingCycle:
    cycle = RatingCycle(organization=organization, year=year, criteria=criteria, is_published=is_published)
    cycle.full_clean()
    cycle._history_user = by
    cycle.save()
    return cycle


@transaction.atomic
def rating_cycle_publish(*, cycle: RatingCycle, by: Any = None) -> RatingCycle:
    cycle = _apply(cycle, ("is_published",), {"is_published": True}, by=by)
    _board_changed(*cycle.ratings.values_list("merchant_id", flat=True))
    return cycle


def grade_for(total: int) -> str:
    if total >= 90:
        return Grade.FIVE
    if total >= 80:
        return Grade.FOUR
    if total >= 60:
        return Grade.THREE
    return Grade.FAIL


def rating_scores(*, merchant: Merchant, year: int) -> tuple[int, int, dict[str, int]]:
    """Praise and complaint scores of ``merchant`` in ``year``, and the counts behind them."""
    feedback = list(
        Feedback.objects.filter(merchant=merchant, submitted_at__year=year).values_list(
            "kind", "status", "due_on", "closed_at"
        )
    )
    praise = sum(1 for kind, status, *_rest in feedback if kind == Feedback.Kind.PRAISE and status == "published")
    complaints = [(due, closed) for kind, status, due, closed in feedback if kind == Feedback.Kind.COMPLAINT]
    on_time = sum(1 for due, closed in complaints if closed is not None and timezone.localdate(closed) <= due)
    praise_score = min(30, 20 + 2 * praise)
    complaint_score = 30 if not complaints else round(30 * on_time / len(complaints))
    return praise_score, complaint_score, {"praise": praise, "complaints": len(complaints), "on_time": on_time}


@transaction.atomic
def rating_record(
    *,
    cycle: RatingCycle,
    merchant: Merchant,
    inspection_score: int,
    revokes_plaque: bool = False,
    revocation_reason: str = "",
    by: Any = None,
) -> Rating:
    """Rate a merchant: published praise and complaints closed on time from the records, inspections from
    staff; the grade and a public explanation follow. Revoking the plaque revokes the merchant."""
    praise_score, complaint_score, counts = rating_scores(merchant=merchant, year=cycle.year)
    total = praise_score + complaint_score + inspection_score
    # A revoked plaque is below standard whatever the scores say.
    grade = Grade.FAIL if revokes_plaque else grade_for(total)
    explanation = _(
        "Published praise %(praise)s (score %(ps)s/30); complaints %(complaints)s, closed on time %(on_time)s "
        "(score %(cs)s/30); inspections %(is)s/40; total %(total)s/100: %(grade)s."
    ) % {
        "praise": counts["praise"],
        "ps": praise_score,
        "complaints": counts["complaints"],
        "on_time": counts["on_time"],
        "cs": complaint_score,
        "is": inspection_score,
        "total": total,
        "grade": Grade(grade).label,
    }
    rating = Rating.objects.filter(cycle=cycle, merchant=merchant).first() or Rating(cycle=cycle, merchant=merchant)
    rating.praise_score = praise_score
    rating.complaint_score = complaint_score
    rating.inspection_score = inspection_score
    rating.grade = grade
    rating.explanation = explanation
    rating.revokes_plaque = revokes_plaque
    rating.revocation_reason = revocation_reason.strip() if revokes_plaque else ""
    rating.full_clean()
    rating._history_user = by
    rating.save()
    if revokes_plaque:
        merchant_set_status(merchant=merchant, status=Merchant.Status.REVOKED, reason=rating.revocation_reason, by=by)
    _board_changed(merchant.pk)
    return rating


# --- service teams -----------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, organization: Any, kind: str, name: str, members: list[Any] = (), by: Any = None) -> ServiceTeam:  # type: ignore[assignment]
    team = ServiceTeam(organization=organization, kind=kind, name=name)
    team.full_clean()
    team._history_user = by
    team.save()
    if members:
        team.members.add(*members)
    return team


@transaction.atomic
def team_set_members(*, team: ServiceTeam, members: list[Any]) -> ServiceTeam:
    team.members.set(members)
    return team


@transaction.atomic
def activity_record(
    *, team: ServiceTeam, held_on: date, title: str, participants: int = 0, by: Any = None
) -> ServiceActivity:
    activity = ServiceActivity(team=team, held_on=held_on, title=title, participants=participants)
    activity.full_clean()
    activity._history_user = by
    activity.save()
    return activity
