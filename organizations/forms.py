"""Forms of the organization tree."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organization
from .services import check_move


class OrganizationAdminForm(forms.ModelForm):
    """An organization with its place in the tree chosen as a parent (within the user's reach)."""

    parent = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label=_("parent organization"),
        help_text=_("Choosing another parent moves the organization with everything below it."),
    )

    class Meta:
        model = Organization
        fields = ("code", "name", "kind", "unit", "established_on", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.depth > 1:
            self.initial.setdefault("parent", Organization.objects.get_parent(self.instance))

    def _get_validation_exclusions(self) -> set[str]:
        # The tree fields are filled in by the service when the organization is placed.
        return super()._get_validation_exclusions() | {"path", "depth", "numchild"}

    def clean_parent(self) -> Organization | None:
        parent = self.cleaned_data.get("parent")
        try:
            check_move(organization=self.instance, new_parent=parent)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["parent"]) from exc
        return parent
