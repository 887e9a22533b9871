"""The district staff's admin of the roster, behind the scoping rule.

Every write goes through ``members.services`` (the forms in ``admin_forms`` run the service), and a
user without ``members.view_personal_data`` sees ID numbers and phones masked everywhere: the
changelist, the change form, the history and its old versions, the import preview and the export.
A user with the permission sees them in full on the change form and in the export, and each such
view is recorded as a ``PersonalDataAccess``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.db import router, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from organizations.models import Organization
from organizations.selectors import is_district_wide
from yiling.admin import (
    NotEndedFilter,
    ScopedAdminMixin,
    ServiceAdminMixin,
    SpreadsheetAdminMixin,
    sees_personal_data,
)
from yiling.privacy import ID_LENGTH, ID_VISIBLE, mask_birth_date, mask_id_number, mask_phone, redact

from . import services
from .admin_forms import (
    CheckInAdminForm,
    FloatingRecordAdminForm,
    MemberAdminForm,
    RosterUploadForm,
    VolunteerPostAdminForm,
)
from .idnumbers import normalize
from .models import (
    CheckIn,
    FloatingRecord,
    Member,
    MembershipTransfer,
    PersonalDataAccess,
    VolunteerPost,
)
from .roster import export_roster, import_roster

#: A search term shaped like a resident ID number finds the member holding exactly that number.
ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
#: ... and shown masked on the page, which searches by the digits the mask leaves.
MASKED_ID_NUMBER_SHAPE = re.compile(rf"([0-9]{{{ID_VISIBLE}}})\*{{{ID_LENGTH - ID_VISIBLE}}}")


class EndedFilter(NotEndedFilter):
    title = _("active")
    parameter_name = "active"


class PersonalDataHistoryHelper(HistoricalRecordContextHelper):
    """Shows ID number, birth date and phone changes in the history masked, unless the user may see them."""

    PERSONAL = {"id_number": mask_id_number, "birth_date": mask_birth_date, "phone": mask_phone}

    def __init__(self, *args: Any, masked: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.masked = masked

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        mask = self.PERSONAL.get(change.field)
        if mask is None:
            return super().prepare_delta_change_value(change, value)
        if self.masked:
            return mask(value)
        self.record.shows_personal_data = True
        return value


# --- members ------------------------------------------------------------------------------------


class MemberChangeList(ChangeList):
    """Keeps an ID number searched for off the page: the search box and every link carry it masked."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        if not sees_personal_data(request):
            self.search_help_text = _("Search by name")
        term = normalize(self.query)
        if ID_NUMBER_SHAPE.fullmatch(term):
            self.query = mask_id_number(term)
            self.params[SEARCH_VAR] = self.query
            self.filter_params[SEARCH_VAR] = [self.query]
            self.remove_facet_link = redact(self.remove_facet_link)
            self.add_facet_link = redact(self.add_facet_link)
            self.clear_all_filters_qs = redact(self.clear_all_filters_qs or "")


@admin.register(Member)
class MemberAdmin(SpreadsheetAdminMixin, ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = MemberAdminForm
    list_display = (
        "name",
        "gender",
        "category",
        "status",
        "membership",
        "residence",
        "employer",
        "id_number_masked",
        "phone_masked",
    )
    list_filter = ("category", "status", "gender", "education")
    search_fields = ("name",)
    search_help_text = _("Search by name, or by a full 18-character ID number.")
    list_select_related = ("home_organization", "residence", "employer")
    autocomplete_fields = ("home_organization", "employer", "residence")
    list_per_page = 100

    # --- what is shown -----------------------------------------------------------------------

    @admin.display(description=_("membership held by"), ordering="home_organization__path")
    def membership(self, obj: Member) -> str:
        return obj.membership_display

    @admin.display(description=_("resident ID number"))
    def id_number_masked(self, obj: Member) -> str:
        return obj.masked_id_number

    @admin.display(description=_("birth date"))
    def birth_date_masked(self, obj: Member) -> str:
        return obj.masked_birth_date

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: Member) -> str:
        return obj.masked_phone

    def _shows_full(self, request: HttpRequest, obj: Member | None) -> bool:
        """ID number and phone are entered on the add form; on an existing member only with the permission."""
        return obj is None or sees_personal_data(request)

    def get_fieldsets(self, request: HttpRequest, obj: Member | None = None) -> list[tuple[Any, dict[str, Any]]]:
        # The birth date is masked with the ID number: with the day shown, a masked number is guessable.
        personal = (
            ["birth_date", "id_number", "phone"]
            if self._shows_full(request, obj)
            else ["birth_date_masked", "id_number_masked", "phone_masked"]
        )
        membership = ["home_organization", "external_organization"]
        if obj is not None and self.has_change_permission(request, obj):
            membership.append("transfer_reason")
        return [
            (None, {"fields": ["name", "gender", "ethnicity", *personal, "education"]}),
            (_("Party membership"), {"fields": ["joined_on", "full_member_on", "status", "category"]}),
            (_("Membership record"), {"fields": membership}),
            (_("Work and residence"), {"fields": ["employer", "residence"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None) -> tuple[str, ...]:
        if not self._shows_full(request, obj):
            return ("birth_date_masked", "id_number_masked", "phone_masked")
        # Changing a member's ID number is adding one by another door: see has_add_permission.
        return ("id_number",) if obj is not None and not is_district_wide(request.user) else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only users acting for the whole district add members, here as in the roster import.

        The ID number is unique district-wide, so the add form would answer "already exists" for a
        number held by a member out of the user's sight: one request per number to learn whether a
        person is a party member. No answer can both refuse that number and tell nothing, short of
        refusing every new number (which :func:`members.roster.unknown_member_message` does in the
        import): so street staff and secretaries add no members by hand, and cannot change a
        member's ID number either; they update the members they can see, and district staff add new
        members and transfer members in. The import keeps its own rule (see ``has_import_permission``).
        """
        return super().has_add_permission(request) and is_district_wide(request.user)

    def get_form(self, request: HttpRequest, obj: Member | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            # The member's current organization, employer and residence stay selectable even where
            # they lie outside the user's reach, so that saving another change keeps them.
            for name in ("home_organization", "employer", "residence"):
                field = form.base_fields.get(name)
                current = getattr(obj, f"{name}_id")
                if field is not None and current is not None:
                    reachable = field.queryset
                    field.queryset = reachable.model.objects.filter(Q(pk=current) | Q(pk__in=reachable.values("pk")))
        return form

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return MemberChangeList

    def get_preserved_filters(self, request: HttpRequest) -> str:
        return redact(super().get_preserved_filters(request))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        # Only a whole ID number is searched, never a part: a part would let anyone read the
        # numbers out digit by digit. The masked form (as the page shows it) matches what it shows.
        # Without the permission not even that: a whole number tried is a yes/no answer about it,
        # and a "masked" form may carry more digits than the mask shows. The term is then a name.
        term = normalize(search_term)
        if not sees_personal_data(request):
            return super().get_search_results(request, queryset, search_term)
        if ID_NUMBER_SHAPE.fullmatch(term):
            return queryset.filter(id_number=term), False
        masked = MASKED_ID_NUMBER_SHAPE.fullmatch(term)
        if masked:
            return queryset.filter(id_number__startswith=masked[1]), False
        return super().get_search_results(request, queryset, search_term)

    # --- recording who saw personal data ---------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Member | None = None,
    ) -> HttpResponse:
        if change and obj is not None and request.method == "GET" and sees_personal_data(request):
            services.personal_data_viewed(user=request.user, members=[obj], purpose=PersonalDataAccess.Purpose.ADMIN)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        return PersonalDataHistoryHelper(self.model, historical_record, masked=not sees_personal_data(request))

    def set_history_delta_changes(self, request: HttpRequest, historical_records: Any, **kwargs: Any) -> None:
        super().set_history_delta_changes(request, historical_records, **kwargs)
        records = list(historical_records)
        if not sees_personal_data(request):
            # A change reason is free text, and people type phone numbers into free text.
            for record in records:
                if record.history_change_reason:
                    record.history_change_reason = redact(record.history_change_reason)
            return
        shown = [r for r in records if getattr(r, "shows_personal_data", False)]
        member = Member.objects.filter(pk=shown[0].id).first() if shown else None
        if member is not None:
            services.personal_data_viewed(user=request.user, members=[member], purpose=PersonalDataAccess.Purpose.ADMIN)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A revert saves through the services like the change form, and all of it or nothing.
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().history_form_view(request, object_id, version_id, extra_context)
        if request.method == "GET" and response.status_code == 200 and sees_personal_data(request):
            member = self.get_queryset(request).filter(pk=unquote(object_id)).first()
            if member is not None:
                services.personal_data_viewed(
                    user=request.user, members=[member], purpose=PersonalDataAccess.Purpose.ADMIN
                )
        return response

    # --- roster import and export (the views are SpreadsheetAdminMixin's) ---------------------

    import_template = "admin/members/member/import.html"
    upload_form = RosterUploadForm
    #: Uploaded rosters wait here, named by a random token kept in the session, until confirmed.
    import_dir = Path(tempfile.gettempdir()) / "yiling-roster-imports"
    import_session_key = "members.roster_import"
    import_title = _("Import roster")
    imported_message = _("Roster imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export roster (Excel)"), "csv": _("Export roster (CSV)")}
    export_name = "members"
    export_has_personal_data = True

    def import_file(
        self, request: HttpRequest, path: str, *, filename: str, dry_run: bool, organization: Organization | None
    ) -> Any:
        return import_roster(path, filename=filename, organization=organization, user=request.user, dry_run=dry_run)

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        full = self.export_is_full(request)
        content = export_roster(queryset, fmt=fmt, full=full)
        if full:
            services.personal_data_viewed(
                user=request.user,
                members=queryset.select_related(None).only("pk", "name"),
                purpose=PersonalDataAccess.Purpose.EXPORT,
            )
        return content


# --- report-ins, posts, floating records --------------------------------------------------------


@admin.register(CheckIn)
class CheckInAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = CheckInAdminForm
    list_display = ("member", "unit", "status", "submitted_at", "decided_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("member__name", "unit__name")
    list_select_related = ("member", "unit", "decided_by")
    autocomplete_fields = ("member", "unit")
    actions = ["confirm_selected"]
    decided = ("status", "submitted_at", "decided_at", "decided_by", "return_reason")

    def get_fields(self, request: HttpRequest, obj: CheckIn | None = None) -> tuple[str, ...]:
        return ("member", "unit") if obj is None else ("member", "unit", *self.decided)

    def get_readonly_fields(self, request: HttpRequest, obj: CheckIn | None = None) -> tuple[str, ...]:
        return () if obj is None else ("member", "unit", *self.decided)

    def save_model(self, request: HttpRequest, obj: CheckIn, form: Any, change: bool) -> None:
        if not change:  # a report-in is decided by the actions, nothing on it is edited
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Confirm selected report-ins"), permissions=["change"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_each(
            request,
            queryset.select_related("member", "unit"),
            lambda checkin: services.checkin_confirm(checkin=checkin, by=request.user),
            ngettext_lazy("%(count)d report-in confirmed.", "%(count)d report-ins confirmed.", "count"),
        )


@admin.register(VolunteerPost)
class VolunteerPostAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = VolunteerPostAdminForm
    list_display = ("member", "compound", "post", "started_on", "ended_on")
    list_filter = ("post", EndedFilter)
    search_fields = ("member__name", "compound__name")
    list_select_related = ("member", "compound")
    autocomplete_fields = ("member", "compound")
    actions = ["end_today"]

    def get_fields(self, request: HttpRequest, obj: VolunteerPost | None = None) -> tuple[str, ...]:
        fields = ("member", "compound", "post", "started_on")
        return fields if obj is None else (*fields, "ended_on")

    def get_readonly_fields(self, request: HttpRequest, obj: VolunteerPost | None = None) -> tuple[str, ...]:
        return () if obj is None else ("member", "compound", "post", "started_on", "ended_on")

    def save_model(self, request: HttpRequest, obj: VolunteerPost, form: Any, change: bool) -> None:
        if not change:  # a post is ended by the action, nothing on it is edited
            super().save_model(request, obj, form, change)

    @admin.action(description=_("End selected posts today"), permissions=["change"])
    def end_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        self._run_each(
            request,
            queryset.select_related("member", "compound"),
            lambda post: services.volunteer_post_end(volunteer_post=post, ended_on=today, by=request.user),
            ngettext_lazy("%(count)d post ended.", "%(count)d posts ended.", "count"),
        )


@admin.register(FloatingRecord)
class FloatingRecordAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = FloatingRecordAdminForm
    list_display = ("member", "direction", "place", "reason", "local_unit", "started_on", "ended_on")
    list_filter = ("direction", EndedFilter)
    search_fields = ("member__name", "place")
    list_select_related = ("member", "local_unit")
    autocomplete_fields = ("member", "local_unit")
    actions = ["close_today"]
    opened = ("member", "direction", "place", "reason", "local_unit", "started_on")

    def get_fields(self, request: HttpRequest, obj: FloatingRecord | None = None) -> tuple[str, ...]:
        return self.opened if obj is None else (*self.opened, "ended_on")

    def get_readonly_fields(self, request: HttpRequest, obj: FloatingRecord | None = None) -> tuple[str, ...]:
        return () if obj is None else (*self.opened, "ended_on")

    def save_model(self, request: HttpRequest, obj: FloatingRecord, form: Any, change: bool) -> None:
        if not change:  # a record is closed by the action, nothing on it is edited
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Close selected records today"), permissions=["change"])
    def close_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        self._run_each(
            request,
            queryset.select_related("member", "local_unit"),
            lambda record: services.floating_record_close(record=record, ended_on=today, by=request.user),
            ngettext_lazy("%(count)d record closed.", "%(count)d records closed.", "count"),
        )


# --- records kept by the services ---------------------------------------------------------------


class ReadOnlyAdminMixin:
    """Rows written only by the services: listed and viewed, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MembershipTransfer)
class MembershipTransferAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("member", "source", "target", "transferred_on", "reason", "recorded_by", "recorded_at")
    search_fields = ("member__name", "from_organization__name", "to_organization__name")
    list_select_related = ("member", "from_organization", "to_organization", "recorded_by")
    date_hierarchy = "transferred_on"

    @admin.display(description=_("transferred from"))
    def source(self, obj: MembershipTransfer) -> str:
        return str(obj.from_organization or obj.from_external)

    @admin.display(description=_("transferred to"))
    def target(self, obj: MembershipTransfer) -> str:
        return str(obj.to_organization or obj.to_external)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("accessed_at", "user", "member_name", "purpose")
    list_filter = ("purpose",)
    search_fields = ("member_name", "user__username", "user__full_name")
    list_select_related = ("user",)
    date_hierarchy = "accessed_at"
