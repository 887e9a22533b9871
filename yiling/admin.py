"""Shared admin pieces: the scoping mixin every domain admin uses, and the user admin."""

from django.contrib import admin
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
