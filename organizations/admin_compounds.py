"""Admin of the compounds (物业小区): their list, and import/export in the ``import_compounds`` format.

The list, the export and the import all stay within what ``Unit.objects.visible_to(user)`` lets
through. The change form edits a compound's own description (name, households, residents, address,
property company) through ``services.unit_update``; new compounds, and moves to another community,
come through the import (or the units admin), where the rules about branches and communities live.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from yiling.admin import ScopedAdminMixin, SpreadsheetAdminMixin, YesNoFilter
from yiling.admin_forms import SpreadsheetUploadForm

from . import services
from .compounds_import import export_compounds, import_compounds
from .models import Compound, OwnersCommittee, PropertyCompany, Unit

# simple_history keeps the history on Unit; the proxy's Options do not carry the history manager's
# name, which SimpleHistoryAdmin reads from its model for the history and revert views.
if not hasattr(Compound._meta, "simple_history_manager_attribute"):
    Compound._meta.simple_history_manager_attribute = Unit._meta.simple_history_manager_attribute  # type: ignore[attr-defined]

#: The fields the change form edits (through services.unit_update).
EDITABLE_FIELDS = ("name", "households", "residents", "address", "property_company")


def _current_committee() -> QuerySet[OwnersCommittee]:
    return OwnersCommittee.objects.filter(compound=OuterRef("pk"), is_current=True)


class OwnBranchFilter(YesNoFilter):
    title = _("own party branch")
    parameter_name = "branch"

    def condition(self) -> Any:
        return Q(organization__unit_id=F("pk"))


class CommitteeFilter(YesNoFilter):
    title = _("owners' committee")
    parameter_name = "committee"

    def condition(self) -> Any:
        return Exists(_current_committee())


class RedCompanyFilter(YesNoFilter):
    title = _("red property company")
    parameter_name = "red"

    def condition(self) -> Any:
        return Q(property_company__is_red=True)


class CommunityFilter(admin.SimpleListFilter):
    """The communities of the compounds the user sees (one query)."""

    title = _("community")
    parameter_name = "community"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        communities = (
            model_admin.get_queryset(request)
            .filter(parent__isnull=False)
            .order_by("parent__code")
            .values_list("parent__code", "parent__name")
            .distinct()
        )
        return list(communities)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(parent__code=self.value())
        return queryset


class CompoundAdminForm(forms.ModelForm):
    class Meta:
        model = Compound
        fields = EDITABLE_FIELDS


class CompoundUploadForm(SpreadsheetUploadForm):
    file_label = _("compound list")


@admin.register(Compound)
class CompoundAdmin(SpreadsheetAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = CompoundAdminForm
    list_display = (
        "name",
        "code",
        "community",
        "households",
        "residents",
        "company",
        "has_own_branch",
        "committee_term",
    )
    list_filter = (CommunityFilter, OwnBranchFilter, CommitteeFilter, RedCompanyFilter)
    search_fields = ("name", "code")
    list_select_related = ("parent", "organization", "property_company")
    ordering = ("code",)
    list_per_page = 100
    fields = (
        "code",
        "community",
        "covering_organization",
        *EDITABLE_FIELDS,
        "has_own_branch",
        "branch_term",
        "committee_term",
    )
    readonly_fields = ("code", "community", "covering_organization", "has_own_branch", "branch_term", "committee_term")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        committee = _current_committee()
        return (
            super()
            .get_queryset(request)
            .select_related("parent", "organization", "property_company")
            .annotate(
                committee_elected_on=Subquery(committee.values("elected_on")[:1]),
                committee_term_ends_on=Subquery(committee.values("term_ends_on")[:1]),
            )
        )

    # --- what is shown -------------------------------------------------------------------------

    @admin.display(description=_("community"), ordering="parent__code")
    def community(self, obj: Unit) -> str:
        return obj.parent.name if obj.parent_id else "-"

    @admin.display(description=_("covering organization"))
    def covering_organization(self, obj: Unit) -> str:
        return obj.organization.name

    @admin.display(description=_("property company"), ordering="property_company__code")
    def company(self, obj: Unit) -> str:
        company = obj.property_company
        if company is None:
            return "-"
        if company.is_red:
            return format_html('{} <span class="red-company">{}</span>', company.name, _("(red property company)"))
        return company.name

    @admin.display(description=_("own party branch"), boolean=True)
    def has_own_branch(self, obj: Unit) -> bool:
        return obj.organization.unit_id == obj.pk

    @admin.display(description=_("branch term"))
    def branch_term(self, obj: Unit) -> str:
        if obj.organization.unit_id != obj.pk:
            return "-"
        return _term(obj.organization.elected_on, obj.organization.term_ends_on)

    @admin.display(description=_("current owners' committee term"), ordering="committee_elected_on")
    def committee_term(self, obj: Unit) -> str:
        return _term(getattr(obj, "committee_elected_on", None), getattr(obj, "committee_term_ends_on", None))

    # --- writes through the services ----------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new compounds come through the import, with their community's rules

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a compound with records is protected; units are removed in the units admin

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "property_company":
            # Any registered company may take over a compound, like in the import.
            kwargs["queryset"] = PropertyCompany.objects.order_by("code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        values = {f: form.cleaned_data.get(f) for f in EDITABLE_FIELDS if f in form.cleaned_data}
        services.unit_update(unit=Unit.objects.get(pk=obj.pk), **values)

    # --- import and export (the views are SpreadsheetAdminMixin's) ----------------------------

    import_template = "admin/organizations/compound/import.html"
    upload_form = CompoundUploadForm
    #: Uploaded lists wait here, named by a random token kept in the session, until confirmed.
    import_dir = Path(tempfile.gettempdir()) / "yiling-compound-imports"
    import_session_key = "organizations.compound_import"
    import_title = _("Import compounds")
    imported_message = _("Compounds imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export compounds (Excel)"), "csv": _("Export compounds (CSV)")}
    export_name = "compounds"

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        return import_compounds(path, filename=filename, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        return export_compounds(queryset, fmt=fmt)


def _term(elected_on: Any, term_ends_on: Any) -> str:
    if elected_on is None and term_ends_on is None:
        return "-"
    return f"{elected_on or '?'} – {term_ends_on or '?'}"
