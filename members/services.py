"""Writes to the roster. Admin, portal pages, the roster import, seed data and tasks all come here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    RESIDENCE_TYPES,
    Category,
    CheckIn,
    FloatingRecord,
    Member,
    MembershipTransfer,
    PersonalDataAccess,
    PostKind,
    VolunteerPost,
)

#: The fields of a member a form, the admin or the importer may set (the membership's holder is
#: changed through member_transfer once the member exists).
MEMBER_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "joined_on",
    "full_member_on",
    "status",
    "category",
    "home_organization",
    "external_organization",
    "employer",
    "residence",
)


def _check_fields(changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"unexpected member fields {sorted(unknown)}")


@transaction.atomic
def member_create(*, by: Any = None, **fields: Any) -> Member:
    """Add a member to the roster."""
    _check_fields(fields)
    member = Member(**fields)
    member.full_clean()
    member._history_user = by
    member.save()
    return member


@transaction.atomic
def member_update(*, member: Member, by: Any = None, reason: str = "", **changes: Any) -> Member:
    """Change a member's own fields; nothing is written when nothing differs."""
    _check_fields(changes)
    changed = [f for f, v in changes.items() if getattr(member, f) != v]
    if not changed:
        return member
    for f in changed:
        setattr(member, f, changes[f])
    member.full_clean()
    member._history_user = by
    if reason:
        member._change_reason = reason
    member.save(update_fields=[*changed, "updated_at"])
    return member


@transaction.atomic
def member_transfer(
    *,
    member: Member,
    transferred_on: date,
    reason: str,
    to_organization: Any = None,
    to_external: str = "",
    by: Any = None,
) -> MembershipTransfer:
    """Move a member's membership record to another organization, keeping the record of it."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if to_organization is None and not to_external.strip():
        raise ValidationError({"to_organization": _("Say where the membership goes.")})
    if to_organization is not None and to_organization.pk == member.home_organization_id:
        raise ValidationError({"to_organization": _("The membership is already held by this organization.")})
    transfer = MembershipTransfer(
        member=member,
        from_organization=member.home_organization,
        from_external=member.external_organization,
        to_organization=to_organization,
        to_external="" if to_organization is not None else to_external.strip(),
        transferred_on=transferred_on,
        reason=reason.strip(),
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    transfer.full_clean()
    transfer.save()
    member_update(
        member=member,
        by=by,
        reason=_("Membership transferred: %(reason)s") % {"reason": transfer.reason},
        home_organization=transfer.to_organization,
        external_organization=transfer.to_external,
    )
    return transfer


def _lives_in(member: Member, unit: Any) -> bool:
    residence = member.residence
    return residence is not None and (residence.pk == unit.pk or residence.parent_id == unit.pk)


@transaction.atomic
def checkin_submit(*, member: Member, unit: Any, by: Any = None) -> CheckIn:
    """Register an in-service member's report-in to the compound or community where he or she lives."""
    if member.category != Category.IN_SERVICE:
        raise ValidationError(_("Only in-service members report in where they live."))
    if unit.unit_type not in RESIDENCE_TYPES:
        raise ValidationError({"unit": _("A member reports in to a compound or a community.")})
    if not _lives_in(member, unit):
        raise ValidationError({"unit": _("%(member)s does not live in %(unit)s.") % {"member": member, "unit": unit}})
    checkin = CheckIn(member=member, unit=unit, submitted_at=timezone.now())
    checkin.full_clean()
    checkin._history_user = by
    checkin.save()
    return checkin


def _decide(checkin: CheckIn, *, status: str, by: Any, reason: str = "") -> CheckIn:
    checkin = CheckIn.objects.select_for_update().get(pk=checkin.pk)
    if checkin.status != CheckIn.Status.PENDING:
        raise ValidationError(
            _("This report-in has already been decided (%(status)s).") % {"status": checkin.get_status_display()}
        )
    checkin.status = status
    checkin.decided_at = timezone.now()
    checkin.decided_by = by
    checkin.return_reason = reason
    checkin.full_clean()
    checkin._history_user = by
    checkin.save(update_fields=["status", "decided_at", "decided_by", "return_reason"])
    return checkin


@transaction.atomic
def checkin_confirm(*, checkin: CheckIn, by: Any) -> CheckIn:
    """The secretary where the member lives confirms the report-in."""
    return _decide(checkin, status=CheckIn.Status.CONFIRMED, by=by)


@transaction.atomic
def checkin_return(*, checkin: CheckIn, by: Any, reason: str) -> CheckIn:
    """The secretary sends the report-in back, saying why (the member may report in again)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"return_reason": _("Say why the report-in is returned.")})
    return _decide(checkin, status=CheckIn.Status.RETURNED, by=by, reason=reason)


@transaction.atomic
def volunteer_post_assign(
    *, member: Member, compound: Any, post: str, started_on: date, by: Any = None
) -> VolunteerPost:
    """Give a member living in ``compound`` one of the six posts there."""
    if compound.unit_type != "compound":
        raise ValidationError({"compound": _("The six posts are held in a compound.")})
    if member.residence_id != compound.pk:
        raise ValidationError(
            {"member": _("%(member)s does not live in %(unit)s.") % {"member": member, "unit": compound}}
        )
    if post not in PostKind.values:
        raise ValidationError({"post": _("Unknown post.")})
    holding = VolunteerPost(member=member, compound=compound, post=post, started_on=started_on)
    holding.full_clean()
    holding._history_user = by
    holding.save()
    return holding


@transaction.atomic
def volunteer_post_end(*, volunteer_post: VolunteerPost, ended_on: date, by: Any = None) -> VolunteerPost:
    """A member steps down from a post."""
    holding = VolunteerPost.objects.select_for_update().get(pk=volunteer_post.pk)
    if holding.ended_on is not None:
        raise ValidationError(_("This post has already ended."))
    holding.ended_on = ended_on
    holding.full_clean()
    holding._history_user = by
    holding.save(update_fields=["ended_on"])
    return holding


@transaction.atomic
def volunteer_post_resume(*, volunteer_post: VolunteerPost, today: date, by: Any = None) -> VolunteerPost:
    """Undo ending a post the same day: the member holds it again as before, from its first day."""
    holding = VolunteerPost.objects.select_for_update().get(pk=volunteer_post.pk)
    if holding.ended_on is None:
        raise ValidationError(_("This post has not ended."))
    if holding.ended_on != today:
        raise ValidationError(_("Only a post ended today can be resumed; assign the post again instead."))
    holding.ended_on = None
    holding.full_clean()
    holding._history_user = by
    holding.save(update_fields=["ended_on"])
    return holding


@transaction.atomic
def floating_record_open(
    *,
    member: Member,
    direction: str,
    place: str,
    reason: str,
    started_on: date,
    local_unit: Any = None,
    by: Any = None,
) -> FloatingRecord:
    """Record that a member has gone away (outgoing) or has come to live here (incoming)."""
    record = FloatingRecord(
        member=member,
        direction=direction,
        place=place.strip(),
        reason=reason.strip(),
        started_on=started_on,
        local_unit=local_unit,
    )
    if local_unit is not None and local_unit.unit_type not in RESIDENCE_TYPES:
        raise ValidationError({"local_unit": _("A member takes part in activities at a compound or a community.")})
    record.full_clean()
    record._history_user = by
    record.save()
    if direction == FloatingRecord.Direction.INCOMING and member.residence_id is None:
        # An incoming member lives where he or she takes part: the secretary there sees the member.
        member_update(member=member, by=by, residence=local_unit)
    return record


@transaction.atomic
def floating_record_close(*, record: FloatingRecord, ended_on: date, by: Any = None) -> FloatingRecord:
    """The member is back (outgoing) or has left (incoming)."""
    record = FloatingRecord.objects.select_for_update().get(pk=record.pk)
    if record.ended_on is not None:
        raise ValidationError(_("This record has already been closed."))
    record.ended_on = ended_on
    record.full_clean()
    record._history_user = by
    record.save(update_fields=["ended_on"])
    return record


def personal_data_viewed(*, user: Any, members: Iterable[Member], purpose: str) -> int:
    """Record that ``user`` saw these members' full ID numbers and phones. One query."""
    now = timezone.now()
    rows = [
        PersonalDataAccess(user=user, member=m, member_name=m.name, purpose=purpose, accessed_at=now) for m in members
    ]
    PersonalDataAccess.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def can_see_personal_data(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("members.view_personal_data"))
