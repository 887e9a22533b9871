"""Forms of the secretaries' pages. They only parse the request; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiling.paging import MAX_SEARCH, SEARCH_TOO_LONG

from .models import Category, MemberQuerySet, PostKind


class MemberFilterForm(forms.Form):
    """The filters of the member list (GET)."""

    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All categories")), *Category.choices], required=False
    )
    q = forms.CharField(
        label=_("Search by name"),
        max_length=MAX_SEARCH,
        required=False,
        strip=True,
        error_messages={"max_length": SEARCH_TOO_LONG},
    )
    unit = forms.CharField(label=_("Compound or community code"), max_length=32, required=False, strip=True)


class _MemberChoiceForm(forms.Form):
    """A form choosing one of ``members`` (the members the user may see in the unit)."""

    member = forms.ModelChoiceField(label=_("Member"), queryset=None)  # type: ignore[arg-type]

    def __init__(self, *args: Any, members: MemberQuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]


class CheckInSubmitForm(_MemberChoiceForm):
    """Register a resident's report-in."""


class PostAssignForm(_MemberChoiceForm):
    """Give a resident one of the six posts."""

    post = forms.ChoiceField(label=_("Post"), choices=PostKind.choices)


class CheckInReturnForm(forms.Form):
    """Send a report-in back. An empty reason is refused by the service, where the rule lives."""

    reason = forms.CharField(label=_("Reason for returning"), max_length=200, required=False, strip=True)
