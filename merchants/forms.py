"""Forms of the merchants pages. They only parse the request; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .models import FEEDBACK_MAX_LENGTH, PLEDGE_MAX_LENGTH, Feedback, Merchant

phone_validator = RegexValidator(r"^[0-9][0-9 -]{5,18}[0-9]$", _("Write a phone number with digits only."))


class FeedbackForm(forms.Form):
    """A customer's message on the public board."""

    kind = forms.ChoiceField(
        label=_("What would you like to tell us?"), choices=Feedback.Kind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Your message"),
        max_length=FEEDBACK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": FEEDBACK_MAX_LENGTH}),
        strip=True,
    )
    contact_phone = forms.CharField(
        label=_("Contact phone (optional, only the handler sees it)"),
        max_length=20,
        required=False,
        strip=True,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    #: A field people never see and bots fill in.
    website = forms.CharField(label=_("Leave this field empty"), required=False)


class ReceiptForm(forms.Form):
    no = forms.CharField(label=_("Message receipt number"), max_length=16, strip=True)


class PledgeForm(forms.Form):
    text = forms.CharField(
        label=_("New pledges, one per line"),
        max_length=PLEDGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        strip=True,
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Reply"), max_length=FEEDBACK_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False, strip=True)


class ResultForm(forms.Form):
    result = forms.CharField(
        label=_("Result the customer will read"),
        max_length=FEEDBACK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeskFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by shop or member name"), max_length=50, required=False, strip=True)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Merchant.Status.choices], required=False
    )
