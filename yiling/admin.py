"""Shared admin pieces: the scoping mixin every domain admin uses, the guard that keeps personal data out
of filters, searches and orderings, saving through services, yes/no list filters, spreadsheet import
(with preview) and export, and (in admin_users) the user admin."""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.auth import get_permission_codename
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_forms import SpreadsheetUploadForm
from .privacy import redact
from .spreadsheets import CONTENT_TYPES, download

# --- personal data never filtered, searched or sorted on without the permission -------------------
#
# A filter reveals what it filters on: ``?id_number__startswith=4205`` keeps or drops a row, so a few
# dozen requests read a whole masked number back, and sorting on a masked column orders the rows by
# it. A model names its masked fields in ``personal_fields``; for a user who may not see them, every
# admin built on ``PersonalDataGuardMixin`` (every ``ScopedAdminMixin`` admin, and so their exports,
# which are built from the changelist, and the autocomplete answers, which use the search) answers
# a filter or an ordering that reaches one of them, directly or through relations, with 400, and
# leaves them out of its search and list filters.


def personal_fields(model: type[models.Model]) -> frozenset[str]:
    """The fields of ``model`` masked for users without the permission (its history model's too)."""
    model = getattr(model, "instance_type", model)  # simple_history's historical models
    return frozenset(getattr(model, "personal_fields", ()))


def sees_personal_data(request: HttpRequest) -> bool:
    from members.services import can_see_personal_data

    return can_see_personal_data(request.user)


def touches_personal_data(model: type[models.Model], path: str, _depth: int = 0) -> bool:
    """Whether the lookup or ordering ``path`` (``member__id_number__startswith``, ``-phone``) reads a
    personal field; a path ending on a relation sorts by the related model's own ordering, so that
    ordering is followed too."""
    parts = path.lstrip("-+").split(LOOKUP_SEP)
    for part in parts:
        try:
            field = model._meta.get_field(model._meta.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            return False  # a lookup or transform on what came before (or no field, which the ORM refuses)
        if field.name in personal_fields(model) or getattr(field, "attname", None) in personal_fields(model):
            return True
        if not field.is_relation or field.related_model is None:
            return False  # the rest are lookups and transforms of this field
        model = field.related_model
    if _depth >= 3:
        return False
    return any(
        touches_personal_data(model, name, _depth + 1)
        for ordering in model._meta.ordering
        for name in referenced_paths(ordering)
    )


def referenced_paths(expression: Any) -> Iterator[str]:
    """The field paths an ordering or filter expression reads (``F``, ``Q``, ``OrderBy``, functions)."""
    if isinstance(expression, str):
        yield expression
    elif isinstance(expression, F):
        yield expression.name
    elif isinstance(expression, Q):
        for child in expression.children:
            if isinstance(child, tuple):
                yield child[0]
                if hasattr(child[1], "resolve_expression"):  # F("phone"), not the string "phone"
                    yield from referenced_paths(child[1])
            else:
                yield from referenced_paths(child)
    elif hasattr(expression, "get_source_expressions"):
        for source in expression.get_source_expressions():
            if source is not None:
                yield from referenced_paths(source)


class PersonalDataRefused(DisallowedModelAdminLookup):
    """An ordering on personal data by a user who may not see it (answered with 400, like a filter)."""


class PersonalDataChangeListMixin:
    """Refuses an ordering that reads personal data, whether asked for (``?o=``) or configured."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[Any]:
        if not sees_personal_data(request):
            # ``?o=`` takes column numbers; Django skips anything else, but a field named there is
            # refused like a filter on it, so that every attempt gets the same answer.
            for part in str(self.params.get(ORDER_VAR, "")).split("."):  # type: ignore[attr-defined]
                name = part.rpartition("-")[2]
                if not name.isdigit() and touches_personal_data(self.model, name):  # type: ignore[attr-defined]
                    raise PersonalDataRefused("Sorting on personal data is not allowed")
        ordering = super().get_ordering(request, queryset)  # type: ignore[misc]
        if not sees_personal_data(request):
            annotations = queryset.query.annotations
            for item in ordering:
                for name in referenced_paths(item):
                    target = annotations.get(name.lstrip("-+"))
                    paths = referenced_paths(target) if target is not None else [name]
                    if any(touches_personal_data(self.model, p) for p in paths):  # type: ignore[attr-defined]
                        raise PersonalDataRefused("Sorting on personal data is not allowed")
        return ordering


@cache
def _guarded_changelist(changelist: type[ChangeList]) -> type[ChangeList]:
    if issubclass(changelist, PersonalDataChangeListMixin):
        return changelist
    return type(changelist.__name__, (PersonalDataChangeListMixin, changelist), {})


class PersonalDataGuardMixin:
    """For a user without the permission: no filter, list filter, search, ordering or ``_to_field``
    on a personal field (see :func:`personal_fields`), directly or through relations."""

    def _guards(self, request: HttpRequest) -> bool:
        return not sees_personal_data(request)

    def _touches(self, path: str) -> bool:
        return touches_personal_data(self.model, path)  # type: ignore[attr-defined]

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest) -> bool:
        if self._guards(request) and self._touches(lookup):
            return False  # the changelist answers DisallowedModelAdminLookup: 400
        return super().lookup_allowed(lookup, value, request)  # type: ignore[misc]

    def to_field_allowed(self, request: HttpRequest, to_field: str) -> bool:
        if self._guards(request) and self._touches(to_field):
            return False  # DisallowedModelAdminToField: 400
        return super().to_field_allowed(request, to_field)  # type: ignore[misc]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # An admin choosing its own ChangeList (to fill in paths, to mask a search) keeps the
        # guarded ordering whether or not its get_changelist calls super().
        super().__init_subclass__(**kwargs)
        chosen = cls.__dict__.get("get_changelist")
        if chosen is not None and not getattr(chosen, "guarded", False):

            def get_changelist(self: Any, request: HttpRequest, **kw: Any) -> type[ChangeList]:
                return _guarded_changelist(chosen(self, request, **kw))

            get_changelist.guarded = True  # type: ignore[attr-defined]
            cls.get_changelist = get_changelist  # type: ignore[method-assign]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _guarded_changelist(super().get_changelist(request, **kwargs))  # type: ignore[misc]

    def get_search_fields(self, request: HttpRequest) -> Any:
        fields = super().get_search_fields(request)  # type: ignore[misc]
        if not self._guards(request):
            return fields
        return tuple(f for f in fields if not self._touches(f.lstrip("^=@")))

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)  # type: ignore[misc]
        if not self._guards(request):
            return filters
        return tuple(f for f in filters if not self._filter_touches(f))

    def _filter_touches(self, list_filter: Any) -> bool:
        name = list_filter[0] if isinstance(list_filter, tuple | list) else list_filter
        return isinstance(name, str) and self._touches(name)

    def get_sortable_by(self, request: HttpRequest) -> Any:
        sortable = super().get_sortable_by(request)  # type: ignore[misc]
        if not self._guards(request):
            return sortable
        return [c for c in sortable if not any(self._touches(p) for p in referenced_paths(self._sorts_by(c)))]

    def _sorts_by(self, column: Any) -> Any:
        """What the changelist sorts a column by (as ``ChangeList.get_ordering_field`` finds it)."""
        if isinstance(column, str):
            try:
                return self.opts.get_field(column).name  # type: ignore[attr-defined]
            except FieldDoesNotExist:
                attr = getattr(self, column, None) or getattr(self.model, column, None)  # type: ignore[attr-defined]
                if attr is None:
                    return column if LOOKUP_SEP in column else ()
        else:
            attr = column
        if isinstance(attr, property):
            attr = attr.fget
        return getattr(attr, "admin_order_field", None) or ()


class ScopedAdminMixin(PersonalDataGuardMixin):
    """Puts a ModelAdmin behind the scoping rule (and the personal-data guard).

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


def export_filters_refused(request: HttpRequest, model_admin: Any) -> HttpResponseRedirect:
    """The answer to an export whose query string the changelist cannot read (a parameter it does not
    know, a value of the wrong kind): back to the whole changelist, with a message and nothing
    exported, as the changelist itself starts again on such a query string. Neither the message nor
    the address repeats what was asked. (A filter on personal data is refused earlier, with a 400.)"""
    messages.error(
        request,
        _(
            "The export's filters were not understood, so nothing was exported. Filter the list again and "
            "export from it."
        ),
    )
    return HttpResponseRedirect(reverse(admin_urlname(model_admin.opts, "changelist")))


class ChangelistExportMixin:
    """django-import-export's export (``export_action``) answering a query string its changelist
    cannot read with :func:`export_filters_refused`, where the library lets the changelist's
    ``IncorrectLookupParameters`` through as a 500."""

    def export_action(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().export_action(request)  # type: ignore[misc]
        except IncorrectLookupParameters:
            return export_filters_refused(request, self)


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
    #: The export holds personal data in full for users with the permission, and then only when
    #: asked for with a POST (the changelist's export buttons): a link someone follows, a GET, gets
    #: the masked file and files no access in the user's name.
    export_has_personal_data = False
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
            "full_export": self.export_has_personal_data and sees_personal_data(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def _changelist_url(self) -> str:
        return reverse(admin_urlname(self.opts, "changelist"))  # type: ignore[attr-defined]

    # --- export -----------------------------------------------------------------------------------

    def export_is_full(self, request: HttpRequest) -> bool:
        """Whether this export request gets personal data in full (see ``export_has_personal_data``)."""
        return self.export_has_personal_data and request.method == "POST" and sees_personal_data(request)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The changelist's rows, as filtered and searched, in the import's format."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
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
            return export_filters_refused(request, self)
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


# The accounts admin (scoped, through the account services) lives in its own module.
from . import admin_users  # noqa: E402, F401

# The notices' admin (programmes, tasks, notices, deliveries, street webhooks).
from .notices import admin as notices_admin  # noqa: E402, F401
