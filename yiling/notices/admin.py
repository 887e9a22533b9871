"""The notices in the admin: programmes and tasks (saved by their services), street webhooks, and the
read-only record of notices and deliveries, where a failed email or webhook shows and can be retried."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yiling.admin import ScopedAdminMixin, ServiceAdminMixin
from yiling.admin_forms import ServiceModelForm
from yiling.scoping import assignments_of

from . import services
from .models import Delivery, Notice, Programme, ProgressReport, StreetWebhook, Task


def _district_wide(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_superuser or any(a.role == "district_staff" for a in assignments_of(user)))


class ProgrammeForm(ServiceModelForm):
    class Meta:
        model = Programme
        fields = ("title", "description")

    def perform(self, by: Any = None) -> Programme:
        values = self.cleaned_values(("title", "description"))
        if self.adding:
            return services.programme_create(**values)
        return services.programme_update(programme=self.instance, **values)


class TaskForm(ServiceModelForm):
    class Meta:
        model = Task
        fields = ("programme", "organization", "title", "due_on", "instructions")

    def perform(self, by: Any = None) -> Task:
        values = self.cleaned_values(("programme", "organization", "title", "due_on", "instructions"))
        if self.adding:
            return services.task_create(**values)
        values.pop("programme", None)
        return services.task_update(task=self.instance, **values)


@admin.register(Programme)
class ProgrammeAdmin(ScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ("title", "status", "published_on")
    list_filter = ("status",)
    search_fields = ("title",)
    actions = ("publish", "close")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _district_wide(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _district_wide(request)

    @admin.action(description=_("Publish the selected programmes"))
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_each(request, queryset, lambda p: services.programme_publish(programme=p), _("%(count)s published."))

    @admin.action(description=_("Close the selected programmes"))
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_each(request, queryset, lambda p: services.programme_close(programme=p), _("%(count)s closed."))


@admin.register(Task)
class TaskAdmin(ScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = TaskForm
    list_display = ("title", "programme", "organization", "due_on", "progress")
    list_filter = ("programme",)
    list_select_related = ("programme", "organization")
    search_fields = ("title", "organization__name")
    readonly_fields = ("progress", "progress_note", "progress_updated_at")
    autocomplete_fields = ("organization",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _district_wide(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _district_wide(request)


@admin.register(ProgressReport)
class ProgressReportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("task", "percent", "note", "reported_by", "reported_at")
    list_select_related = ("task__organization", "reported_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """What was sent to the accounts within reach, and whether they read it."""

    list_display = ("title", "rule", "recipient", "period", "mode", "created_at", "read_at")
    list_filter = ("kind", "mode")
    list_select_related = ("recipient",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Who was (or will be) emailed or posted to, and what failed after the last try."""

    list_display = ("subject", "channel", "recipient", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "channel")
    list_select_related = ("recipient",)
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed messages again"), permissions=["view"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_each(request, queryset, lambda d: services.delivery_retry(delivery=d), _("%(count)s queued again."))


class StreetWebhookForm(ServiceModelForm):
    url = forms.URLField(label=_("webhook address"), max_length=500, assume_scheme="https")

    class Meta:
        model = StreetWebhook
        fields = ("street", "url", "is_active")

    def perform(self, by: Any = None) -> StreetWebhook:
        return services.street_webhook_set(**self.cleaned_values(("street", "url", "is_active")))


@admin.register(StreetWebhook)
class StreetWebhookAdmin(ScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """The WeCom group-robot address of a street: seen by its street, set by district staff only."""

    form = StreetWebhookForm
    list_display = ("street", "is_active")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _district_wide(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _district_wide(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "street":
            from organizations.models import Unit

            kwargs["queryset"] = Unit.objects.visible_to(request.user).filter(unit_type="street")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
