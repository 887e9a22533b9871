"""The confirm step of django-import-export's admin import, bound to the preview that produced the file.

Out of the box the confirm form posts back the name of the uploaded file, and the library imports
whatever file of that name the temporary directory holds: another user's upload, a name guessed, a
file gone (a 500). Here the preview stores the upload under a random name in a private directory,
and the confirm form carries a signed token instead of the name: it names the file, the format and
the resource, and is valid only for the user and the session that previewed it, for a limited
time. A token that is forged, foreign, expired or names a file no longer there gets a message and
the import page again; nothing is imported.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.forms import ConfirmImportForm
from import_export.tmp_storages import TempFolderStorage

from .admin import _private_dir, _sweep
from .spreadsheets import FileProblem

#: Separates the tokens of this step from every other signed value of the portal.
SALT = "yiling.admin_imports.confirm"
#: The names the preview gives its files.
_NAME_RE = re.compile(r"[0-9a-f]{32}")


class PrivateTempStorage(TempFolderStorage):
    """Uploads waiting for confirmation, in a directory only the portal's account may use, under a
    random name; files older than ``max_age`` seconds are removed whenever one is stored."""

    def __init__(self, *, directory: Path, max_age: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = directory
        self.max_age = max_age

    def get_full_path(self) -> str:
        if not self.name or not _NAME_RE.fullmatch(self.name):
            raise FileNotFoundError(self.name)
        return os.path.join(self.directory, self.name)

    def save(self, data: bytes) -> None:
        directory = _private_dir(self.directory)
        _sweep(directory, self.max_age)
        self.name = secrets.token_hex(16)
        path = directory / self.name
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data if isinstance(data, bytes) else data.encode(self.encoding or "utf-8"))

    def exists(self) -> bool:
        try:
            return os.path.isfile(self.get_full_path())
        except FileNotFoundError:
            return False


def _salt(request: HttpRequest) -> str:
    # The session's key in the salt: a token is good only in the session that previewed the file.
    return f"{SALT}:{request.session.session_key or ''}"


def sign_pending(request: HttpRequest, *, name: str, original: str, fmt: Any, resource: Any) -> str:
    """The token the confirm form carries for the file ``name`` this request's preview stored."""
    payload = {
        "name": name,
        "original": original,
        "format": str(fmt),
        "resource": str(resource or ""),
        "user": request.user.pk,
    }
    return signing.dumps(payload, salt=_salt(request))


class SignedConfirmImportForm(ConfirmImportForm):
    """The confirm form, whose ``import_file_name`` is a token from :func:`sign_pending`; once valid,
    the file's name, its original name, the format and the resource are those the token names."""

    def __init__(self, *args: Any, request: HttpRequest, max_age: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.max_age = max_age
        self.pending: dict[str, Any] | None = None

    def clean_import_file_name(self) -> str:
        token = self.cleaned_data["import_file_name"]
        try:
            pending = signing.loads(token, salt=_salt(self.request), max_age=self.max_age)
        except signing.SignatureExpired as exc:
            raise ValidationError(
                _("The preview of this import has expired: upload the file again."), code="expired"
            ) from exc
        except signing.BadSignature as exc:
            raise ValidationError(
                _("This import cannot be confirmed: it is not the file you previewed. Upload the file again."),
                code="foreign",
            ) from exc
        if not isinstance(pending, dict) or pending.get("user") != self.request.user.pk:
            raise ValidationError(
                _("This import cannot be confirmed: it is not the file you previewed. Upload the file again."),
                code="foreign",
            )
        self.pending = pending
        return str(pending["name"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.pending is not None:
            cleaned["original_file_name"] = self.pending["original"]
            cleaned["format"] = self.pending["format"]
            cleaned["resource"] = self.pending["resource"]
        return cleaned


class SignedImportConfirmMixin:
    """Put before ``ImportExportModelAdmin``: the confirm step imports only the file this user's own
    preview stored, in this session, within ``import_confirm_max_age`` seconds."""

    confirm_form_class = SignedConfirmImportForm
    tmp_storage_class = PrivateTempStorage
    #: Previewed uploads wait here for confirmation; only the portal's account may use it.
    import_dir = Path(tempfile.gettempdir()) / "yiling-admin-imports"
    #: How long a preview may be confirmed (and its file kept).
    import_confirm_max_age = 2 * 3600

    def get_tmp_storage_class_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_tmp_storage_class_kwargs()  # type: ignore[misc]
        return {**kwargs, "directory": self.import_dir, "max_age": self.import_confirm_max_age}

    def get_confirm_form_kwargs(self, request: HttpRequest, import_form: Any = None) -> dict[str, Any]:
        kwargs = super().get_confirm_form_kwargs(request, import_form)  # type: ignore[misc]
        return {**kwargs, "request": request, "max_age": self.import_confirm_max_age}

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial = super().get_confirm_form_initial(request, import_form)  # type: ignore[misc]
        if import_form is not None:
            initial["import_file_name"] = sign_pending(
                request,
                name=initial["import_file_name"],
                original=initial["original_file_name"],
                fmt=initial["format"],
                resource=initial["resource"],
            )
        return initial

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        form = self.create_confirm_form(request)  # type: ignore[attr-defined]
        if not form.is_valid():
            problems = form.errors.get("import_file_name") or [
                _("This import cannot be confirmed: it is not the file you previewed. Upload the file again.")
            ]
            return self._import_refused(request, problems[0])
        storage = self.get_tmp_storage_class()(  # type: ignore[attr-defined]
            name=form.cleaned_data["import_file_name"], **self.get_tmp_storage_class_kwargs()
        )
        if not storage.exists():
            return self._import_refused(request, _("The uploaded file is no longer available; upload it again."))
        try:
            return super().process_import(request, **kwargs)  # type: ignore[misc]
        except FileProblem as problem:  # the bounded reader refuses the stored file
            return self._import_refused(request, str(problem))

    def _import_refused(self, request: HttpRequest, message: Any) -> HttpResponse:
        self.message_user(request, message, messages.ERROR)  # type: ignore[attr-defined]
        opts = self.opts  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
