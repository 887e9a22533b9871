"""Forms of the notice pages."""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from .models import EVIDENCE_CHECK, EVIDENCE_EXTENSIONS, DeliveryMode, NoticeKind


class ProgressReportForm(forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS), EVIDENCE_CHECK],
        help_text=_("A photograph or scan (JPG, PNG or PDF, at most 5 MB)."),
    )


class PreferencesForm(forms.Form):
    """One choice per kind of notice."""

    def __init__(self, *args, initial_modes: dict[str, str], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for kind, label in NoticeKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=DeliveryMode.choices, initial=initial_modes.get(kind, DeliveryMode.IMMEDIATE)
            )
