"""Writes of compound governance and branch funds. The admin, the secretaries' pages, the compound
importer and the demo seed all come here, so each rule lives in one place."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from yiling.templatetags.portal import cn_date, money

from ..models import (
    Activity,
    Allowance,
    AnnualFunding,
    BranchPosition,
    BranchPost,
    CommitteeSeat,
    Expense,
    FundAllocation,
    FundSource,
    Organization,
    OwnersCommittee,
    PropertyCompany,
    Unit,
    UnitType,
    Venue,
)
from ..models.governance import DEFAULT_ACTIVITY_FUND, RECEIPT_CHECK, SINGLE_HOLDER_POSITIONS
from .tree import apply_changes

#: The member category of an in-service member (members.models.Category.IN_SERVICE), the only kind
#: that can be sent as a first secretary.
IN_SERVICE = "in_service"
PROPERTY_COMPANY_FIELDS = ("code", "name", "is_red", "party_organization", "contact")
VENUE_FIELDS = ("name", "kind", "area", "address", "opened_on", "is_active")
COMMITTEE_FIELDS = ("elected_on", "term_ends_on", "notes")


def _require_compound(unit: Unit, field: str = "compound") -> None:
    if unit.unit_type != UnitType.COMPOUND:
        raise ValidationError({field: _("%(unit)s is not a compound.") % {"unit": unit}})


def _not_in_future(day: date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


# --- property companies ------------------------------------------------------------------------


@transaction.atomic
def property_company_create(
    *,
    code: str,
    name: str,
    is_red: bool = False,
    party_organization: Organization | None = None,
    contact: str = "",
) -> PropertyCompany:
    company = PropertyCompany(
        code=code, name=name, is_red=is_red, party_organization=party_organization, contact=contact
    )
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def property_company_update(*, company: PropertyCompany, **changes: Any) -> PropertyCompany:
    return apply_changes(company, PROPERTY_COMPANY_FIELDS, changes, "property_company_update")


# --- the branch: term and posts ------------------------------------------------------------------


@transaction.atomic
def branch_term_record(*, organization: Organization, elected_on: date, term_ends_on: date) -> Organization:
    """Record the sitting committee's election and term end (同步改选 compares it with the owners'
    committee's)."""
    from .tree import organization_update

    if term_ends_on <= elected_on:
        raise ValidationError({"term_ends_on": _("A term must end after the election.")})
    return organization_update(organization=organization, elected_on=elected_on, term_ends_on=term_ends_on)


@transaction.atomic
def branch_post_appoint(*, organization: Organization, member: Any, position: str, started_on: date) -> BranchPost:
    """Put a party member on a post of the branch.

    The secretary and the first secretary are one person at a time: appointing a new one ends the
    current holder's post the day the new one starts. A first secretary is an in-service member sent
    from an agency or a firm.
    """
    if position not in BranchPosition.values:
        raise ValidationError({"position": _("Unknown branch position.")})
    if not organization.is_active:
        raise ValidationError({"organization": _("%(org)s is no longer active.") % {"org": organization}})
    if position == BranchPosition.FIRST_SECRETARY and member.category != IN_SERVICE:
        raise ValidationError({"member": _("A first secretary is an in-service member sent to lead the branch.")})
    _not_in_future(started_on, "started_on")
    held = BranchPost.objects.active().filter(organization=organization, member=member).first()
    if held is not None:
        raise ValidationError(
            {
                "member": _("%(member)s already holds the post of %(post)s here; end it first.")
                % {"member": member.name, "post": held.get_position_display()}
            }
        )
    if position in SINGLE_HOLDER_POSITIONS:
        current = (
            BranchPost.objects.select_for_update()
            .filter(organization=organization, position=position, ended_on__isnull=True)
            .first()
        )
        if current is not None:
            if started_on < current.started_on:
                raise ValidationError(
                    {
                        "started_on": _("The new holder cannot start before the current one (%(day)s).")
                        % {"day": cn_date(current.started_on)}
                    }
                )
            current.ended_on = started_on
            current.full_clean(validate_constraints=False)
            current.save(update_fields=["ended_on"])
    post = BranchPost(organization=organization, member=member, position=position, started_on=started_on)
    post.full_clean()
    post.save()
    return post


@transaction.atomic
def branch_post_end(*, post: BranchPost, ended_on: date) -> BranchPost:
    if post.ended_on is not None:
        raise ValidationError(_("This post has already ended."))
    post.ended_on = ended_on
    post.full_clean()
    post.save(update_fields=["ended_on"])
    return post


# --- the owners' committee -------------------------------------------------------------------------


@transaction.atomic
def owners_committee_record(
    *, compound: Unit, elected_on: date, term_ends_on: date, notes: str = ""
) -> OwnersCommittee:
    """Record a newly elected term of the compound's owners' committee; it becomes the current one and
    the previous term (with its seats) becomes history."""
    _require_compound(compound)
    _not_in_future(elected_on, "elected_on")
    if term_ends_on <= elected_on:
        raise ValidationError({"term_ends_on": _("A term must end after the election.")})
    current = OwnersCommittee.objects.select_for_update().filter(compound=compound, is_current=True).first()
    if current is not None:
        if elected_on <= current.elected_on:
            raise ValidationError(
                {
                    "elected_on": _("The new term must be elected after the current one (elected on %(day)s).")
                    % {"day": cn_date(current.elected_on)}
                }
            )
        current.is_current = False
        current.save(update_fields=["is_current"])
    committee = OwnersCommittee(compound=compound, elected_on=elected_on, term_ends_on=term_ends_on, notes=notes)
    committee.full_clean()
    committee.save()
    return committee


@transaction.atomic
def owners_committee_update(*, committee: OwnersCommittee, **changes: Any) -> OwnersCommittee:
    return apply_changes(committee, COMMITTEE_FIELDS, changes, "owners_committee_update")


@transaction.atomic
def committee_seat_add(
    *, committee: OwnersCommittee, position: str, member: Any = None, name: str = ""
) -> CommitteeSeat:
    """Seat a person on the current committee: a party member living in the compound, or an owner
    who is not a member (by name)."""
    if not committee.is_current:
        raise ValidationError(_("Seats can only be added to the current committee term."))
    if member is not None:
        if member.residence_id != committee.compound_id:
            raise ValidationError(
                {
                    "member": _("%(member)s does not live in %(compound)s.")
                    % {"member": member.name, "compound": committee.compound}
                }
            )
        name = member.name
    seat = CommitteeSeat(committee=committee, position=position, member=member, name=name.strip())
    seat.full_clean()
    seat.save()
    return seat


@transaction.atomic
def committee_seat_end(*, seat: CommitteeSeat, ended_on: date) -> CommitteeSeat:
    if seat.ended_on is not None:
        raise ValidationError(_("This seat has already been vacated."))
    if ended_on < seat.committee.elected_on:
        raise ValidationError({"ended_on": _("A seat cannot be vacated before the term began.")})
    seat.ended_on = ended_on
    seat.full_clean()
    seat.save(update_fields=["ended_on"])
    return seat


# --- venues and activities ----------------------------------------------------------------------


@transaction.atomic
def venue_create(
    *,
    unit: Unit,
    name: str,
    kind: str,
    area: Decimal | None = None,
    address: str = "",
    opened_on: date | None = None,
    is_active: bool = True,
) -> Venue:
    if unit.unit_type not in (UnitType.COMPOUND, UnitType.COMMUNITY):
        raise ValidationError({"unit": _("A venue belongs to a compound or a community.")})
    venue = Venue(
        unit=unit, name=name.strip(), kind=kind, area=area, address=address, opened_on=opened_on, is_active=is_active
    )
    venue.full_clean()
    venue.save()
    return venue


@transaction.atomic
def venue_update(*, venue: Venue, **changes: Any) -> Venue:
    return apply_changes(venue, VENUE_FIELDS, changes, "venue_update")


@transaction.atomic
def activity_record(
    *,
    compound: Unit,
    kind: str,
    title: str,
    held_on: date,
    attendance: int,
    venue: Venue | None = None,
    report: str = "",
    by: Any = None,
) -> Activity:
    _require_compound(compound)
    _not_in_future(held_on, "held_on")
    if venue is not None and venue.unit_id not in (compound.pk, compound.parent_id):
        raise ValidationError({"venue": _("Choose a venue of this compound or its community.")})
    activity = Activity(
        compound=compound,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        attendance=attendance,
        venue=venue,
        report=report.strip(),
        recorded_by=by,
    )
    activity.full_clean()
    activity.save()
    return activity


# --- money ---------------------------------------------------------------------------------------


@transaction.atomic
def funding_standard_set(
    *, year: int, activity_fund: Decimal, secretary_allowance: Decimal = Decimal("0.00")
) -> AnnualFunding:
    """Set the year's activity fund per branch and secretary allowance (affects allocations granted
    afterwards, not those already granted)."""
    standard = AnnualFunding.objects.filter(year=year).first() or AnnualFunding(year=year)
    standard.activity_fund = activity_fund
    standard.secretary_allowance = secretary_allowance
    standard.full_clean(validate_unique=standard.pk is None)
    standard.save()
    return standard


def activity_fund_for(year: int) -> Decimal:
    """The year's activity fund per branch: what the district set, else 1,000 yuan."""
    standard = AnnualFunding.objects.filter(year=year).first()
    return standard.activity_fund if standard else DEFAULT_ACTIVITY_FUND


def operating_compound_branches() -> Any:
    """The active organizations that sit in a compound: the branches that get funds."""
    return Organization.objects.filter(is_active=True, unit__unit_type=UnitType.COMPOUND)


@transaction.atomic
def allocations_grant(*, year: int, granted_on: date) -> list[FundAllocation]:
    """Give every operating compound branch its activity fund for ``year`` (the year's standard);
    branches that already have it are left alone, so running it twice grants once."""
    amount = activity_fund_for(year)
    have = set(
        FundAllocation.objects.filter(year=year, source=FundSource.ACTIVITY_FUND).values_list(
            "organization_id", flat=True
        )
    )
    created = []
    for org in operating_compound_branches().exclude(pk__in=have).order_by("path"):
        created.append(
            fund_allocation_create(
                organization=org, year=year, source=FundSource.ACTIVITY_FUND, amount=amount, granted_on=granted_on
            )
        )
    return created


@transaction.atomic
def fund_allocation_create(
    *,
    organization: Organization,
    year: int,
    source: str,
    amount: Decimal,
    granted_on: date,
    resolution_ref: str = "",
) -> FundAllocation:
    """Record money a branch receives; a public-revenue share names the owners' resolution approving it."""
    allocation = FundAllocation(
        organization=organization,
        year=year,
        source=source,
        amount=amount,
        granted_on=granted_on,
        resolution_ref=resolution_ref.strip(),
    )
    allocation.full_clean()
    allocation.save()
    return allocation


@transaction.atomic
def allowance_grant(
    *, organization: Organization, year: int, member: Any, amount: Decimal | None = None, paid_on: date | None = None
) -> Allowance:
    """Pay the year's allowance to the branch's secretary (the year's standard unless given)."""
    is_secretary = BranchPost.objects.filter(
        organization=organization, member=member, position=BranchPosition.SECRETARY, ended_on__isnull=True
    ).exists()
    if not is_secretary:
        raise ValidationError({"member": _("%(member)s is not this branch's secretary.") % {"member": member.name}})
    if amount is None:
        standard = AnnualFunding.objects.filter(year=year).first()
        amount = standard.secretary_allowance if standard else Decimal("0")
    allowance = Allowance(organization=organization, year=year, member=member, amount=amount, paid_on=paid_on)
    allowance.full_clean()
    allowance.save()
    return allowance


def allocation_spent(allocation: FundAllocation) -> Decimal:
    return allocation.expenses.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@transaction.atomic
def expense_record(
    *,
    allocation: FundAllocation,
    amount: Decimal,
    spent_on: date,
    purpose: str,
    receipt: UploadedFile | None = None,
    receipt_number: str = "",
    activity: Activity | None = None,
    by: Any = None,
) -> Expense:
    """Spend from an allocation. Refused when it would overdraw: the balance is always allocated minus
    spent, checked with the allocation row locked so two secretaries cannot both spend the last yuan."""
    locked = FundAllocation.objects.select_for_update().select_related("organization").get(pk=allocation.pk)
    if spent_on.year != locked.year:
        raise ValidationError(
            {"spent_on": _("Money of the %(year)s allocation is spent in %(year)s.") % {"year": locked.year}}
        )
    _not_in_future(spent_on, "spent_on")
    if receipt is not None:
        # By its content, whichever way it came in (a name says nothing).
        try:
            RECEIPT_CHECK(receipt)
        except ValidationError as exc:
            raise ValidationError({"receipt": exc.messages}) from exc
    if activity is not None and activity.compound_id != locked.organization.unit_id:
        raise ValidationError({"activity": _("Choose an activity of this compound.")})
    if amount is not None and amount > 0:
        balance = locked.amount - allocation_spent(locked)
        if amount > balance:
            raise ValidationError(
                {
                    "amount": _(
                        "This expense of %(amount)s would overdraw the %(allocation)s: only %(balance)s is left."
                    )
                    % {"amount": money(amount), "allocation": locked.get_source_display(), "balance": money(balance)}
                }
            )
    expense = Expense(
        allocation=locked,
        amount=amount,
        spent_on=spent_on,
        purpose=purpose.strip(),
        receipt_number=receipt_number.strip(),
        activity=activity,
        recorded_by=by,
    )
    if receipt is not None:
        expense.receipt = receipt
    expense.full_clean()
    expense.save()
    return expense
