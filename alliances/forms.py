"""Forms of the alliance pages. They only parse the request; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ActivityKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _BranchChoices(forms.Form):
    """A form choosing among ``branches`` (the alliance's current members)."""

    branch_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, branches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.branch_fields:
            self.fields[name].queryset = branches  # type: ignore[attr-defined]


class MeetingForm(_BranchChoices):
    branch_fields = ("host",)

    held_on = forms.DateField(label=_("Held on"), widget=DATE, initial=timezone.localdate)
    host = forms.ModelChoiceField(label=_("Host branch"), queryset=None)  # type: ignore[arg-type]
    topic = forms.CharField(label=_("Topic"), max_length=100)
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, max_value=10000, initial=0)
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class SwapForm(_BranchChoices):
    branch_fields = ("first", "second")

    first = forms.ModelChoiceField(label=_("Branch"), queryset=None)  # type: ignore[arg-type]
    second = forms.ModelChoiceField(label=_("swaps turns with"), queryset=None)  # type: ignore[arg-type]


class MemberAddForm(_BranchChoices):
    branch_fields = ("branch",)

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=None)  # type: ignore[arg-type]
    joined_on = forms.DateField(label=_("Joined on"), widget=DATE, initial=timezone.localdate)


class OwnActivityForm(_BranchChoices):
    branch_fields = ("branch",)

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=None)  # type: ignore[arg-type]
    title = forms.CharField(label=_("Title"), max_length=100)
    held_on = forms.DateField(label=_("Held on"), widget=DATE, initial=timezone.localdate)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, max_value=10000, initial=0)
    joint_activity = forms.ModelChoiceField(
        label=_("Joint activity it follows"),
        queryset=None,
        required=False,  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, activities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["joint_activity"].queryset = activities  # type: ignore[attr-defined]


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE, initial=timezone.localdate)
    summary = forms.CharField(label=_("Summary"), max_length=200)


class ActivityPlanForm(_BranchChoices):
    branch_fields = ("host",)

    title = forms.CharField(label=_("Title"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    planned_on = forms.DateField(label=_("Planned for"), widget=DATE)
    host = forms.ModelChoiceField(label=_("Host branch"), queryset=None, required=False)  # type: ignore[arg-type]


class ActivityHeldForm(_BranchChoices):
    branch_fields = ("host",)

    activity = forms.ModelChoiceField(label=_("Joint activity"), queryset=None)  # type: ignore[arg-type]
    held_on = forms.DateField(label=_("Held on"), widget=DATE, initial=timezone.localdate)
    host = forms.ModelChoiceField(label=_("Host branch"), queryset=None)  # type: ignore[arg-type]

    def __init__(self, *args: Any, activities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities  # type: ignore[attr-defined]


class BookingForm(forms.Form):
    resource = forms.ModelChoiceField(label=_("Shared resource"), queryset=None)  # type: ignore[arg-type]
    activity = forms.ModelChoiceField(label=_("Joint activity"), queryset=None)  # type: ignore[arg-type]
    booked_for = forms.DateField(label=_("Booked for"), widget=DATE)

    def __init__(self, *args: Any, resources: Any, activities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]
        self.fields["activity"].queryset = activities  # type: ignore[attr-defined]


class LeadForm(_BranchChoices):
    branch_fields = ("branch",)

    branch = forms.ModelChoiceField(label=_("Lead branch"), queryset=None)  # type: ignore[arg-type]
