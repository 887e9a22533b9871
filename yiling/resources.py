"""Shared pieces of every import and export: the scoping rule per row, readable choices, text that a
spreadsheet would run as a formula kept as text, and the bounds (:class:`yiling.spreadsheets.ImportLimits`)
on what django-import-export's admin import reads."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import override
from import_export import exceptions, results, widgets
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm

from .scoping import is_scoped, visible
from .spreadsheets import (
    FileProblem,
    Rows,
    csv_rows,
    escape_formula,
    guarded,
    import_limits,
    is_blank_marker,
    limited_rows,
    more_problems_line,
    no_rows_message,
    too_big_message,
    unescape_formula,
    without_controls,
    xlsx_rows,
)

logger = logging.getLogger(__name__)


class ChoiceLabelWidget(widgets.Widget):
    """Exports a choice as its Chinese label; imports the label (Chinese or English) or the value."""

    def __init__(self, choices: type[models.TextChoices], **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return self._spellings[text]
        except KeyError:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s") % {"value": text, "choices": self._labels()}
            ) from None

    @functools.cached_property
    def _spellings(self) -> dict[str, str]:
        """Each choice's value, Chinese label and English label, to its value; where two choices share
        a spelling, the first choice has it. Read once: translating every label for every cell of a
        5,000-row file took a third of its import."""
        spellings: dict[str, str] = {}
        for member in reversed(list(self.choices)):
            spellings[member.value] = member.value
            for lang in ("en", "zh-hans"):
                with override(lang):
                    spellings[str(member.label)] = member.value
        return spellings

    def _labels(self) -> str:
        with override("zh-hans"):
            return "、".join(str(m.label) for m in self.choices)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if not value:
            return ""
        with override("zh-hans"):
            return str(self.choices(value).label)


class YesNoWidget(widgets.BooleanWidget):
    """是/否 in files, with the usual English spellings accepted too."""

    TRUE_VALUES = [*widgets.BooleanWidget.TRUE_VALUES, "是", "yes", "Yes", "Y", "y"]
    FALSE_VALUES = [*widgets.BooleanWidget.FALSE_VALUES, "否", "no", "No", "N", "n"]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        return "是" if value else "否"


class CodeForeignKeyWidget(widgets.ForeignKeyWidget):
    """A reference by code that names the code it could not find."""

    def __init__(self, model: type[models.Model], **kwargs: Any) -> None:
        super().__init__(model, field="code", **kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return self.get_queryset(value, row, **kwargs).get(code=text)
        except self.model.DoesNotExist as exc:
            raise ValueError(
                _("No %(what)s with code “%(code)s”.") % {"what": self.model._meta.verbose_name, "code": text}
            ) from exc


class ShownImportError(results.Error):
    """An error that stops an import, as the admin's import page shows it: without the traceback the
    library prints under it, and, for an error the portal did not foresee, without its text either
    (a database error can quote a row's values): that one is logged, with the traceback."""

    #: What the portal raises about a file itself: its message is meant for the user.
    FORESEEN = (exceptions.FieldError, ValidationError, FileProblem)

    def __init__(self, error: Exception, row: Any = None, number: int | None = None) -> None:
        if not isinstance(error, self.FORESEEN):
            logger.error("Import stopped on an unforeseen error (row %s)", number, exc_info=error)
            error = Exception(
                _(
                    "The import stopped on an unexpected error and imported nothing; the error has been logged. "
                    "Tell the district organization department."
                )
            )
        super().__init__(error, row, number)

    @property
    def traceback(self) -> str:  # type: ignore[override]
        return ""


class WholeNumberWidget(widgets.IntegerWidget):
    """A count (households, residents): a whole number, written with or without thousands separators.

    django-import-export's own widget reads "1.5" as 1 and fails on "abc" with a bare
    ``decimal.ConversionSyntax``, which its admin shows as an error row; this one refuses both,
    naming the value.
    """

    #: More digits than any count the portal keeps (and than PostgreSQL's bigint holds).
    max_digits = 18

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if self.is_empty(value):
            return None
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite() or number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        if number.adjusted() >= self.max_digits:
            raise ValueError(_("“%(value)s” is too large.") % {"value": value})
        return int(number)


class FormulaSafeResourceMixin:
    """Exports text that a spreadsheet would run as a formula as text (``escape_formula``), in every
    format, and imports it back without the apostrophe. Numbers stay numbers, negative ones too."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)  # type: ignore[misc]
        if isinstance(field.widget, widgets.NumberWidget):
            return value  # a number, which CSV writes as text: "-5" is a number, not a formula
        return escape_formula(value)

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        for column, value in row.items():
            row[column] = unescape_formula(value)
        super().before_import_row(row, **kwargs)  # type: ignore[misc]


class ScopedResourceMixin(FormulaSafeResourceMixin):
    """Every row an import writes must lie within the importing user's reach, before and after.

    ``user`` comes from the admin (``ScopedAdminMixin``) or a command. Rows the user may not see
    are refused with a row error, never silently created or skipped; exports are built from the
    user's visible queryset.
    """

    #: Foreign-key fields whose target must be visible to the user after the row is applied.
    scoped_targets: tuple[str, ...] = ()

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(**kwargs)  # type: ignore[call-arg]

    def get_error_result_class(self) -> type[results.Error]:
        return ShownImportError

    def _check_import_id_fields(self, headers: Any) -> None:
        # The library's own message is English and cannot be translated (it is formatted before it is
        # looked up); a file without a column that finds each row's item is refused in Chinese.
        missing = [
            str(self.fields[name].column_name)
            for name in self.get_import_id_fields()  # type: ignore[attr-defined]
            if name in self.fields and (not headers or self.fields[name].column_name not in headers)  # type: ignore[attr-defined]
        ]
        if missing:
            raise exceptions.FieldError(
                _("The header row has no column “%(columns)s”: start from an exported file.")
                % {"columns": "”、“".join(missing)}
            )
        super()._check_import_id_fields(headers)  # type: ignore[misc]

    def import_data(self, dataset: Any, **kwargs: Any) -> Any:
        # A file is all or nothing: a row that fails validation rolls back the good rows too.
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)  # type: ignore[misc]

    def filter_export(self, queryset: models.QuerySet, **kwargs: Any) -> models.QuerySet:
        queryset = super().filter_export(queryset, **kwargs)  # type: ignore[misc]
        if self.user is not None and is_scoped(queryset.model):
            queryset = queryset.visible_to(self.user)
        return queryset

    def after_init_instance(self, instance: models.Model, new: bool, row: Any, **kwargs: Any) -> None:
        super().after_init_instance(instance, new, row, **kwargs)  # type: ignore[misc]
        if self.user is None or new:
            return
        if not visible(type(instance), self.user).filter(pk=instance.pk).exists():
            raise ValidationError(_("“%(obj)s” is outside your part of the organization tree.") % {"obj": instance})

    def check_scope(self, instance: models.Model) -> None:
        """Raise unless every scoped target the row points at is within the user's reach."""
        if self.user is None:
            return
        errors: dict[str, str] = {}
        for name in self.scoped_targets:
            target = getattr(instance, name, None)
            if target is None:
                if not getattr(self.user, "is_superuser", False):
                    errors[name] = _("Only a superuser may create an item at the top of the tree.")
                continue
            if not visible(type(target), self.user).filter(pk=target.pk).exists():
                errors[name] = _("“%(obj)s” is outside your part of the organization tree.") % {"obj": target}
        if errors:
            raise ValidationError(errors)


# --- bounded imports -------------------------------------------------------------------------------


class BoundedFormatMixin:
    """An import format that reads the file through the project's bounded readers
    (``yiling.spreadsheets``), not through tablib, which holds a whole workbook or CSV in memory.

    The first row is the header; empty rows are passed over; control characters are removed from
    text; a cell holding only a blank marker (无, -, / …) is empty, in optional and required columns
    alike. A file that breaks a limit, or has no data row, raises ``FileProblem`` with the reason.
    """

    #: The reader of the file's rows.
    rows: Callable[[Any], Rows]

    def create_dataset(self, in_stream: Any, **kwargs: Any) -> tablib.Dataset:
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        rows = guarded(self.rows(io.BytesIO(in_stream)))
        dataset = tablib.Dataset()
        header = next(rows, None)
        if header is None:
            raise FileProblem(no_rows_message())
        headers = ["" if cell is None else without_controls(str(cell)).strip() for cell in header[1]]
        dataset.headers = headers
        width = len(headers)
        for _line, cells in limited_rows(rows, import_limits().max_library_rows):
            values = [_cell(cell) for cell in cells[:width]]
            if not any(value not in (None, "") for value in values):
                continue
            dataset.append(values + [None] * (width - len(values)))
        if not dataset.height:
            raise FileProblem(no_rows_message())
        return dataset

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"


def _cell(value: Any) -> Any:
    """A cell for the library's widgets: control characters removed, a blank marker (无, -, / …) as
    the empty cell it stands for (``yiling.spreadsheets.BLANK_MARKERS``)."""
    if not isinstance(value, str):
        return value
    if is_blank_marker(value):
        return None
    return without_controls(value)


class BoundedXLSX(BoundedFormatMixin, base_formats.XLSX):
    rows = staticmethod(xlsx_rows)


class BoundedCSV(BoundedFormatMixin, base_formats.CSV):
    rows = staticmethod(csv_rows)


#: The bounded format that replaces each import format, by file extension.
BOUNDED_FORMATS: dict[str, type[BoundedFormatMixin]] = {"xlsx": BoundedXLSX, "csv": BoundedCSV}


class HeaderLabelExportForm(SelectableFieldsExportForm):
    """The admin's export form with each field's box labelled by its column header as the file has
    it (代码), not by the library's "Code (代码)" made of the English attribute name."""

    def _get_field_label(self, resource: Any, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return str(field.column_name) if field is not None and field.column_name else field_name


class LimitedUploadMixin(forms.Form):
    """Refuses an ``import_file`` over the size limit before the import reads it."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        if upload.size > import_limits().max_file_bytes:
            raise ValidationError(too_big_message(upload.size))
        return upload


@functools.cache
def _limited_form(form_class: type[forms.Form]) -> type[forms.Form]:
    return type(f"Limited{form_class.__name__}", (LimitedUploadMixin, form_class), {})


class LimitedImportMixin:
    """For a django-import-export admin: its import reads only within ``ImportLimits``.

    An upload over the size limit is refused by the form (Django has only streamed it to a temporary
    file); the file is read through the bounded formats above, which refuse a zip bomb, too many rows
    (``max_library_rows``) or columns and an empty file; and their reason is shown on the form in
    place of the library's "… encountered while trying to read file". Formats without a bounded reader
    are not offered. The preview lists the first ``max_problems`` invalid rows and counts the rest.
    The export form names the fields by their Chinese column headers (:class:`HeaderLabelExportForm`).
    """

    export_form_class = HeaderLabelExportForm

    def import_action(self, request: Any, **kwargs: Any) -> Any:
        response = super().import_action(request, **kwargs)  # type: ignore[misc]
        context = getattr(response, "context_data", None) or {}
        resource_fields = [
            field
            for resource_class in self.get_import_resource_classes(request)  # type: ignore[attr-defined]
            for field in resource_class().fields.items()
        ]
        if context.get("fields_list"):
            # "This importer will import the following fields" lists only what an import reads, not
            # the columns an export adds for the reader (路径, 小区名称 …).
            readonly = {str(f.column_name) for _name, f in resource_fields if f.readonly}
            context["fields_list"] = [
                (name, [column for column in columns if str(column) not in readonly])
                for name, columns in context["fields_list"]
            ]
        result = context.get("result")
        limit = import_limits().max_problems
        if result is not None and len(result.invalid_rows) > limit:
            hidden = len(result.invalid_rows) - limit
            result.invalid_rows = result.invalid_rows[:limit]
            messages.warning(request, more_problems_line(hidden))
        if result is not None:
            # A refused row names its cells by the file's column headers (户数), not by the model's
            # field names (HOUSEHOLDS).
            headers = {key: str(f.column_name) for name, f in resource_fields for key in (name, f.attribute) if key}
            for row in result.invalid_rows:
                row.error_dict = {headers.get(key, key): problems for key, problems in row.error_dict.items()}
        return response

    def get_import_formats(self) -> list[type[Any]]:
        formats = super().get_import_formats()  # type: ignore[misc]
        bounded = (BOUNDED_FORMATS.get(f().get_extension()) for f in formats)
        return [f for f in bounded if f is not None]

    def get_import_form_class(self, request: Any) -> type[forms.Form]:
        return _limited_form(super().get_import_form_class(request))  # type: ignore[misc]

    def add_data_read_fail_error_to_form(self, form: forms.Form, e: Exception) -> None:
        if isinstance(e, FileProblem):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)  # type: ignore[misc]
