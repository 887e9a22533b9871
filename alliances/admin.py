"""Admin of the park alliances: scoped (a park's staff reach its alliances and enterprises), with
history, every write through a service; the enterprises import and export in the
``import_enterprises`` layout."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from yiling.admin import NotEndedFilter, ScopedAdminMixin, ServiceAdminMixin, SpreadsheetAdminMixin, YesNoFilter
from yiling.admin_forms import SpreadsheetUploadForm

from . import admin_forms, services
from .enterprises_import import export_enterprises, import_enterprises
from .instructors_import import export_instructors, import_instructors
from .members_import import export_memberships, import_memberships
from .models import (
    Alliance,
    AllianceMembership,
    Building,
    EnterpriseProfile,
    HostTurn,
    InstructorAssignment,
    InstructorVisit,
    JointActivity,
    JointMeeting,
    OwnActivity,
    ResourceBooking,
    SharedResource,
)


class AllianceAdminBase(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Scoped, with history, written through services; no generic import (it would bypass them)."""

    list_per_page = 100


class RecordedOnly:
    """Rows added through their service and then only viewed (a meeting held, a visit made)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # type: ignore[misc]


#: Only the alliances of the rows the user sees (the plain related filter would list every alliance).
ALLIANCE_FILTER = ("alliance", admin.RelatedOnlyFieldListFilter)


class CurrentMemberFilter(YesNoFilter):
    title = _("current member")
    parameter_name = "current"

    def condition(self) -> Any:
        return Q(left_on__isnull=True)


class CurrentAssignmentFilter(NotEndedFilter):
    title = _("current")
    parameter_name = "current"


@admin.register(Building)
class BuildingAdmin(AllianceAdminBase):
    form = admin_forms.BuildingAdminForm
    list_display = ("name", "code", "park", "address")
    search_fields = ("name", "code")
    list_select_related = ("park",)
    autocomplete_fields = ("park",)

    def get_readonly_fields(self, request: HttpRequest, obj: Building | None = None) -> tuple[str, ...]:
        return () if obj is None else ("code", "park")


class EnterpriseUploadForm(SpreadsheetUploadForm):
    file_label = _("enterprise list")


@admin.register(EnterpriseProfile)
class EnterpriseProfileAdmin(SpreadsheetAdminMixin, AllianceAdminBase):
    form = admin_forms.EnterpriseProfileAdminForm
    list_display = (
        "unit",
        "sector",
        "staff",
        "is_large_scale",
        "is_demonstration_site",
        "party_members",
        "formation_mode",
        "branch",
    )
    list_filter = ("is_large_scale", "is_demonstration_site", "formation_mode", "sector")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit", "branch")
    autocomplete_fields = ("unit", "branch", "building")
    ordering = ("unit__code",)

    def get_readonly_fields(self, request: HttpRequest, obj: EnterpriseProfile | None = None) -> tuple[str, ...]:
        return () if obj is None else ("unit",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    import_template = "admin/alliances/enterpriseprofile/import.html"
    upload_form = EnterpriseUploadForm
    import_dir = Path(tempfile.gettempdir()) / "yiling-enterprise-imports"
    import_session_key = "alliances.enterprise_import"
    import_title = _("Import enterprises")
    imported_message = _("Enterprises imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export enterprises (Excel)"), "csv": _("Export enterprises (CSV)")}
    export_name = "enterprises"

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        return import_enterprises(path, filename=filename, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        return export_enterprises(queryset, fmt=fmt)


class MembershipInline(admin.TabularInline):
    model = AllianceMembership
    fields = ("branch", "turn", "joined_on", "left_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("left_on", "turn")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alliance)
class AllianceAdmin(AllianceAdminBase):
    form = admin_forms.AllianceAdminForm
    list_display = ("name", "code", "park", "committee", "lead_branch", "formed_on", "current_round")
    search_fields = ("name", "code")
    list_select_related = ("park", "committee", "lead_branch")
    autocomplete_fields = ("park", "committee", "lead_branch")
    inlines = [MembershipInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Alliance | None = None) -> tuple[str, ...]:
        return ("current_round",) if obj is None else ("code", "current_round")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberUploadForm(SpreadsheetUploadForm):
    file_label = _("list of alliance members")


@admin.register(AllianceMembership)
class AllianceMembershipAdmin(SpreadsheetAdminMixin, RecordedOnly, AllianceAdminBase):
    form = admin_forms.MembershipAdminForm
    list_display = ("alliance", "branch", "turn", "joined_on", "left_on")
    list_filter = (CurrentMemberFilter, ALLIANCE_FILTER)
    search_fields = ("branch__name", "branch__code", "alliance__name")
    list_select_related = ("alliance", "branch")
    autocomplete_fields = ("alliance", "branch")
    actions = ["leave_today"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("alliance", "branch", "joined_on")
        return fields if obj is None else (*fields, "turn", "left_on")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    import_template = "admin/alliances/alliancemembership/import.html"
    upload_form = MemberUploadForm
    import_dir = Path(tempfile.gettempdir()) / "yiling-alliance-member-imports"
    import_session_key = "alliances.member_import"
    import_title = _("Import alliance members")
    imported_message = _(
        "Alliance members imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d."
    )
    export_labels = {"xlsx": _("Export alliance members (Excel)"), "csv": _("Export alliance members (CSV)")}
    export_name = "alliance-members"

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        return import_memberships(path, filename=filename, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        return export_memberships(queryset, fmt=fmt)

    @admin.action(description=_("Remove the selected branches from their alliance today"), permissions=["change"])
    def leave_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        self._run_each(
            request,
            queryset.select_related("alliance", "branch"),
            lambda m: services.membership_end(membership=m, left_on=today),
            _("Branches removed: %(count)d."),
        )


@admin.register(JointMeeting)
class JointMeetingAdmin(AllianceAdminBase):
    form = admin_forms.JointMeetingAdminForm
    list_display = ("held_on", "alliance", "topic", "host", "attendance", "has_minutes")
    list_filter = (ALLIANCE_FILTER,)
    search_fields = ("topic", "alliance__name", "host__name")
    list_select_related = ("alliance", "host")
    autocomplete_fields = ("alliance", "host")
    date_hierarchy = "held_on"

    def get_readonly_fields(self, request: HttpRequest, obj: JointMeeting | None = None) -> tuple[str, ...]:
        return () if obj is None else ("alliance", "held_on", "host", "topic", "attendance")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("minutes"), boolean=True)
    def has_minutes(self, obj: JointMeeting) -> bool:
        return bool(obj.minutes)


@admin.register(HostTurn)
class HostTurnAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """The rotation's history: kept by the services, only read here."""

    list_display = ("alliance", "round", "branch", "hosted_on", "meeting", "activity")
    list_filter = (ALLIANCE_FILTER,)
    list_select_related = ("alliance", "branch", "meeting", "activity")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JointActivity)
class JointActivityAdmin(RecordedOnly, AllianceAdminBase):
    form = admin_forms.JointActivityAdminForm
    list_display = ("planned_on", "title", "alliance", "kind", "host", "held_on")
    list_filter = ("kind", "year", ALLIANCE_FILTER)
    search_fields = ("title", "alliance__name")
    list_select_related = ("alliance", "host")
    autocomplete_fields = ("alliance", "host")


@admin.register(OwnActivity)
class OwnActivityAdmin(RecordedOnly, AllianceAdminBase):
    form = admin_forms.OwnActivityAdminForm
    list_display = ("held_on", "title", "branch", "alliance", "joint_activity", "participants")
    list_filter = (ALLIANCE_FILTER,)
    search_fields = ("title", "branch__name")
    list_select_related = ("alliance", "branch", "joint_activity")
    autocomplete_fields = ("alliance", "branch", "joint_activity")


@admin.register(SharedResource)
class SharedResourceAdmin(RecordedOnly, AllianceAdminBase):
    form = admin_forms.SharedResourceAdminForm
    list_display = ("name", "kind", "alliance", "provider")
    list_filter = ("kind", ALLIANCE_FILTER)
    search_fields = ("name", "alliance__name")
    list_select_related = ("alliance", "provider")
    autocomplete_fields = ("alliance", "provider")


@admin.register(ResourceBooking)
class ResourceBookingAdmin(RecordedOnly, AllianceAdminBase):
    form = admin_forms.ResourceBookingAdminForm
    list_display = ("booked_for", "resource", "activity")
    list_select_related = ("resource", "activity")
    autocomplete_fields = ("resource", "activity")


class InstructorUploadForm(SpreadsheetUploadForm):
    file_label = _("list of instructors")


@admin.register(InstructorAssignment)
class InstructorAssignmentAdmin(SpreadsheetAdminMixin, RecordedOnly, AllianceAdminBase):
    form = admin_forms.InstructorAssignmentAdminForm
    list_display = ("enterprise", "instructor", "started_on", "ended_on")
    list_filter = (CurrentAssignmentFilter,)
    search_fields = ("enterprise__name", "enterprise__code", "member__name", "instructor_name")
    list_select_related = ("enterprise", "member")
    autocomplete_fields = ("enterprise", "member")
    actions = ["end_today"]

    @admin.display(description=_("instructor"))
    def instructor(self, obj: InstructorAssignment) -> str:
        return obj.display_name

    import_template = "admin/alliances/instructorassignment/import.html"
    upload_form = InstructorUploadForm
    import_dir = Path(tempfile.gettempdir()) / "yiling-instructor-imports"
    import_session_key = "alliances.instructor_import"
    import_title = _("Import instructors")
    imported_message = _("Instructors imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export instructors (Excel)"), "csv": _("Export instructors (CSV)")}
    export_name = "instructors"

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        return import_instructors(path, filename=filename, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        return export_instructors(queryset, fmt=fmt)

    @admin.action(description=_("End the selected assignments today"), permissions=["change"])
    def end_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        self._run_each(
            request,
            queryset,
            lambda a: services.instructor_assignment_end(assignment=a, ended_on=today),
            _("Assignments ended: %(count)d."),
        )


@admin.register(InstructorVisit)
class InstructorVisitAdmin(RecordedOnly, AllianceAdminBase):
    form = admin_forms.InstructorVisitAdminForm
    list_display = ("visited_on", "assignment", "summary")
    search_fields = ("assignment__enterprise__name", "summary")
    list_select_related = ("assignment__enterprise", "assignment__member")
    autocomplete_fields = ("assignment",)
