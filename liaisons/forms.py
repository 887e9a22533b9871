"""Forms of the liaisons pages. They only parse what was typed; the rules (who may move a problem where,
dates within the pairing, problems of the same compound) live in the services, whose refusals the
views put back on the fields named here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiling.templatetags.portal import cn_date

from .models import ATTACHMENT_CHECK, Category, ContributionKind, Priority, State


def _date_field(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class PageForm(forms.Form):
    """Labels above their fields, ids of their own."""

    id_prefix = "liaisons"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DemandFilterForm(forms.Form):
    """The filters of the problem list (GET)."""

    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All open")), ("all", _("All"))] + State.choices, required=False
    )
    compound = forms.CharField(label=_("Compound"), max_length=32, required=False, strip=True)


class DemandRaiseForm(PageForm):
    id_prefix = "demand"

    category = forms.ChoiceField(label=pgettext_lazy("problem", "Category"), choices=Category.choices)
    title = forms.CharField(label=_("Title"), max_length=100, strip=True)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    due_on = _date_field(_("Due on"), required=False)


class MoveForm(PageForm):
    """A step of a problem: a note, an optional attachment, the deliberation that decided it."""

    id_prefix = "move"

    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        validators=[ATTACHMENT_CHECK],
        help_text=_("A photograph or scan (JPG, PNG or PDF, at most 5 MB)."),
    )
    deliberation = forms.ModelChoiceField(
        label=_("Decided at the deliberation"),
        queryset=None,
        required=False,  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, deliberations: QuerySet, note_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deliberation"].queryset = deliberations  # type: ignore[attr-defined]
        self.fields["deliberation"].label_from_instance = deliberation_label  # type: ignore[attr-defined]
        self.fields["note"].required = note_required
        if not deliberations.exists():
            del self.fields["deliberation"]


class ContributionForm(PageForm):
    id_prefix = "contribution"

    kind = forms.ChoiceField(label=_("Kind"), choices=ContributionKind.choices)
    given_on = _date_field(_("Given on"))
    description = forms.CharField(label=_("What was brought"), max_length=200, strip=True)
    amount = forms.DecimalField(
        label=_("Amount or value (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )
    hours = forms.DecimalField(
        label=_("Volunteer hours"),
        max_digits=8,
        decimal_places=1,
        min_value=Decimal("0.1"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.1", "inputmode": "decimal"}),
    )
    demand = forms.ModelChoiceField(label=_("For the problem"), queryset=None, required=False)  # type: ignore[arg-type]

    def __init__(self, *args: Any, demands: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["demand"].queryset = demands  # type: ignore[attr-defined]


class DeliberationForm(PageForm):
    id_prefix = "deliberation"

    held_on = _date_field(_("Held on"))
    topic = forms.CharField(label=_("Topic"), max_length=100, strip=True)
    attendees = forms.CharField(
        label=_("Attendees"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Names, separated by 、 or commas."),
    )
    attendance = forms.IntegerField(label=_("Attendance"), min_value=1, max_value=100000)
    decisions = forms.CharField(label=_("Decisions"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    demands = forms.ModelMultipleChoiceField(
        label=_("Problems discussed"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, demands: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["demands"].queryset = demands  # type: ignore[attr-defined]


def deliberation_label(deliberation: Any) -> str:
    """A deliberation as a choice: its date as Chinese is written, then its topic."""
    return f"{cn_date(deliberation.held_on)} {deliberation.topic}"
