"""Forms of the roster admin. Each saves through one service, whose checks show as form errors."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization
from yiling.admin_forms import ServiceModelForm, SpreadsheetUploadForm
from yiling.scoping import visible

from . import services
from .models import CheckIn, FloatingRecord, Member, VolunteerPost


class MemberAdminForm(ServiceModelForm):
    """A member; on an existing member a new holder of the membership is a transfer, with its reason."""

    transfer_reason = forms.CharField(
        label=_("transfer reason"),
        max_length=200,
        required=False,
        help_text=_(
            "Needed when the membership moves to another organization: the move is recorded as a "
            "membership transfer dated today."
        ),
    )

    class Meta:
        model = Member
        fields = services.MEMBER_FIELDS

    @cached_property
    def stored(self) -> Member | None:
        """The member as the database holds it now (None on the add form)."""
        if self.instance.pk is None:
            return None
        return Member.objects.get(pk=self.instance.pk)

    def transfer_to(self) -> tuple[Organization | None, str] | None:
        """Where the membership moves to, or None when its holder stays the same."""
        stored = self.stored
        if stored is None or "home_organization" not in self.cleaned_data:
            return None
        home = self.cleaned_data.get("home_organization")
        external = (self.cleaned_data.get("external_organization") or "").strip()
        if home is not None:
            return None if home.pk == stored.home_organization_id else (home, "")
        if stored.home_organization_id is None and external == stored.external_organization:
            return None
        return None, external

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.transfer_to() is not None and not (cleaned.get("transfer_reason") or "").strip():
            self.add_error("transfer_reason", _("Give the reason for the transfer."))
        return cleaned

    def perform(self, *, by: Any) -> Member:
        values = self.cleaned_values(services.MEMBER_FIELDS)
        if self.stored is None:
            return services.member_create(by=by, **values)
        target = self.transfer_to()
        values.pop("home_organization", None)
        if target is not None:
            values.pop("external_organization", None)
        member = services.member_update(member=Member.objects.get(pk=self.stored.pk), by=by, **values)
        if target is not None:
            services.member_transfer(
                member=member,
                to_organization=target[0],
                to_external=target[1],
                transferred_on=timezone.localdate(),
                reason=self.cleaned_data["transfer_reason"],
                by=by,
            )
        return member


class CheckInAdminForm(ServiceModelForm):
    class Meta:
        model = CheckIn
        fields = ("member", "unit")

    def perform(self, *, by: Any) -> CheckIn:
        return services.checkin_submit(member=self.cleaned_data["member"], unit=self.cleaned_data["unit"], by=by)


class VolunteerPostAdminForm(ServiceModelForm):
    class Meta:
        model = VolunteerPost
        fields = ("member", "compound", "post", "started_on")

    def perform(self, *, by: Any) -> VolunteerPost:
        data = self.cleaned_data
        return services.volunteer_post_assign(
            member=data["member"], compound=data["compound"], post=data["post"], started_on=data["started_on"], by=by
        )


class FloatingRecordAdminForm(ServiceModelForm):
    class Meta:
        model = FloatingRecord
        fields = ("member", "direction", "place", "reason", "local_unit", "started_on")

    def perform(self, *, by: Any) -> FloatingRecord:
        data = self.cleaned_data
        return services.floating_record_open(
            member=data["member"],
            direction=data["direction"],
            place=data["place"],
            reason=data["reason"],
            local_unit=data.get("local_unit"),
            started_on=data["started_on"],
            by=by,
        )


class RosterUploadForm(SpreadsheetUploadForm):
    """The roster file to import, and optionally the organization its members belong to."""

    file_label = _("roster file")

    organization = forms.CharField(
        label=_("organization code"),
        max_length=32,
        required=False,
        help_text=_("Leave empty when the file names each member's organization."),
    )

    def clean_organization(self) -> Organization | None:
        code = self.cleaned_data["organization"].strip()
        if not code:
            return None
        organization = visible(Organization, self.user).filter(code=code).first()
        if organization is None:
            raise ValidationError(_("There is no organization with this code within your reach."))
        return organization

    def import_arguments(self) -> dict[str, Any]:
        return {"organization": self.cleaned_data["organization"]}

    def session_arguments(self) -> dict[str, Any]:
        organization = self.cleaned_data["organization"]
        return {"organization": organization.pk if organization else None}

    @classmethod
    def restore_arguments(cls, stored: dict[str, Any], user: Any) -> dict[str, Any] | None:
        if stored.get("organization") is None:
            return {"organization": None}
        organization = visible(Organization, user).filter(pk=stored["organization"]).first()
        return None if organization is None else {"organization": organization}
