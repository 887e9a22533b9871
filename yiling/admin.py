"""Shared admin pieces: the scoping mixin every domain admin uses, saving through services, yes/no
list filters, spreadsheet import (with preview) and export, and the user admin."""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_forms import SpreadsheetUploadForm
from .privacy import redact
from .spreadsheets import CONTENT_TYPES, download


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


#: The query-string parameter of the export's format; the changelist must not take it for a filter.
FORMAT_VAR = "format"


class SpreadsheetAdminMixin:
    """Import with preview, and export, of a changelist in one spreadsheet format.

    The export holds the changelist's rows as filtered and searched. The import takes two steps: the
    uploaded file is checked as a dry run and previewed; once the user confirms, the same file, kept
    until then in a private directory under a random token held in the session, is imported for real.
    A file with any problem is never imported. A subclass gives the pieces below, among them the
    two functions ``import_file`` and ``export_file``.
    """

    change_list_template = "admin/yiling/spreadsheet_change_list.html"
    #: A template extending ``admin/yiling/import_preview.html`` with the preview's columns.
    import_template: str
    #: The upload form, a ``yiling.admin_forms.SpreadsheetUploadForm``.
    upload_form: type[SpreadsheetUploadForm]
    #: Uploaded files wait here until confirmed, named by the token; only the portal's account may use it.
    import_dir: Path
    #: The session key of the upload waiting for confirmation.
    import_session_key: str
    #: The import page's title and the changelist's link to it.
    import_title: Any
    #: Shown once imported, with ``%(created)d``, ``%(updated)d`` and ``%(unchanged)d``.
    imported_message: Any
    #: The changelist's links to the export, by format.
    export_labels: dict[str, Any]
    #: The export's file name, before the date.
    export_name: str
    #: Uploads previewed but never confirmed are removed after this many seconds.
    import_max_age = 24 * 3600
    #: Rows shown in the preview (the counts cover them all).
    import_preview_rows = 200
    #: ``import_file(request, path, *, filename, dry_run, **arguments)`` runs the importer on the file at
    #: ``path`` as ``request.user`` (a dry run for the preview), with the upload form's arguments, and
    #: returns its result: ``created``, ``updated``, ``unchanged``, ``problems``, ``preview`` and ``ok``.
    import_file: Callable[..., Any]
    #: ``export_file(request, queryset, fmt)``: the rows of ``queryset`` as a file in ``fmt`` ("xlsx" or
    #: "csv"), in the import's format.
    export_file: Callable[..., bytes]

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"  # type: ignore[attr-defined]
        site = self.admin_site  # type: ignore[attr-defined]
        return [
            path("import/", site.admin_view(self.import_view), name=f"{prefix}_import"),
            path("export/", site.admin_view(self.export_view), name=f"{prefix}_export"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # The add permission itself, not has_add_permission: an admin may refuse adding by hand
        # (new rows then come through the import only).
        opts = self.opts  # type: ignore[attr-defined]
        add = f"{opts.app_label}.{get_permission_codename('add', opts)}"
        return request.user.has_perm(add) and self.has_change_permission(request)  # type: ignore[attr-defined]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {
            "has_import_permission": self.has_import_permission(request),
            "import_title": self.import_title,
            "export_labels": self.export_labels,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def _changelist_url(self) -> str:
        return reverse(admin_urlname(self.opts, "changelist"))  # type: ignore[attr-defined]

    # --- export -----------------------------------------------------------------------------------

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The changelist's rows, as filtered and searched, in the import's format."""
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        fmt = request.GET.get(FORMAT_VAR, "xlsx")
        if fmt not in CONTENT_TYPES:
            return HttpResponseBadRequest()
        # The changelist reads its filters from the query string, where it would take the format
        # for a filter it does not know.
        request.GET = request.GET.copy()
        request.GET.pop(FORMAT_VAR, None)
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)  # type: ignore[attr-defined]
        except IncorrectLookupParameters:
            return HttpResponseRedirect(self._changelist_url())
        content = self.export_file(request, queryset, fmt)
        return download(content, fmt=fmt, name=f"{self.export_name}-{timezone.localdate():%Y%m%d}")

    # --- import -----------------------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a file, see what it would do, then confirm (only when it has no problems)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "token" in request.POST:
            return self._confirm_import(request, request.POST["token"])
        if request.method == "POST":
            form = self.upload_form(request.POST, request.FILES, user=request.user)
        else:
            form = self.upload_form(user=request.user)
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            token, file_path = self._stash_upload(request, upload, form.session_arguments())
            result = self.import_file(
                request, str(file_path), filename=upload.name, dry_run=True, **form.import_arguments()
            )
            return self._render_import(request, form, result=result, token=token if result.ok else "")
        return self._render_import(request, form)

    def _confirm_import(self, request: HttpRequest, token: str) -> HttpResponse:
        pending = self._pending_import(request, token)
        if pending is None:
            self.message_user(  # type: ignore[attr-defined]
                request, _("The uploaded file is no longer available; upload it again."), messages.ERROR
            )
            return HttpResponseRedirect(request.path)
        file_path, filename, arguments = pending
        result = self.import_file(request, str(file_path), filename=filename, dry_run=False, **arguments)
        if not result.ok:
            return self._render_import(request, self.upload_form(user=request.user), result=result)
        self._discard_import(request)
        self.message_user(  # type: ignore[attr-defined]
            request,
            self.imported_message
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    def _render_import(
        self, request: HttpRequest, form: SpreadsheetUploadForm, result: Any = None, token: str = ""
    ) -> HttpResponse:
        site = self.admin_site  # type: ignore[attr-defined]
        request.current_app = site.name
        shown = self.import_preview_rows
        # Whatever an importer says about a cell, an ID number or phone in it stays masked.
        problems = [redact(str(p)) for p in result.problems] if result else []
        if result is not None and result.more_problems:
            problems.append(result.more_problems_line())
        context = {
            **site.each_context(request),
            "title": self.import_title,
            "opts": self.opts,  # type: ignore[attr-defined]
            "form": form,
            "result": result,
            "problems": problems,
            "problem_count": len(result.problems) + result.more_problems if result else 0,
            "rows": result.preview[:shown] if result else [],
            "more_rows": max(0, len(result.preview) - shown) if result else 0,
            "token": token,
        }
        return TemplateResponse(request, self.import_template, context)

    def _stash_upload(self, request: HttpRequest, upload: Any, stored: dict[str, Any]) -> tuple[str, Path]:
        self._discard_import(request)
        directory = _private_dir(self.import_dir)
        _sweep(directory, self.import_max_age)
        token = secrets.token_hex(16)
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        file_path = directory / f"{token}{suffix}"
        # A file may hold personal data: readable by the portal's own account only.
        with os.fdopen(os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        request.session[self.import_session_key] = {
            "token": token,
            "suffix": suffix,
            "filename": upload.name,
            **stored,
        }
        return token, file_path

    def _pending_import(self, request: HttpRequest, token: str) -> tuple[Path, str, dict[str, Any]] | None:
        pending = request.session.get(self.import_session_key)
        if not pending or not secrets.compare_digest(str(pending["token"]), str(token)):
            return None
        file_path = self.import_dir / f"{pending['token']}{pending['suffix']}"
        if not file_path.exists():
            return None
        arguments = self.upload_form.restore_arguments(pending, request.user)
        if arguments is None:
            return None
        return file_path, pending["filename"], arguments

    def _discard_import(self, request: HttpRequest) -> None:
        pending = request.session.pop(self.import_session_key, None)
        if pending:
            (self.import_dir / f"{pending['token']}{pending['suffix']}").unlink(missing_ok=True)


def _private_dir(directory: Path) -> Path:
    """The upload directory, refusing one that another account made (a shared /tmp)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise ImproperlyConfigured(f"{directory} must be a directory only the portal's account can use")
    return directory


def _sweep(directory: Path, max_age: int) -> None:
    """Uploads previewed but never confirmed are removed once older than ``max_age`` seconds."""
    cutoff = time.time() - max_age
    for stale in directory.iterdir():
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
        except FileNotFoundError:
            pass


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
