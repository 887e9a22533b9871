"""Admin of the organization tree, units and role assignments, all behind the scoping rule."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from yiling.admin import ScopedAdminMixin
from yiling.scoping import visible

from . import services
from .forms import OrganizationAdminForm
from .models import Organization, RoleAssignment, Unit
from .resources import OrganizationResource, UnitResource
from .selectors import attach_path_names


class PathChangeList(ChangeList):
    """Fills in every row's path from the district down with one query per page."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = attach_path_names(self.result_list)


class ScopedModelAdmin(ScopedAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    """The base of every domain admin: scoped, importable, exportable, with history."""


@admin.register(Organization)
class OrganizationAdmin(ScopedModelAdmin):
    form = OrganizationAdminForm
    resource_classes = [OrganizationResource]
    list_display = ("indented_name", "code", "kind", "unit", "path_trail", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)
    ordering = ("path",)
    list_per_page = 100
    fields = ("parent", "code", "name", "kind", "unit", "established_on", "is_active", "path_trail")
    readonly_fields = ("path_trail",)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PathChangeList

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        parents = visible(Organization, request.user)
        if obj is not None:
            parents = parents.exclude(path__startswith=obj.path)
        form.base_fields["parent"].queryset = parents
        form.base_fields["parent"].required = not request.user.is_superuser
        return form

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Organization) -> str:
        return format_html('<span style="padding-left:{}em">{}</span>', (obj.depth - 1) * 1.5, obj.name)

    @admin.display(description=_("path"))
    def path_trail(self, obj: Organization) -> str:
        return obj.path_display if obj.pk else "-"

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        parent = form.cleaned_data.get("parent")
        values = {f: form.cleaned_data.get(f) for f in services.ORGANIZATION_FIELDS if f in form.cleaned_data}
        values["is_active"] = bool(values.get("is_active"))
        # The admin's change view already runs in a transaction.
        if not change:
            saved = services.organization_create(parent=parent, **values)
        else:
            saved = services.organization_update(organization=Organization.objects.get(pk=obj.pk), **values)
            saved = services.organization_move(organization=saved, new_parent=parent)
        obj.pk, obj.path, obj.depth = saved.pk, saved.path, saved.depth

    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        # A node with sub-organizations is deleted with them; treebeard does that in one go.
        Organization.objects.filter(pk=obj.pk).delete()


@admin.register(Unit)
class UnitAdmin(ScopedModelAdmin):
    resource_classes = [UnitResource]
    list_display = (
        "name",
        "code",
        "unit_type",
        "parent",
        "organization",
        "is_compound_type",
        "households",
        "residents",
    )
    list_filter = ("unit_type", "is_compound_type")
    search_fields = ("name", "code")
    list_select_related = ("parent", "organization")
    autocomplete_fields = ("parent", "organization")
    list_per_page = 100

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        values = {f: form.cleaned_data.get(f) for f in services.UNIT_FIELDS if f in form.cleaned_data}
        if change:
            saved = services.unit_update(unit=Unit.objects.get(pk=obj.pk), **values)
        else:
            saved = services.unit_create(**values)
        obj.pk = saved.pk


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("user", "role", "organization", "unit")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "organization__name", "unit__name")
    list_select_related = ("user", "organization", "unit")
    autocomplete_fields = ("user", "organization", "unit")


from . import admin_compounds  # noqa: E402, F401  (registers the compound admin)
