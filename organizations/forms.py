"""Forms of the organization tree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yiling.templatetags.portal import money

from .models import ActivityKind, CommitteePosition, FundAllocation, Organization, Venue, VenueKind
from .models.governance import RECEIPT_CHECK
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


# --- the secretaries' compound pages ---------------------------------------------------------------
# These forms only parse what was typed; the rules (who may sit where, overdrawing, dates in the
# future) live in the services, whose refusals the views put back on the fields named here.

CENT = Decimal("0.01")
MONEY_MESSAGE = _("Give a positive amount in yuan with at most two decimal places.")


def yuan(amount: Decimal | int) -> Decimal:
    """An amount with its two places (SQLite sums drop them)."""
    return Decimal(amount).quantize(CENT)


def _date_field(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _money_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "invalid": MONEY_MESSAGE,
            "min_value": MONEY_MESSAGE,
            "max_decimal_places": MONEY_MESSAGE,
            "max_digits": _("The amount is too large."),
            "max_whole_digits": _("The amount is too large."),
        },
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )


class _UnechoedInput(forms.TextInput):
    """A text box that does not send back what was typed: an ID number would appear unmasked."""

    def format_value(self, value: Any) -> str | None:
        return None


class CompoundForm(forms.Form):
    """A form of the compound page. Each has its own id prefix: several sit on one page."""

    id_prefix = "compound"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields
        super().__init__(*args, **kwargs)


class CompoundFilterForm(forms.Form):
    """The filters of the compound list (GET)."""

    q = forms.CharField(label=_("Search by name or code"), max_length=100, required=False, strip=True)
    community = forms.CharField(label=_("Community"), max_length=32, required=False, strip=True)


class CommitteeTermForm(CompoundForm):
    """A newly elected term of the owners' committee."""

    id_prefix = "committee"

    elected_on = _date_field(_("Elected on"))
    term_ends_on = _date_field(_("Term ends on"))
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False, strip=True)


class SeatAddForm(CompoundForm):
    """A seat on the current committee: a party member living in the compound, or an owner by name."""

    id_prefix = "seat"

    position = forms.ChoiceField(label=_("Position"), choices=CommitteePosition.choices)
    member = forms.ModelChoiceField(
        label=_("Party member living here"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        empty_label=_("Not a party member"),
    )
    name = forms.CharField(
        label=_("Name of an owner who is not a party member"), max_length=50, required=False, strip=True
    )

    def __init__(self, *args: Any, residents: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = residents  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("member") and not cleaned.get("name") and "member" not in self.errors:
            self.add_error("name", _("Choose a party member living here, or give the owner's name."))
        return cleaned


class FirstSecretaryForm(CompoundForm):
    """The first secretary sent to the branch, found by full ID number and name wherever he or she is held."""

    id_prefix = "first_secretary"

    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        strip=True,
        widget=_UnechoedInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    name = forms.CharField(label=_("Full name"), max_length=50, strip=True)
    started_on = _date_field(_("In post since"))


class VenueForm(CompoundForm):
    id_prefix = "venue"

    name = forms.CharField(label=_("Venue name"), max_length=100, strip=True)
    kind = forms.ChoiceField(label=_("Kind"), choices=VenueKind.choices)
    area = forms.DecimalField(
        label=_("Area (m²)"),
        required=False,
        max_digits=8,
        decimal_places=1,
        min_value=Decimal("0.1"),
        error_messages={
            "invalid": _("Give the area as a positive number with at most one decimal place."),
            "min_value": _("Give the area as a positive number with at most one decimal place."),
            "max_decimal_places": _("Give the area as a positive number with at most one decimal place."),
        },
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "inputmode": "decimal"}),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False, strip=True)
    opened_on = _date_field(_("Opened on"), required=False)


class ActivityForm(CompoundForm):
    id_prefix = "activity"

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Activity title"), max_length=100, strip=True)
    held_on = _date_field(_("Held on"))
    attendance = forms.IntegerField(
        label=_("Attendance"),
        min_value=1,
        max_value=100000,
        error_messages={"min_value": _("Attendance must be at least one person.")},
    )
    venue = forms.TypedChoiceField(label=_("Venue"), coerce=int, required=False, empty_value=None)
    report = forms.CharField(label=_("Short report"), max_length=2000, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, venues: list[Venue], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.venues = {v.pk: v for v in venues}
        self.fields["venue"].choices = [("", _("No venue")), *((v.pk, v.name) for v in venues)]  # type: ignore[attr-defined]

    def clean_venue(self) -> Venue | None:
        pk = self.cleaned_data.get("venue")
        return self.venues.get(pk) if pk is not None else None


class ExpenseForm(CompoundForm):
    id_prefix = "expense"

    allocation = forms.TypedChoiceField(label=_("Paid from"), coerce=int)
    amount = _money_field(_("Amount (yuan)"))
    spent_on = _date_field(_("Spent on"))
    purpose = forms.CharField(label=_("Purpose"), max_length=200, strip=True)
    receipt = forms.FileField(
        label=_("Receipt (JPG, PNG or PDF, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
        validators=[RECEIPT_CHECK],
    )
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=50, required=False, strip=True)

    def __init__(self, *args: Any, allocations: list[FundAllocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(a.pk, allocation_label(a)) for a in allocations]
        # With a single allocation (most branches: the activity fund) there is nothing to choose.
        self.fields["allocation"].choices = (  # type: ignore[attr-defined]
            choices if len(choices) == 1 else [("", _("Choose an allocation")), *choices]
        )


def allocation_label(allocation: FundAllocation) -> str:
    """How an allocation is named in the expense form: source, year and what is left of it."""
    name = allocation.get_source_display()
    if allocation.resolution_ref:
        name = f"{name}（{allocation.resolution_ref}）"
    return _("%(source)s %(year)s, balance %(balance)s of %(amount)s") % {
        "source": name,
        "year": allocation.year,
        "balance": money(getattr(allocation, "balance", allocation.amount)),
        "amount": money(allocation.amount),
    }
