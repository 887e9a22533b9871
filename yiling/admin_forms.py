"""Shared pieces of the domain admins' forms: a model form saved by a service, whose checks show as
form errors next to the field they name, and the upload form of a spreadsheet import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .spreadsheets import import_limits, too_big_message


class TrialRun(Exception):
    """Raised inside the savepoint of a trial run so that everything it wrote is rolled back."""


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint that is always rolled back: what runs inside is tried, never kept. An exception
    raised inside (a service's ``ValidationError``) still comes out, after the rollback."""
    try:
        with transaction.atomic():
            yield
            raise TrialRun
    except TrialRun:
        pass


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: by field where the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceModelForm(forms.ModelForm):
    """A model form saved by a service (:meth:`perform`), never by ``form.save()``.

    Once the form's own validation passes, the service runs once in a savepoint that is always rolled
    back, so every rule it enforces (who may report in where, no overdraft, one current committee) is
    checked by the one function that enforces it and shown next to the field it names instead of
    failing on save. The admin's ``save_model`` (``yiling.admin.ServiceAdminMixin``) then runs it for
    real.
    """

    #: Each subclass calls its one service here; ``by`` is the acting user (None in the trial run).
    perform: Callable[..., models.Model]

    @property
    def adding(self) -> bool:
        return self.instance.pk is None

    def cleaned_values(self, names: Iterable[str]) -> dict[str, Any]:
        """The cleaned values of those of ``names`` the form has: a service's keyword arguments."""
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    def discard_trial(self, result: models.Model) -> None:
        """Undo what the trial run did outside the database (a stored file); nothing by default."""

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            with rolled_back():
                self.discard_trial(self.perform(by=None))
        except ValidationError as exc:
            add_service_errors(self, exc)


class SpreadsheetUploadForm(forms.Form):
    """The file of a spreadsheet import (see ``yiling.admin.SpreadsheetAdminMixin``).

    A subclass names the file (``file_label``) and may ask for more: it then says what those fields
    give the importer, and how they are kept in the session between the preview and the confirmed
    import. ``user`` is the importing user, for fields limited to his reach.
    """

    #: The file field's label, naming what the file holds.
    file_label: Any = None

    file = forms.FileField(help_text=_("An Excel (.xlsx) or CSV file."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.file_label is not None:
            self.fields["file"].label = self.file_label

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("Upload an Excel (.xlsx) or CSV file."))
        # Django has streamed the upload to a temporary file; refused here, it is never read.
        if upload.size > import_limits().max_file_bytes:
            raise ValidationError(too_big_message(upload.size))
        return upload

    def import_arguments(self) -> dict[str, Any]:
        """The importer's keyword arguments besides the file, from the valid form (none here)."""
        return {}

    def session_arguments(self) -> dict[str, Any]:
        """What the session keeps (JSON) to give :meth:`import_arguments` again on confirmation."""
        return {}

    @classmethod
    def restore_arguments(cls, stored: dict[str, Any], user: Any) -> dict[str, Any] | None:
        """:meth:`import_arguments` again from what the session kept; None when they no longer hold
        (what they name has gone out of the user's reach)."""
        return {}
