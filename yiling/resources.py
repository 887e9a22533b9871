"""Shared pieces of every import and export: the scoping rule per row, readable choices, and text
that a spreadsheet would run as a formula kept as text."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import override
from import_export import widgets

from .scoping import is_scoped, visible
from .spreadsheets import escape_formula, unescape_formula


class ChoiceLabelWidget(widgets.Widget):
    """Exports a choice as its Chinese label; imports the label (Chinese or English) or the value."""

    def __init__(self, choices: type[models.TextChoices], **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        for member in self.choices:
            if text == member.value:
                return member.value
            for lang in ("zh-hans", "en"):
                with override(lang):
                    if text == str(member.label):
                        return member.value
        raise ValueError(_("“%(value)s” is not one of: %(choices)s") % {"value": text, "choices": self._labels()})

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
