"""Admin of 单位联小区: pairings (with import and export in the ``import_pairings`` format), problems with
their timeline, contributions and deliberations. Every admin is scoped (``ScopedAdminMixin``) and
writes through the services (``ServiceModelForm``); a problem's state changes only through its moves
on the portal's problem page, so the admin shows problems and their steps without changing them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from organizations.selectors import is_district_wide
from yiling.admin import ScopedAdminMixin, ServiceAdminMixin, SpreadsheetAdminMixin, YesNoFilter
from yiling.admin_forms import SpreadsheetUploadForm
from yiling.scoping import visible

from .admin_forms import ContributionAdminForm, DeliberationAdminForm, DemandAdminForm, LiaisonAdminForm
from .models import Contribution, Deliberation, Demand, DemandStep, Liaison
from .pairings_import import export_pairings, import_pairings


class LastingFilter(YesNoFilter):
    title = _("lasting today")
    parameter_name = "lasting"

    def condition(self) -> Any:
        today = timezone.localdate()
        return Q(started_on__lte=today) & (Q(ended_on__isnull=True) | Q(ended_on__gt=today))


class RecordedOnlyMixin:
    """Added here through their service, then only viewed (no service corrects them)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # type: ignore[misc]


class LiaisonsAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Scoped, with history, written through services."""

    list_per_page = 100

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger keeps its history: a pairing ends, a problem is confirmed


class PairingUploadForm(SpreadsheetUploadForm):
    file_label = _("pairing list")


@admin.register(Liaison)
class LiaisonAdmin(SpreadsheetAdminMixin, LiaisonsAdmin):
    form = LiaisonAdminForm
    list_display = ("agency", "compound", "started_on", "ended_on", "agency_contact", "compound_contact")
    list_filter = (LastingFilter,)
    search_fields = ("agency__name", "agency__code", "compound__name", "compound__code")
    list_select_related = ("agency", "compound")
    autocomplete_fields = ("agency", "compound")
    ordering = ("agency__code", "-started_on")

    def get_readonly_fields(self, request: HttpRequest, obj: Liaison | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return (
            ("agency", "compound", "started_on", "ended_on") if obj.ended_on else ("agency", "compound", "started_on")
        )

    import_template = "admin/liaisons/liaison/import.html"
    upload_form = PairingUploadForm
    import_dir = Path(tempfile.gettempdir()) / "yiling-pairing-imports"
    import_session_key = "liaisons.pairing_import"
    import_title = _("Import pairings")
    imported_message = _("Pairings imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export pairings (Excel)"), "csv": _("Export pairings (CSV)")}
    export_name = "pairings"

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        return import_pairings(path, filename=filename, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        return export_pairings(queryset, fmt=fmt)


class DemandStepInline(admin.TabularInline):
    model = DemandStep
    fields = ("at", "from_state", "to_state", "by_name", "note", "attachment_link")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("attachment"))
    def attachment_link(self, obj: DemandStep) -> str:
        # Through the portal's view, which applies the scoping rule; never a /media/ address.
        if not obj.attachment:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("liaisons:step-attachment", args=[obj.pk]), _("attachment"))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Demand)
class DemandAdmin(RecordedOnlyMixin, LiaisonsAdmin):
    form = DemandAdminForm
    list_display = ("title", "compound", "agency", "category", "priority", "state", "raised_on", "due_on")
    list_filter = ("state", "category", "priority")
    search_fields = ("title", "compound__name", "compound__code", "liaison__agency__name")
    list_select_related = ("compound", "liaison__agency")
    autocomplete_fields = ("compound",)
    inlines = [DemandStepInline]

    def get_fields(self, request: HttpRequest, obj: Demand | None = None) -> tuple[str, ...]:
        fields = ("compound", "category", "title", "description", "priority", "due_on")
        return fields if obj is None else (*fields, "state", "raised_on", "resolved_on", "liaison")

    @admin.display(description=_("district agency"), ordering="liaison__agency__code")
    def agency(self, obj: Demand) -> str:
        return obj.liaison.agency.name


@admin.register(Contribution)
class ContributionAdmin(RecordedOnlyMixin, LiaisonsAdmin):
    form = ContributionAdminForm
    list_display = ("description", "liaison", "kind", "given_on", "amount", "hours")
    list_filter = ("kind",)
    search_fields = ("description", "liaison__compound__name", "liaison__agency__name")
    list_select_related = ("liaison__agency", "liaison__compound")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The agency records what it brought (on the portal); here only the district, for it.
        return super().has_add_permission(request) and is_district_wide(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "liaison":
            kwargs["queryset"] = visible(Liaison, request.user).select_related("agency", "compound")
        elif db_field.name == "demand":
            kwargs["queryset"] = visible(Demand, request.user).select_related("compound")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Deliberation)
class DeliberationAdmin(RecordedOnlyMixin, LiaisonsAdmin):
    form = DeliberationAdminForm
    list_display = ("topic", "compound", "held_on", "attendance")
    search_fields = ("topic", "compound__name", "compound__code")
    list_select_related = ("compound",)
    autocomplete_fields = ("compound",)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "demands":
            kwargs["queryset"] = visible(Demand, request.user).select_related("compound")
        return super().formfield_for_manytomany(db_field, request, **kwargs)
