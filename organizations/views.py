"""Portal pages of the organization tree, and the secretaries' compound governance and fund pages: each
user sees their own part of the tree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members import selectors as member_selectors
from yiling.paging import page_of, search_of
from yiling.refusals import file_again
from yiling.spreadsheets import CONTENT_TYPES, download, write_table
from yiling.templatetags.portal import cn_date
from yiling.uploads import attachment_response

from . import selectors, services
from .forms import (
    ActivityForm,
    CommitteeTermForm,
    ExpenseForm,
    FirstSecretaryForm,
    SeatAddForm,
    VenueForm,
    yuan,
)
from .models import BranchPosition, Organization, Unit, UnitType


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    """The tree, one level open at a time (a phone shows 81 rows otherwise); a search lists matches flat."""
    search = search_of(request)
    organizations = selectors.organization_list(user=request.user, search=search)
    base_depth = min((org.depth for org in organizations), default=1)
    roots: list[Organization] = []
    by_path = {org.path: org for org in organizations}
    for org in organizations:
        # Indent from the top of the user's own part of the tree, not from the district.
        org.indent = 0 if search else org.depth - base_depth
        org.branches = []
        parent = by_path.get(org.path[: -org.steplen]) if not search else None
        (parent.branches if parent is not None else roots).append(org)
    return render(
        request,
        "organizations/organization_list.html",
        {"organizations": organizations, "roots": roots, "search": search},
    )


@login_required
def organization_detail(request: HttpRequest, code: str) -> HttpResponse:
    organization = selectors.organization_get(user=request.user, code=code)
    children = selectors.organization_children(user=request.user, organization=organization)
    units = list(selectors.unit_list(user=request.user, scope=organization))
    return render(
        request,
        "organizations/organization_detail.html",
        {
            "organization": organization,
            "breadcrumb": selectors.organization_breadcrumb(user=request.user, organization=organization),
            "children": children,
            "units": units,
        },
    )


# --- compounds: governance and funds -------------------------------------------------------------
# Reads go through the selectors (the scoping rule); acting needs ``manageable_compound``, which is
# a 404 for a compound outside the user's acting reach, so nothing is written there. Each action is
# one POST calling one service; a refusal is shown on the page again with what was typed.

#: The columns of the fund-execution export (the file is read by people, in Chinese).
EXECUTION_HEADERS = ("街道", "社区", "小区", "小区编码", "拨付(元)", "支出(元)", "余额(元)", "执行率(%)")
EXECUTION_TOTAL = "合计"
MIN_YEAR, MAX_YEAR = 2000, 2100


#: Compounds per page of the compound list (each is a card of nine lines on a phone).
COMPOUNDS_PER_PAGE = 15


def _year(request: HttpRequest) -> int:
    """The year asked for in ``?year=``; the current year when missing, and then with a message when
    what was asked is not a year the portal keeps."""
    current = timezone.localdate().year
    asked = request.GET.get("year", "")
    if asked == "":
        return current
    try:
        year = int(asked)
    except ValueError:
        year = 0
    if MIN_YEAR <= year <= MAX_YEAR:
        return year
    messages.warning(
        request,
        _("“%(asked)s” is not a year between %(first)s and %(last)s: showing %(year)s.")
        % {"asked": asked[:20], "first": MIN_YEAR, "last": MAX_YEAR, "year": current},
    )
    return current


def _section(section: str):  # type: ignore[no-untyped-def]
    """Decorates a compound action (POST): its address opened with GET (a reload after a refused form,
    a shared link) goes to the compound page at the action's form instead of answering 405."""

    def decorate(view):  # type: ignore[no-untyped-def]
        @require_http_methods(["GET", "POST"])
        def wrapped(request: HttpRequest, code: str) -> HttpResponse:
            if request.method == "GET":
                selectors.manageable_compound(user=request.user, code=code)
                return redirect(f"{_compound_url(code, _year(request))}#{section}")
            return view(request, code)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def _compound_url(code: str, year: int) -> str:
    url = reverse("organizations:compound-detail", args=[code])
    return url if year == timezone.localdate().year else f"{url}?{urlencode({'year': year})}"


def _own_branch(compound: Unit) -> Organization | None:
    return compound.organization if compound.organization.unit_id == compound.pk else None


def _field_message(form: forms.Form, field: str | None, message: str) -> str:
    if field and field in form.fields and field != NON_FIELD_ERRORS:
        return _("%(field)s: %(message)s") % {"field": form.fields[field].label, "message": message}
    return message


def _form_invalid(request: HttpRequest, form: forms.Form) -> None:
    """Each problem of the form as a message naming its field; a file chosen in the form is not sent
    back to the browser, so say it must be chosen again."""
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, _field_message(form, field, message))
    file_again(request, form)


def _refused(request: HttpRequest, form: forms.Form, exc: ValidationError) -> None:
    """A service's refusal, on the form's field it names (or the whole form) and as messages."""
    problems = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, errors in problems.items():
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(target, message)
            messages.error(request, _field_message(form, target, message))
    file_again(request, form)


@login_required
def compound_list(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    search = search_of(request)
    communities = list(selectors.unit_list(user=request.user, unit_type=UnitType.COMMUNITY))
    community = request.GET.get("community", "").strip()
    if community and community not in {c.code for c in communities}:
        messages.warning(
            request,
            _("There is no community “%(code)s” in your part of the tree: showing all.") % {"code": community[:32]},
        )
        community = ""
    compounds = selectors.compound_list(user=request.user, year=year, search=search, community=community)
    totals = {
        "compounds": len(compounds),
        "with_branch": sum(c.has_party_organization for c in compounds),
        "with_committee": sum(c.has_owners_committee for c in compounds),
        "dual": sum(c.dual_established for c in compounds),
        "venues": sum(c.venue_count for c in compounds),
        "allocated": sum((c.allocated for c in compounds), Decimal("0.00")),
        "spent": sum((c.spent for c in compounds), Decimal("0.00")),
    }
    totals["balance"] = totals["allocated"] - totals["spent"]
    page = page_of(request, compounds, COMPOUNDS_PER_PAGE)
    return render(
        request,
        "organizations/compound_list.html",
        {
            "compounds": page.object_list,
            "page": page,
            "totals": totals,
            "year": year,
            "year_query": urlencode({"year": year}),
            "filters": {"q": search, "community": community},
            "communities": communities,
            "compound_type_communities": selectors.compound_type_communities(user=request.user),
        },
    )


def _compound_page(
    request: HttpRequest, code: str, year: int, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The compound page; ``bound`` replaces an empty form by the one just refused."""
    compound = selectors.compound_get(user=request.user, code=code, year=year)
    records = selectors.compound_records(compound=compound, year=year)
    context: dict[str, Any] = {
        "compound": compound,
        "records": records,
        "year": year,
        "allocated": sum((a.amount for a in records.allocations), Decimal("0.00")),
        "spent": sum((a.spent for a in records.allocations), Decimal("0.00")),
        "year_query": urlencode({"year": year}),
    }
    context["balance"] = context["allocated"] - context["spent"]
    if compound.can_act:
        bound = bound or {}
        today = timezone.localdate()
        context["committee_form"] = bound.get("committee_form") or CommitteeTermForm()
        context["activity_form"] = bound.get("activity_form") or ActivityForm(
            venues=selectors.venue_choices(compound=compound), initial={"held_on": today}
        )
        context["venue_form"] = bound.get("venue_form") or VenueForm()
        if records.committee is not None:
            context["seat_form"] = bound.get("seat_form") or SeatAddForm(
                residents=member_selectors.residents_of(user=request.user, unit=compound)
            )
            # A compound has up to a few hundred resident members: find one by typing (static/js/portal.js).
            context["seat_form"].fields["member"].widget.attrs["data-type-to-find"] = _("Type a name to find")
        if compound.has_party_organization:
            context["first_secretary_form"] = bound.get("first_secretary_form") or FirstSecretaryForm(
                initial={"started_on": today}
            )
            context["expense_form"] = bound.get("expense_form") or ExpenseForm(
                allocations=selectors.open_allocations(compound=compound, year=year),
                initial={"spent_on": today if today.year == year else None},
            )
    return render(request, "organizations/compound_detail.html", context)


@login_required
def compound_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _compound_page(request, code, _year(request))


def _acted(request: HttpRequest, compound: Unit, year: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(_compound_url(compound.code, year))


@login_required
@_section("form-committee")
def committee_record(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.manageable_compound(user=request.user, code=code)
    year = _year(request)
    form = CommitteeTermForm(request.POST)
    if not form.is_valid():
        _form_invalid(request, form)
        return _compound_page(request, code, year, {"committee_form": form})
    try:
        committee = services.owners_committee_record(compound=compound, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, form, exc)
        return _compound_page(request, code, year, {"committee_form": form})
    return _acted(
        request,
        compound,
        year,
        _("The owners' committee term elected on %(day)s is recorded.") % {"day": cn_date(committee.elected_on)},
    )


@login_required
@_section("form-seat")
def seat_add(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.manageable_compound(user=request.user, code=code)
    year = _year(request)
    residents = member_selectors.residents_of(user=request.user, unit=compound)
    form = SeatAddForm(request.POST, residents=residents)
    if not form.is_valid():
        _form_invalid(request, form)
        return _compound_page(request, code, year, {"seat_form": form})
    committee = selectors.compound_records(compound=compound, year=year).committee
    try:
        if committee is None:
            raise ValidationError(_("Record the owners' committee term first."))
        seat = services.committee_seat_add(
            committee=committee,
            position=form.cleaned_data["position"],
            member=form.cleaned_data["member"],
            name=form.cleaned_data["name"],
        )
    except ValidationError as exc:
        _refused(request, form, exc)
        return _compound_page(request, code, year, {"seat_form": form})
    return _acted(
        request,
        compound,
        year,
        _("%(name)s now sits on the owners' committee as %(position)s.")
        % {"name": seat.name, "position": seat.get_position_display()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def seat_end(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """GET asks first, saying what ending a seat does; POST vacates it from today, and the message
    points to the form that seats someone again."""
    seat = selectors.manageable_seat(user=request.user, code=code, pk=pk)
    compound = seat.committee.compound
    year = _year(request)
    names = {"name": seat.name, "position": seat.get_position_display(), "compound": compound.name}
    seats_url = f"{_compound_url(code, year)}#committee"
    if seat.ended_on is not None:
        messages.info(request, _("This seat has already been vacated."))
        return redirect(seats_url)
    if request.method == "GET":
        return render(
            request,
            "members/confirm.html",
            {
                "title": _("End %(name)s's seat as %(position)s?") % names,
                "consequence": _(
                    "From today %(name)s no longer sits on the owners' committee of %(compound)s as "
                    "%(position)s; the seat stays in the committee's record with its dates. You can seat "
                    "someone again with “Add a seat”."
                )
                % names,
                "action": request.get_full_path(),
                "submit": _("End the seat"),
                "back": seats_url,
            },
        )
    try:
        services.committee_seat_end(seat=seat, ended_on=timezone.localdate())
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(seats_url)
    messages.success(
        request,
        format_html(
            '{} <a class="undo" href="{}">{}</a>',
            _("%(name)s no longer sits on the owners' committee as %(position)s.") % names,
            f"{_compound_url(code, year)}#form-seat",
            _("Seat someone again"),
        ),
    )
    return redirect(seats_url)


@login_required
@_section("form-first-secretary")
def first_secretary_appoint(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.manageable_compound(user=request.user, code=code)
    year = _year(request)
    form = FirstSecretaryForm(request.POST)
    if not form.is_valid():
        _form_invalid(request, form)
        return _compound_page(request, code, year, {"first_secretary_form": form})
    branch = _own_branch(compound)
    member = member_selectors.member_by_identity(
        id_number=form.cleaned_data["id_number"], name=form.cleaned_data["name"]
    )
    try:
        if branch is None:
            raise ValidationError(_("This compound has no party organization of its own yet."))
        if member is None:
            raise ValidationError(
                {"id_number": _("No party member has this ID number and name. Check both against the ID card.")}
            )
        services.branch_post_appoint(
            organization=branch,
            member=member,
            position=BranchPosition.FIRST_SECRETARY,
            started_on=form.cleaned_data["started_on"],
        )
    except ValidationError as exc:
        _refused(request, form, exc)
        return _compound_page(request, code, year, {"first_secretary_form": form})
    return _acted(
        request,
        compound,
        year,
        _("%(member)s is now the first secretary of %(branch)s.") % {"member": member.name, "branch": branch.name},
    )


@login_required
@_section("form-venue")
def venue_add(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.manageable_compound(user=request.user, code=code)
    year = _year(request)
    form = VenueForm(request.POST)
    if not form.is_valid():
        _form_invalid(request, form)
        return _compound_page(request, code, year, {"venue_form": form})
    try:
        venue = services.venue_create(unit=compound, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, form, exc)
        return _compound_page(request, code, year, {"venue_form": form})
    return _acted(request, compound, year, _("Venue %(name)s added.") % {"name": venue.name})


@login_required
@_section("form-activity")
def activity_record(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.manageable_compound(user=request.user, code=code)
    year = _year(request)
    form = ActivityForm(request.POST, venues=selectors.venue_choices(compound=compound))
    if not form.is_valid():
        _form_invalid(request, form)
        return _compound_page(request, code, year, {"activity_form": form})
    try:
        activity = services.activity_record(compound=compound, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, form, exc)
        return _compound_page(request, code, year, {"activity_form": form})
    return _acted(request, compound, year, _("Activity %(title)s recorded.") % {"title": activity.title})


@login_required
@_section("form-expense")
def expense_record(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.manageable_compound(user=request.user, code=code)
    year = _year(request)
    form = ExpenseForm(
        request.POST, request.FILES, allocations=selectors.open_allocations(compound=compound, year=year)
    )
    if not form.is_valid():
        _form_invalid(request, form)
        return _compound_page(request, code, year, {"expense_form": form})
    data = form.cleaned_data
    allocation = selectors.manageable_allocation(user=request.user, compound=compound, pk=data["allocation"])
    try:
        expense = services.expense_record(
            allocation=allocation,
            amount=data["amount"],
            spent_on=data["spent_on"],
            purpose=data["purpose"],
            receipt=data["receipt"] or None,
            receipt_number=data["receipt_number"],
            by=request.user,
        )
    except ValidationError as exc:
        _refused(request, form, exc)
        return _compound_page(request, code, year, {"expense_form": form})
    return _acted(
        request,
        compound,
        year,
        _("Expense of %(amount)s yuan for %(purpose)s recorded.")
        % {"amount": f"{yuan(expense.amount):,}", "purpose": expense.purpose},
    )


@login_required
def expense_receipt(request: HttpRequest, pk: int) -> FileResponse:
    """The receipt of an expense the user may see. Receipts are never served from /media/: this view
    is where the scoping rule is applied to them."""
    expense = selectors.receipt_expense(user=request.user, pk=pk)
    try:
        return attachment_response(expense.receipt)
    except FileNotFoundError as exc:
        raise Http404 from exc


@login_required
def fund_execution(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    execution = selectors.fund_execution(user=request.user, year=year)
    fmt = request.GET.get("format", "")
    if fmt in CONTENT_TYPES:
        return download(_execution_file(execution, fmt), fmt=fmt, name=f"fund-execution-{year}")
    if fmt:
        messages.warning(request, _("Tables download as Excel (format=xlsx) or CSV (format=csv) only."))
    return render(
        request,
        "organizations/fund_execution.html",
        {"execution": execution, "year": year, "year_query": urlencode({"year": year})},
    )


def _execution_file(execution: selectors.Execution, fmt: str) -> bytes:
    def rate(row: selectors.ExecutionRow) -> Decimal | str:
        return row.rate if row.rate is not None else ""

    def money(row: selectors.ExecutionRow) -> list[Decimal]:
        return [yuan(row.allocated), yuan(row.spent), yuan(row.balance)]

    rows: list[list[Any]] = [[r.street, r.community, r.label, r.code, *money(r), rate(r)] for r in execution.compounds]
    total = execution.total
    rows.append([EXECUTION_TOTAL, "", "", "", *money(total), rate(total)])
    return write_table(EXECUTION_HEADERS, rows, fmt=fmt, title=str(execution.year))
