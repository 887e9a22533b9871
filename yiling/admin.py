"""Shared admin pieces: the scoping mixin every domain admin uses, saving through services, yes/no
list filters, and the user admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class ScopedAdminMixin:
    """Puts a ModelAdmin behind the scoping rule.

    The changelist, the change form reached by URL, the history, autocomplete answers (which
    read the target admin's ``get_queryset``), export (built from the changelist queryset) and
    foreign-key choices all see only what ``Model.objects.visible_to(user)`` lets through.
    Imports check each row in the resource (see ``yiling.resources.ScopedResourceMixin``).
    """

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[misc]

    def _obj_visible(self, request, obj) -> bool:  # type: ignore[no-untyped-def]
        if obj is None or obj.pk is None:
            return True
        return self.model._default_manager.all().is_visible_to(request.user, obj)  # type: ignore[attr-defined]

    def has_view_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return super().has_view_permission(request, obj) and self._obj_visible(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return super().has_change_permission(request, obj) and self._obj_visible(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return super().has_delete_permission(request, obj) and self._obj_visible(request, obj)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        from .scoping import is_scoped, visible

        if "queryset" not in kwargs and is_scoped(db_field.related_model):
            kwargs["queryset"] = visible(db_field.related_model, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def get_import_resource_kwargs(self, request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs = super().get_import_resource_kwargs(request, **kwargs)  # type: ignore[misc]
        kwargs["user"] = request.user
        return kwargs

    def get_export_resource_kwargs(self, request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs = super().get_export_resource_kwargs(request, **kwargs)  # type: ignore[misc]
        kwargs["user"] = request.user
        return kwargs


class ServiceAdminMixin:
    """Saves through the form's service (see ``yiling.admin_forms.ServiceModelForm``)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = form.perform(by=request.user)
        obj.pk = saved.pk

    def _run_each(self, request: HttpRequest, queryset: QuerySet, call: Any, done_message: Any) -> None:
        """Call ``call(obj)`` for each selected object; what a service refuses is reported, not raised."""
        done, failed = 0, []
        for obj in queryset:
            try:
                call(obj)
            except ValidationError as exc:
                failed.append(f"{obj}: {' '.join(exc.messages)}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)  # type: ignore[attr-defined]
        if failed:
            self.message_user(  # type: ignore[attr-defined]
                request, _("Not done: %(problems)s") % {"problems": "; ".join(failed)}, messages.WARNING
            )


class YesNoFilter(admin.SimpleListFilter):
    """A yes/no filter on one condition (``Q`` or ``Exists``); subclasses give the title, the
    parameter and the condition."""

    def condition(self) -> Any:
        return Q(pk__in=[])

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(self.condition())
        if self.value() == "no":
            return queryset.filter(~self.condition())
        return queryset


class NotEndedFilter(YesNoFilter):
    """Current (not ended) or ended records; subclasses give the title and the parameter."""

    def condition(self) -> Any:
        return Q(ended_on__isnull=True)


from django.contrib.auth.admin import UserAdmin as BaseUserAdmin  # noqa: E402

from .models import User  # noqa: E402


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        (_("Personal info"), {"fields": ("full_name", "email")}),
        *BaseUserAdmin.fieldsets[2:],
    )
    list_display = ("username", "full_name", "email", "is_staff", "is_active")
    search_fields = ("username", "full_name", "email")
