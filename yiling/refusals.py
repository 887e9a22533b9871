"""A refused form shown again, the same way on every page: the cursor in the first wrong field, and a
file the user attached named as lost (a browser cannot send it back), so it is chosen again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _


def focus_first_error(form: forms.Form) -> None:
    """The cursor in the first wrong field when the page opens at the form (works without JS)."""
    for name, field in form.fields.items():
        if name in form.errors:
            field.widget.attrs["autofocus"] = True
            return


def file_again(request: HttpRequest, form: forms.Form) -> None:
    """Focus the first wrong field; if a file came with the refused form, say it must be chosen again
    (``form.file_again`` for the template, and a message)."""
    focus_first_error(form)
    if any(request.FILES.get(name) for name, field in form.fields.items() if isinstance(field, forms.FileField)):
        form.file_again = True  # type: ignore[attr-defined]
        messages.warning(request, _("The file you attached was not kept: choose it again before sending."))
