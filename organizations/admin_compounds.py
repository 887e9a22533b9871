"""Admin of the compounds (物业小区): their list, and import/export in the ``import_compounds`` format.

The list, the export and the import all stay within what ``Unit.objects.visible_to(user)`` lets
through. The change form edits a compound's own description (name, households, residents, address,
property company) through ``services.unit_update``; new compounds, and moves to another community,
come through the import (or the units admin), where the rules about branches and communities live.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from yiling.admin import ScopedAdminMixin, YesNoFilter

from . import services
from .compounds_import import export_compounds, import_compounds
from .models import Compound, OwnersCommittee, PropertyCompany, Unit

# simple_history keeps the history on Unit; the proxy's Options do not carry the history manager's
# name, which SimpleHistoryAdmin reads from its model for the history and revert views.
if not hasattr(Compound._meta, "simple_history_manager_attribute"):
    Compound._meta.simple_history_manager_attribute = Unit._meta.simple_history_manager_attribute  # type: ignore[attr-defined]

#: Uploaded compound lists wait here, named by a random token kept in the session, until confirmed.
IMPORT_DIR = Path(tempfile.gettempdir()) / "yiling-compound-imports"
IMPORT_SESSION_KEY = "organizations.compound_import"
IMPORT_MAX_AGE = 24 * 3600
IMPORT_PREVIEW_ROWS = 200
EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
FORMAT_VAR = "format"
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


class CompoundUploadForm(forms.Form):
    file = forms.FileField(label=_("compound list"), help_text=_("An Excel (.xlsx) or CSV file."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("Upload an Excel (.xlsx) or CSV file."))
        return upload


@admin.register(Compound)
class CompoundAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = CompoundAdminForm
    change_list_template = "admin/organizations/compound/change_list.html"
    import_template = "admin/organizations/compound/import.html"
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

    # --- import and export ----------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        add = f"{self.opts.app_label}.{get_permission_codename('add', self.opts)}"
        return request.user.has_perm(add) and self.has_change_permission(request)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {"has_import_permission": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The changelist's compounds, as filtered and searched, in the import format."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        fmt = request.GET.get(FORMAT_VAR, "xlsx")
        if fmt not in EXPORT_TYPES:
            return HttpResponseBadRequest()
        # The changelist reads its filters from the query string, where it would take the format
        # for a filter it does not know.
        request.GET = request.GET.copy()
        request.GET.pop(FORMAT_VAR, None)
        try:
            compounds = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:organizations_compound_changelist"))
        response = HttpResponse(export_compounds(compounds, fmt=fmt), content_type=EXPORT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="compounds-{timezone.localdate():%Y%m%d}.{fmt}"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a compound list, see what it would do, then confirm (only when it has no problems)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "token" in request.POST:
            pending = self._pending_import(request, request.POST["token"])
            if pending is None:
                self.message_user(
                    request, _("The uploaded file is no longer available; upload it again."), messages.ERROR
                )
                return HttpResponseRedirect(request.path)
            file_path, filename = pending
            result = import_compounds(str(file_path), filename=filename, user=request.user, dry_run=False)
            if not result.ok:
                return self._render_import(request, CompoundUploadForm(), result=result)
            self._discard_import(request)
            self.message_user(
                request,
                _("Compounds imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:organizations_compound_changelist"))

        form = CompoundUploadForm(request.POST, request.FILES) if request.method == "POST" else CompoundUploadForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            token, file_path = self._stash_upload(request, upload)
            result = import_compounds(str(file_path), filename=upload.name, user=request.user, dry_run=True)
            return self._render_import(request, form, result=result, token=token if result.ok else "")
        return self._render_import(request, form)

    def _render_import(
        self, request: HttpRequest, form: CompoundUploadForm, result: Any = None, token: str = ""
    ) -> Any:
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import compounds"),
            "opts": self.opts,
            "form": form,
            "result": result,
            "problems": [str(p) for p in result.problems] if result else [],
            "rows": result.preview[:IMPORT_PREVIEW_ROWS] if result else [],
            "more_rows": max(0, len(result.preview) - IMPORT_PREVIEW_ROWS) if result else 0,
            "token": token,
        }
        return TemplateResponse(request, self.import_template, context)

    def _stash_upload(self, request: HttpRequest, upload: Any) -> tuple[str, Path]:
        self._discard_import(request)
        _private_import_dir()
        _sweep_old_uploads()
        token = secrets.token_hex(16)
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        file_path = IMPORT_DIR / f"{token}{suffix}"
        with os.fdopen(os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        request.session[IMPORT_SESSION_KEY] = {"token": token, "suffix": suffix, "filename": upload.name}
        return token, file_path

    def _pending_import(self, request: HttpRequest, token: str) -> tuple[Path, str] | None:
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending or not secrets.compare_digest(str(pending["token"]), str(token)):
            return None
        file_path = IMPORT_DIR / f"{pending['token']}{pending['suffix']}"
        if not file_path.exists():
            return None
        return file_path, pending["filename"]

    def _discard_import(self, request: HttpRequest) -> None:
        pending = request.session.pop(IMPORT_SESSION_KEY, None)
        if pending:
            (IMPORT_DIR / f"{pending['token']}{pending['suffix']}").unlink(missing_ok=True)


def _term(elected_on: Any, term_ends_on: Any) -> str:
    if elected_on is None and term_ends_on is None:
        return "-"
    return f"{elected_on or '?'} – {term_ends_on or '?'}"


def _private_import_dir() -> Path:
    """The upload directory, refusing one that another account made (a shared /tmp)."""
    IMPORT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = IMPORT_DIR.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise ImproperlyConfigured(f"{IMPORT_DIR} must be a directory only the portal's account can use")
    return IMPORT_DIR


def _sweep_old_uploads() -> None:
    """Uploads previewed but never confirmed are removed after a day."""
    cutoff = time.time() - IMPORT_MAX_AGE
    for stale in IMPORT_DIR.iterdir():
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
        except FileNotFoundError:
            pass
