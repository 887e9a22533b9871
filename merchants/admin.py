"""Admin of the merchants app: scoped by the one rule, with history, written through the services.

Member merchants are imported and exported in the ``import_merchants`` layout (with a preview)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from yiling.admin import ScopedAdminMixin, ServiceAdminMixin, SpreadsheetAdminMixin
from yiling.admin_forms import ServiceModelForm, SpreadsheetUploadForm

from . import services
from .merchants_import import export_merchants, import_merchants
from .models import (
    BusinessDistrictProfile,
    ContactAccess,
    Feedback,
    Merchant,
    Pledge,
    Rating,
    RatingCycle,
    ResponsibilityZone,
    ServiceActivity,
    ServiceTeam,
)


class MerchantsAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_per_page = 100


# --- forms saved by the services -------------------------------------------------------------------


class ProfileForm(ServiceModelForm):
    class Meta:
        model = BusinessDistrictProfile
        fields = ("unit", "kind", "is_demonstration")

    def perform(self, *, by: Any) -> BusinessDistrictProfile:
        return services.district_profile_set(by=by, **self.cleaned_values(self.Meta.fields))


class ZoneForm(ServiceModelForm):
    class Meta:
        model = ResponsibilityZone
        fields = ("district", "name", "duties")

    def perform(self, *, by: Any) -> ResponsibilityZone:
        values = self.cleaned_values(("name", "duties"))
        if self.adding:
            return services.zone_create(district=self.cleaned_data["district"], by=by, **values)
        return services.zone_update(zone=ResponsibilityZone.objects.get(pk=self.instance.pk), by=by, **values)


MERCHANT_FORM_FIELDS = ("operator", "licence_number", "zone", "post", "plaque_number")


class MerchantForm(ServiceModelForm):
    class Meta:
        model = Merchant
        fields = ("shop", *MERCHANT_FORM_FIELDS, "status", "status_reason")

    def perform(self, *, by: Any) -> Merchant:
        values = self.cleaned_values(MERCHANT_FORM_FIELDS)
        if self.adding:
            merchant = services.merchant_create(shop=self.cleaned_data["shop"], by=by, **values)
        else:
            merchant = services.merchant_update(merchant=Merchant.objects.get(pk=self.instance.pk), by=by, **values)
        return services.merchant_set_status(
            merchant=merchant,
            status=self.cleaned_data["status"],
            reason=self.cleaned_data.get("status_reason") or "",
            by=by,
        )


class CycleForm(ServiceModelForm):
    class Meta:
        model = RatingCycle
        fields = ("organization", "year", "criteria", "is_published")

    def perform(self, *, by: Any) -> RatingCycle:
        if self.adding:
            return services.rating_cycle_create(by=by, **self.cleaned_values(self.Meta.fields))
        cycle = RatingCycle.objects.get(pk=self.instance.pk)
        if self.cleaned_data.get("is_published"):
            cycle = services.rating_cycle_publish(cycle=cycle, by=by)
        return cycle


class RatingForm(ServiceModelForm):
    class Meta:
        model = Rating
        fields = ("cycle", "merchant", "inspection_score", "revokes_plaque", "revocation_reason")

    def perform(self, *, by: Any) -> Rating:
        return services.rating_record(
            cycle=self.cleaned_data["cycle"],
            merchant=self.cleaned_data["merchant"],
            inspection_score=self.cleaned_data["inspection_score"],
            revokes_plaque=self.cleaned_data.get("revokes_plaque", False),
            revocation_reason=self.cleaned_data.get("revocation_reason") or "",
            by=by,
        )


class TeamForm(ServiceModelForm):
    class Meta:
        model = ServiceTeam
        fields = ("organization", "kind", "name")

    def perform(self, *, by: Any) -> ServiceTeam:
        if self.adding:
            return services.team_create(by=by, **self.cleaned_values(self.Meta.fields))
        return ServiceTeam.objects.get(pk=self.instance.pk)


class ActivityForm(ServiceModelForm):
    class Meta:
        model = ServiceActivity
        fields = ("team", "held_on", "title", "participants")

    def perform(self, *, by: Any) -> ServiceActivity:
        return services.activity_record(by=by, **self.cleaned_values(self.Meta.fields))


# --- the admins ----------------------------------------------------------------------------------------


@admin.register(BusinessDistrictProfile)
class ProfileAdmin(MerchantsAdmin):
    form = ProfileForm
    list_display = ("unit", "kind", "is_demonstration")
    list_filter = ("kind", "is_demonstration")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit",)


@admin.register(ResponsibilityZone)
class ZoneAdmin(MerchantsAdmin):
    form = ZoneForm
    list_display = ("name", "district")
    search_fields = ("name", "district__name")
    list_select_related = ("district",)


class MerchantUploadForm(SpreadsheetUploadForm):
    file_label = _("merchant list")


@admin.register(Merchant)
class MerchantAdmin(SpreadsheetAdminMixin, MerchantsAdmin):
    form = MerchantForm
    list_display = ("shop", "district", "operator", "licence_number", "plaque_number", "status")
    list_filter = ("status",)
    search_fields = ("shop__name", "shop__code", "licence_number", "operator__name", "plaque_number")
    list_select_related = ("shop", "shop__parent", "operator")
    readonly_fields = ("board_code",)
    raw_id_fields = ("operator",)
    ordering = ("shop__code",)

    @admin.display(description=_("business district"), ordering="shop__parent__code")
    def district(self, obj: Merchant) -> str:
        return obj.shop.parent.name if obj.shop.parent_id else "-"

    def get_readonly_fields(self, request: HttpRequest, obj: Merchant | None = None) -> tuple[str, ...]:
        return ("board_code",) if obj is None else ("shop", "board_code")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a merchant's record is ended by revoking the plaque, never deleted

    import_template = "admin/merchants/merchant/import.html"
    upload_form = MerchantUploadForm
    import_dir = Path(tempfile.gettempdir()) / "yiling-merchant-imports"
    import_session_key = "merchants.merchant_import"
    import_title = _("Import member merchants")
    imported_message = _("Merchants imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export merchants (Excel)"), "csv": _("Export merchants (CSV)")}
    export_name = "merchants"
    export_has_personal_data = True

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        return import_merchants(path, filename=filename, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        full = self.export_is_full(request)
        content = export_merchants(queryset, fmt=fmt, full=full)
        if full:
            from members.models import Member, PersonalDataAccess
            from members.services import personal_data_viewed

            operators = Member.objects.filter(merchant_shops__in=queryset.order_by()).distinct().only("pk", "name")
            personal_data_viewed(user=request.user, members=operators, purpose=PersonalDataAccess.Purpose.EXPORT)
        return content


@admin.register(Pledge)
class PledgeAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Pledges are proposed by merchants and decided on the desk; here they are read."""

    list_display = ("merchant", "version", "status", "proposed_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("merchant__shop__name",)
    list_select_related = ("merchant__shop",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Customers' messages are moderated and handled on the desk; here they are read, phone masked."""

    list_display = ("receipt", "merchant", "kind", "status", "submitted_at", "due_on", "closed_at")
    list_filter = ("kind", "status")
    search_fields = ("receipt", "merchant__shop__name")
    list_select_related = ("merchant__shop",)
    exclude = ("contact_phone", "source")
    readonly_fields = ("masked_phone",)

    @admin.display(description=_("contact phone"))
    def masked_phone(self, obj: Feedback) -> str:
        return obj.masked_phone

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContactAccess)
class ContactAccessAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("accessed_at", "user", "feedback")
    list_select_related = ("user", "feedback")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RatingCycle)
class RatingCycleAdmin(MerchantsAdmin):
    form = CycleForm
    list_display = ("year", "organization", "is_published")
    list_filter = ("is_published",)
    list_select_related = ("organization",)


@admin.register(Rating)
class RatingAdmin(MerchantsAdmin):
    form = RatingForm
    list_display = ("merchant", "cycle", "grade", "praise_score", "complaint_score", "inspection_score")
    list_filter = ("grade",)
    search_fields = ("merchant__shop__name",)
    list_select_related = ("merchant__shop", "cycle__organization")
    raw_id_fields = ("merchant",)


@admin.register(ServiceTeam)
class ServiceTeamAdmin(MerchantsAdmin):
    form = TeamForm
    list_display = ("name", "kind", "organization")
    list_filter = ("kind",)
    list_select_related = ("organization",)


@admin.register(ServiceActivity)
class ServiceActivityAdmin(MerchantsAdmin):
    form = ActivityForm
    list_display = ("title", "team", "held_on", "participants")
    list_select_related = ("team",)
