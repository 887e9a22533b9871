"""Admin of the organization tree, units and role assignments, and of compound governance and funds
(property companies, owners' committees, branch posts, venues, activities and the money), all behind
the scoping rule and written through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from yiling.admin import ChangelistExportMixin, NotEndedFilter, ScopedAdminMixin, ServiceAdminMixin
from yiling.admin_imports import SignedImportConfirmMixin
from yiling.resources import LimitedImportMixin
from yiling.scoping import assignments_of, visible
from yiling.uploads import attachment_response

from . import services
from .admin_forms import (
    ActivityAdminForm,
    AllowanceAdminForm,
    AnnualFundingAdminForm,
    BranchPostAdminForm,
    CommitteeSeatFormSet,
    CommitteeSeatInlineForm,
    ExpenseAdminForm,
    FundAllocationAdminForm,
    OwnersCommitteeAdminForm,
    PropertyCompanyAdminForm,
    RoleAssignmentAdminForm,
    VenueAdminForm,
)
from .forms import OrganizationAdminForm
from .models import (
    ORGANIZATION_ROLES,
    Activity,
    Allowance,
    AnnualFunding,
    BranchPost,
    CommitteeSeat,
    Expense,
    FundAllocation,
    Organization,
    OwnersCommittee,
    PropertyCompany,
    RoleAssignment,
    Unit,
    Venue,
)
from .resources import OrganizationResource, OwnersCommitteeResource, PropertyCompanyResource, UnitResource
from .selectors import attach_path_names, grantable_users
from .selectors.governance import MONEY, ZERO


class PathChangeList(ChangeList):
    """Fills in every row's path from the district down with one query per page."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = attach_path_names(self.result_list)


class ScopedModelAdmin(
    SignedImportConfirmMixin,
    LimitedImportMixin,
    ChangelistExportMixin,
    ScopedAdminMixin,
    ImportExportModelAdmin,
    SimpleHistoryAdmin,
):
    """The base of every domain admin: scoped, importable within bounds (confirming only the user's own
    preview), exportable, with history."""


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

    class Media:
        css = {"all": ["css/admin-tree.css"]}

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
        return format_html('<span class="tree-depth-{}">{}</span>', obj.depth, obj.name)

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


class GrantableUserAutocomplete(AutocompleteJsonView):
    """The role-assignment form's account search: only the accounts the requesting user may give a
    role to (``selectors.grantable_users``), searched as the user admin searches."""

    def process_request(self, request: HttpRequest) -> tuple[str, Any, Any, str]:
        source_field = RoleAssignment._meta.get_field("user")
        user_model = source_field.remote_field.model  # type: ignore[union-attr]
        user_admin = self.admin_site.get_model_admin(user_model)
        return request.GET.get("term", ""), user_admin, source_field, user_model._meta.pk.attname

    def has_perm(self, request: HttpRequest, obj: Any = None) -> bool:
        role_admin = self.admin_site.get_model_admin(RoleAssignment)  # type: ignore[union-attr]
        return role_admin.has_add_permission(request) or role_admin.has_change_permission(request)

    def get_queryset(self) -> QuerySet:
        accounts = grantable_users(by=self.request.user).order_by("username")
        accounts, distinct = self.model_admin.get_search_results(self.request, accounts, self.term)
        return accounts.distinct() if distinct else accounts


class GrantableUserSelect(AutocompleteSelect):
    def get_url(self) -> str:
        return reverse(f"{self.admin_site.name}:organizations_roleassignment_grantable_users")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Roles are granted, changed and ended through the services, under ``services.grant_check``:
    the user field offers (and accepts) only the accounts the requesting user may give a role to,
    and an assignment the user could not have granted is read-only for them."""

    form = RoleAssignmentAdminForm
    list_display = ("user", "role", "organization", "unit")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "organization__name", "unit__name")
    list_select_related = ("user", "organization", "unit")
    autocomplete_fields = ("organization", "unit")

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(GrantableUserAutocomplete.as_view(admin_site=self.admin_site))
        name = "organizations_roleassignment_grantable_users"
        return [path("grantable-users/", view, name=name), *super().get_urls()]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = grantable_users(by=request.user)
            kwargs["widget"] = GrantableUserSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"granter": request.user})

    def _may_end(self, request: HttpRequest, obj: RoleAssignment | None) -> bool:
        if obj is None or obj.pk is None:
            return True
        try:
            services.role_end_check(by=request.user, assignment=obj)
        except ValidationError:
            return False
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_end(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_end(request, obj)

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        services.role_revoke(assignment=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        assignments = list(queryset)
        if not all(self._may_end(request, a) for a in assignments):
            raise PermissionDenied
        for assignment in assignments:
            services.role_revoke(assignment=assignment, by=request.user)


# --- compound governance and funds ------------------------------------------------------------------


#: Sums come back from some databases without their two places; money shows with them.
CENT = Decimal("0.01")


def reaches_whole_district(user: Any) -> bool:
    """Whether the user's part of the tree is the whole district (a role bound to the root): only
    such users set the yearly standard and grant every branch its fund. No query: the assignments
    are read once per request by the scoping rule."""
    if getattr(user, "is_superuser", False):
        return True
    return any(
        a.role in ORGANIZATION_ROLES and a.organization_id and a.organization.depth == 1 for a in assignments_of(user)
    )


class ActiveFilter(NotEndedFilter):
    title = _("current")
    parameter_name = "current"


class RecordedOnlyMixin:
    """Rows no service corrects once recorded (an appointment, an activity, money given or spent):
    added here through their service, then only viewed; the change page is read-only."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # type: ignore[misc]


class GovernanceAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Scoped, with history, written through services; no generic import (it would bypass them)."""

    list_per_page = 100


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(ServiceAdminMixin, ScopedModelAdmin):
    form = PropertyCompanyAdminForm
    resource_classes = [PropertyCompanyResource]
    list_display = ("code", "name", "is_red", "party_organization", "compound_count")
    list_filter = ("is_red",)
    search_fields = ("code", "name")
    list_select_related = ("party_organization",)
    autocomplete_fields = ("party_organization",)
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(compound_count=Count("compounds", distinct=True))

    @admin.display(description=_("compounds managed"), ordering="compound_count")
    def compound_count(self, obj: PropertyCompany) -> int:
        return obj.compound_count  # type: ignore[attr-defined]


class CommitteeSeatInline(admin.TabularInline):
    """The seats of a term: added through ``committee_seat_add``, vacated through ``committee_seat_end``
    (see ``OwnersCommitteeAdmin.save_formset``); never deleted, so the record stays."""

    model = CommitteeSeat
    form = CommitteeSeatInlineForm
    formset = CommitteeSeatFormSet
    fields = ("position", "member", "name", "ended_on")
    autocomplete_fields = ("member",)
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("member").order_by("ended_on", "position", "name", "pk")

    def get_extra(self, request: HttpRequest, obj: OwnersCommittee | None = None, **kwargs: Any) -> int:
        return 1 if obj is not None and obj.is_current else 0

    def has_add_permission(self, request: HttpRequest, obj: OwnersCommittee | None = None) -> bool:
        # Seats are added to the current term only.
        return obj is not None and obj.is_current and super().has_add_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "member":
            kwargs.setdefault("queryset", visible(db_field.related_model, request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(OwnersCommittee)
class OwnersCommitteeAdmin(ServiceAdminMixin, ScopedModelAdmin):
    form = OwnersCommitteeAdminForm
    resource_classes = [OwnersCommitteeResource]
    list_display = (
        "compound",
        "community",
        "elected_on",
        "term_ends_on",
        "is_current",
        "seat_count",
        "is_red_committee",
    )
    list_filter = ("is_current",)
    search_fields = ("compound__name", "compound__code")
    list_select_related = ("compound", "compound__parent")
    autocomplete_fields = ("compound",)
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        sitting = Q(seats__ended_on__isnull=True)
        return (
            super()
            .get_queryset(request)
            # Here rather than left to the changelist, which skips list_select_related once the
            # queryset selects anything: the term's name in autocomplete answers needs it too.
            .select_related(*self.list_select_related)
            .annotate(
                seat_count=Count("seats", filter=sitting, distinct=True),
                member_seat_count=Count("seats", filter=sitting & Q(seats__member__isnull=False), distinct=True),
            )
        )

    def get_fields(self, request: HttpRequest, obj: OwnersCommittee | None = None) -> tuple[str, ...]:
        fields = ("compound", "elected_on", "term_ends_on", "notes")
        return fields if obj is None else (*fields, "is_current")

    def get_readonly_fields(self, request: HttpRequest, obj: OwnersCommittee | None = None) -> tuple[str, ...]:
        # A term belongs to its compound; a new term is recorded, not moved.
        return () if obj is None else ("compound", "is_current")

    def get_inlines(self, request: HttpRequest, obj: OwnersCommittee | None) -> list[type[Any]]:
        return [CommitteeSeatInline] if obj is not None else []

    @admin.display(description=_("community"), ordering="compound__parent__name")
    def community(self, obj: OwnersCommittee) -> str:
        return str(obj.compound.parent or "")

    @admin.display(description=_("seats"), ordering="seat_count")
    def seat_count(self, obj: OwnersCommittee) -> int:
        return obj.seat_count  # type: ignore[attr-defined]

    @admin.display(description=_("red owners' committee"), boolean=True, ordering="member_seat_count")
    def is_red_committee(self, obj: OwnersCommittee) -> bool:
        return obj.member_seat_count > 0  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: OwnersCommittee, post_url_continue: str | None = None) -> Any:
        # The seats are added on the term's page: go there after recording it.
        if "_addanother" not in request.POST and IS_POPUP_VAR not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not CommitteeSeat:
            super().save_formset(request, form, formset, change)
            return
        committee = OwnersCommittee.objects.select_related("compound").get(pk=form.instance.pk)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for seat_form in formset.changed_forms():
            seat = seat_form.perform(committee=committee)
            if seat_form.instance.pk is None:
                formset.new_objects.append(seat)
            else:
                formset.changed_objects.append((seat, seat_form.changed_data))


@admin.register(BranchPost)
class BranchPostAdmin(RecordedOnlyMixin, GovernanceAdmin):
    form = BranchPostAdminForm
    list_display = ("organization", "member", "position", "started_on", "ended_on")
    list_filter = ("position", ActiveFilter)
    search_fields = ("member__name", "organization__name", "organization__code")
    list_select_related = ("organization", "member")
    autocomplete_fields = ("organization", "member")
    actions = ["end_today"]

    def get_fields(self, request: HttpRequest, obj: BranchPost | None = None) -> tuple[str, ...]:
        fields = ("organization", "member", "position", "started_on")
        return fields if obj is None else (*fields, "ended_on")

    @admin.action(description=_("End selected branch posts today"), permissions=["change"])
    def end_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        self._run_each(
            request,
            queryset.select_related("member"),
            lambda post: services.branch_post_end(post=post, ended_on=today),
            _("Posts ended: %(count)d."),
        )


@admin.register(Venue)
class VenueAdmin(GovernanceAdmin):
    form = VenueAdminForm
    list_display = ("name", "unit", "kind", "area", "opened_on", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "unit__name", "unit__code")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)

    def get_readonly_fields(self, request: HttpRequest, obj: Venue | None = None) -> tuple[str, ...]:
        return () if obj is None else ("unit",)


@admin.register(Activity)
class ActivityAdmin(RecordedOnlyMixin, GovernanceAdmin):
    form = ActivityAdminForm
    list_display = ("title", "compound", "kind", "held_on", "attendance", "venue")
    list_filter = ("kind",)
    search_fields = ("title", "compound__name", "compound__code")
    list_select_related = ("compound", "venue")
    autocomplete_fields = ("compound", "venue")

    def get_fields(self, request: HttpRequest, obj: Activity | None = None) -> tuple[str, ...]:
        fields = ("compound", "kind", "title", "held_on", "attendance", "venue", "report")
        return fields if obj is None else (*fields, "recorded_by", "recorded_at")


@admin.register(AnnualFunding)
class AnnualFundingAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """The district's yearly standard. Every staff user may read it; only the district sets it and
    grants the activity funds (each branch of the whole district gets its fund)."""

    form = AnnualFundingAdminForm
    list_display = ("year", "activity_fund", "secretary_allowance")
    actions = ["grant_activity_funds"]

    def get_readonly_fields(self, request: HttpRequest, obj: AnnualFunding | None = None) -> tuple[str, ...]:
        return () if obj is None else ("year",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and reaches_whole_district(request.user)

    def has_change_permission(self, request: HttpRequest, obj: AnnualFunding | None = None) -> bool:
        return super().has_change_permission(request, obj) and reaches_whole_district(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: AnnualFunding | None = None) -> bool:
        return super().has_delete_permission(request, obj) and reaches_whole_district(request.user)

    def has_grant_permission(self, request: HttpRequest) -> bool:
        return reaches_whole_district(request.user) and request.user.has_perm("organizations.add_fundallocation")

    @admin.action(
        description=_("Grant the selected years' activity fund to every operating branch"), permissions=["grant"]
    )
    def grant_activity_funds(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        for standard in queryset.order_by("year"):
            try:
                granted = services.allocations_grant(year=standard.year, granted_on=today)
            except ValidationError as exc:
                self.message_user(
                    request,
                    _("Not done: %(problems)s") % {"problems": f"{standard.year}: {' '.join(exc.messages)}"},
                    messages.WARNING,
                )
                continue
            if granted:
                message = _("Activity fund of %(year)s granted: %(count)d branches, %(amount)s yuan each.") % {
                    "year": standard.year,
                    "count": len(granted),
                    "amount": granted[0].amount,
                }
            else:
                message = _("Activity fund of %(year)s: every operating branch already has it.") % {
                    "year": standard.year
                }
            self.message_user(request, message, messages.SUCCESS)


@admin.register(FundAllocation)
class FundAllocationAdmin(RecordedOnlyMixin, GovernanceAdmin):
    form = FundAllocationAdminForm
    list_display = (
        "organization",
        "year",
        "source",
        "amount",
        "spent",
        "balance",
        "resolution_ref",
        "granted_on",
    )
    list_filter = ("year", "source")
    search_fields = ("organization__name", "organization__code", "resolution_ref")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Spent and balance of every row in the page's one query; the organization for the
        # allocation's name in autocomplete answers too. The sum groups the rows, and a grouped query
        # keeps no Meta.ordering: the model's order is asked for again, so that the autocomplete's
        # pages never shift.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(spent=Coalesce(Sum("expenses__amount"), ZERO, output_field=MONEY))
            .annotate(balance=ExpressionWrapper(F("amount") - F("spent"), output_field=MONEY))
            .order_by(*FundAllocation._meta.ordering)
        )

    @admin.display(description=_("spent (yuan)"), ordering="spent")
    def spent(self, obj: FundAllocation) -> Decimal:
        return Decimal(obj.spent).quantize(CENT)  # type: ignore[attr-defined]

    @admin.display(description=_("balance (yuan)"), ordering="balance")
    def balance(self, obj: FundAllocation) -> Decimal:
        return Decimal(obj.balance).quantize(CENT)  # type: ignore[attr-defined]


@admin.register(Allowance)
class AllowanceAdmin(RecordedOnlyMixin, GovernanceAdmin):
    form = AllowanceAdminForm
    list_display = ("organization", "year", "member", "amount", "paid_on")
    list_filter = ("year",)
    search_fields = ("member__name", "organization__name", "organization__code")
    list_select_related = ("organization", "member")
    autocomplete_fields = ("organization", "member")


@admin.register(Expense)
class ExpenseAdmin(RecordedOnlyMixin, GovernanceAdmin):
    form = ExpenseAdminForm
    list_display = ("spent_on", "organization", "year", "source", "amount", "purpose", "receipt_link")
    list_filter = ("allocation__year", "allocation__source")
    search_fields = ("purpose", "receipt_number", "allocation__organization__name", "allocation__organization__code")
    list_select_related = ("allocation", "allocation__organization")
    autocomplete_fields = ("allocation", "activity")

    def get_fields(self, request: HttpRequest, obj: Expense | None = None) -> tuple[str, ...]:
        fields = ("allocation", "spent_on", "amount", "purpose", "receipt", "receipt_number", "activity")
        return fields if obj is None else (*fields, "recorded_by", "recorded_at")

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/receipt/", self.admin_site.admin_view(self.receipt_view), name=f"{prefix}_receipt"),
            *super().get_urls(),
        ]

    def receipt_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The receipt file, to whoever may see the expense (never a public /media/ address)."""
        expense = self.get_queryset(request).exclude(receipt="").filter(pk=unquote(object_id)).first()
        if expense is None or not self.has_view_permission(request, expense):
            raise Http404
        try:
            return attachment_response(expense.receipt)
        except FileNotFoundError as exc:
            raise Http404 from exc

    @admin.display(description=_("party organization"), ordering="allocation__organization__path")
    def organization(self, obj: Expense) -> str:
        return str(obj.allocation.organization)

    @admin.display(description=_("year"), ordering="allocation__year")
    def year(self, obj: Expense) -> int:
        return obj.allocation.year

    @admin.display(description=_("source"), ordering="allocation__source")
    def source(self, obj: Expense) -> str:
        return obj.allocation.get_source_display()

    @admin.display(description=_("receipt"))
    def receipt_link(self, obj: Expense) -> str:
        if obj.receipt:
            url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_receipt", args=[obj.pk])
            label = obj.receipt_number or _("View receipt")
            return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)
        return obj.receipt_number or "-"


from . import admin_compounds  # noqa: E402, F401  (registers the compound admin)
