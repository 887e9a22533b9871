"""Forms of the compound governance and funds admin. Each saves through one service, whose checks
show as form errors next to the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiling.admin_forms import ServiceModelForm, add_service_errors, rolled_back

from . import services
from .models import (
    Activity,
    Allowance,
    AnnualFunding,
    BranchPost,
    CommitteeSeat,
    Expense,
    FundAllocation,
    OwnersCommittee,
    PropertyCompany,
    RoleAssignment,
    Venue,
)
from .models.governance import RECEIPT_CHECK
from .services.governance import COMMITTEE_FIELDS, PROPERTY_COMPANY_FIELDS, VENUE_FIELDS

# --- property companies and the owners' committee -------------------------------------------------


class PropertyCompanyAdminForm(ServiceModelForm):
    class Meta:
        model = PropertyCompany
        fields = PROPERTY_COMPANY_FIELDS

    def perform(self, *, by: Any) -> PropertyCompany:
        values = self.cleaned_values(PROPERTY_COMPANY_FIELDS)
        if self.adding:
            return services.property_company_create(**values)
        return services.property_company_update(company=PropertyCompany.objects.get(pk=self.instance.pk), **values)


class OwnersCommitteeAdminForm(ServiceModelForm):
    """A new term is recorded (the previous one becomes history); an existing one is corrected."""

    class Meta:
        model = OwnersCommittee
        fields = ("compound", *COMMITTEE_FIELDS)

    def perform(self, *, by: Any) -> OwnersCommittee:
        values = self.cleaned_values(COMMITTEE_FIELDS)
        if self.adding:
            return services.owners_committee_record(compound=self.cleaned_data["compound"], **values)
        return services.owners_committee_update(committee=OwnersCommittee.objects.get(pk=self.instance.pk), **values)


class CommitteeSeatInlineForm(forms.ModelForm):
    """A seat on the committee: a new one is added (a party member living in the compound, or an owner
    by name); on an existing one only the day its holder left can be given."""

    SEATED = ("position", "member", "name")

    class Meta:
        model = CommitteeSeat
        fields = ("position", "member", "name", "ended_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            self.fields["name"].required = False
            self.fields["name"].help_text = _("Filled in from the member; give it for an owner who is not a member.")
        if self.instance.pk is not None:
            for name in self.SEATED:
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("member") is None and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Choose a party member or give the owner's name."))
        return cleaned

    def perform(self, *, committee: OwnersCommittee) -> CommitteeSeat:
        data = self.cleaned_data
        if self.instance.pk is None:
            seat = services.committee_seat_add(
                committee=committee, position=data["position"], member=data.get("member"), name=data.get("name") or ""
            )
            if data.get("ended_on"):
                seat = services.committee_seat_end(seat=seat, ended_on=data["ended_on"])
            return seat
        seat = CommitteeSeat.objects.select_related("committee").get(pk=self.instance.pk)
        return services.committee_seat_end(seat=seat, ended_on=data.get("ended_on"))


class CommitteeSeatFormSet(BaseInlineFormSet):
    """Runs every changed seat through its service in one rolled-back savepoint, in the order the
    admin then saves them, so that two new chairs in one submission are caught on the second."""

    def changed_forms(self) -> list[CommitteeSeatInlineForm]:
        return [f for f in self.forms if f.has_changed()]

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.non_form_errors():
            return
        changed = self.changed_forms()
        if not changed:
            return
        with rolled_back():
            for form in changed:
                try:
                    form.perform(committee=self.instance)
                except ValidationError as exc:
                    add_service_errors(form, exc)


# --- the branch, venues and activities ---------------------------------------------------------------


class BranchPostAdminForm(ServiceModelForm):
    class Meta:
        model = BranchPost
        fields = ("organization", "member", "position", "started_on")

    def perform(self, *, by: Any) -> BranchPost:
        return services.branch_post_appoint(**self.cleaned_values(self.Meta.fields))


class VenueAdminForm(ServiceModelForm):
    class Meta:
        model = Venue
        fields = ("unit", *VENUE_FIELDS)

    def perform(self, *, by: Any) -> Venue:
        values = self.cleaned_values(VENUE_FIELDS)
        values["address"] = values.get("address") or ""
        if self.adding:
            return services.venue_create(unit=self.cleaned_data["unit"], **values)
        return services.venue_update(venue=Venue.objects.get(pk=self.instance.pk), **values)


class ActivityAdminForm(ServiceModelForm):
    class Meta:
        model = Activity
        fields = ("compound", "kind", "title", "held_on", "attendance", "venue", "report")

    def perform(self, *, by: Any) -> Activity:
        values = self.cleaned_values(self.Meta.fields)
        values["report"] = values.get("report") or ""
        return services.activity_record(by=by, **values)


# --- money ---------------------------------------------------------------------------------------


def _this_year() -> int:
    return timezone.localdate().year


class AnnualFundingAdminForm(ServiceModelForm):
    class Meta:
        model = AnnualFunding
        fields = ("year", "activity_fund", "secretary_allowance")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "year" in self.fields and self.adding:
            self.fields["year"].initial = _this_year()

    def perform(self, *, by: Any) -> AnnualFunding:
        data = self.cleaned_data
        return services.funding_standard_set(
            year=data["year"] if self.adding else self.instance.year,
            activity_fund=data["activity_fund"],
            secretary_allowance=data["secretary_allowance"],
        )


class FundAllocationAdminForm(ServiceModelForm):
    class Meta:
        model = FundAllocation
        fields = ("organization", "year", "source", "amount", "resolution_ref", "granted_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.adding:
            if "year" in self.fields:
                self.fields["year"].initial = _this_year()
            if "granted_on" in self.fields:
                self.fields["granted_on"].initial = timezone.localdate()

    def perform(self, *, by: Any) -> FundAllocation:
        values = self.cleaned_values(self.Meta.fields)
        values["resolution_ref"] = values.get("resolution_ref") or ""
        return services.fund_allocation_create(**values)


class AllowanceAdminForm(ServiceModelForm):
    class Meta:
        model = Allowance
        fields = ("organization", "year", "member", "amount", "paid_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "amount" in self.fields:
            self.fields["amount"].required = False
            self.fields["amount"].help_text = _("Leave empty to pay the year's standard allowance.")
        if "year" in self.fields and self.adding:
            self.fields["year"].initial = _this_year()

    def perform(self, *, by: Any) -> Allowance:
        return services.allowance_grant(**self.cleaned_values(self.Meta.fields))


class ExpenseAdminForm(ServiceModelForm):
    class Meta:
        model = Expense
        fields = ("allocation", "spent_on", "amount", "purpose", "receipt", "receipt_number", "activity")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "receipt" in self.fields:
            self.fields["receipt"].validators.append(RECEIPT_CHECK)

    def perform(self, *, by: Any) -> Expense:
        data = self.cleaned_data
        return services.expense_record(
            allocation=data["allocation"],
            amount=data["amount"],
            spent_on=data["spent_on"],
            purpose=data.get("purpose") or "",
            receipt=data.get("receipt") or None,
            receipt_number=data.get("receipt_number") or "",
            activity=data.get("activity"),
            by=by,
        )

    def discard_trial(self, result: models.Model) -> None:
        # The trial run stored the receipt file; the database rolls back, the storage does not.
        if isinstance(result, Expense) and result.receipt:
            result.receipt.delete(save=False)


# --- role assignments ---------------------------------------------------------------------------


class RoleAssignmentAdminForm(ServiceModelForm):
    """A role given, or changed, by ``granter`` (the admin sets the requesting user): held to
    ``services.grant_check``, whose refusal shows on the field at fault."""

    #: The user granting; the admin's get_form sets it on a subclass per request.
    granter: Any = None

    class Meta:
        model = RoleAssignment
        fields = ("user", "role", "organization", "unit")

    def perform(self, *, by: Any) -> RoleAssignment:
        if self.granter is None:
            raise TypeError("RoleAssignmentAdminForm needs its granter")
        values = self.cleaned_values(self.Meta.fields)
        if self.adding:
            return services.role_assign(by=self.granter, **values)
        assignment = RoleAssignment.objects.get(pk=self.instance.pk)
        return services.role_assignment_update(assignment=assignment, by=self.granter, **values)
