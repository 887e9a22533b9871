"""Portal pages of 单位联小区: the agency contact's paired compounds and open problems, the secretaries'
compound page (raise a problem, record a deliberation), the problem page with its timeline and moves,
and the staff's figures by agency and by street.

Reads go through the selectors (the scoping rule); each action is one POST calling one service. A move
of a problem is asked first (GET shows what it does, with the note and attachment fields); the POST
moves it, or shows the page again with the refusal at the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from organizations.models import Unit
from yiling.paging import page_of
from yiling.refusals import file_again
from yiling.uploads import attachment_response

from . import selectors, services
from .forms import ContributionForm, DeliberationForm, DemandFilterForm, DemandRaiseForm, MoveForm
from .models import OPEN_STATES, Demand, State

#: Rows per page of the long lists (each a card of a few lines on a phone).
PAGE_SIZE = 20
#: Open problems shown on the landing page (the list has them all).
HOME_DEMANDS = 10


def _refused(request: HttpRequest, form: forms.Form, exc: ValidationError) -> None:
    """A service's refusal, on the form's field it names (or the whole form) and as messages."""
    problems = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, errors in problems.items():
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(target, message)
            label = form.fields[target].label if target else None
            messages.error(
                request, _("%(field)s: %(message)s") % {"field": label, "message": message} if label else message
            )


def _form_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, "liaisons/form.html", context)


def _compound_url(compound: Unit) -> str:
    return reverse("liaisons:compound-detail", args=[compound.code])


# --- pages -----------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The paired compounds the user sees (an agency contact: its own) and the open problems."""
    pairings = selectors.liaison_list(user=request.user)
    page = page_of(request, pairings, PAGE_SIZE)
    open_demands = list(selectors.demand_list(user=request.user, open_only=True)[:HOME_DEMANDS])
    context: dict[str, Any] = {
        "page": page,
        "pairings": page.object_list,
        "open_demands": open_demands,
        "today": timezone.localdate(),
        "is_agency": bool(services.agency_ids_of(request.user)),
    }
    if not context["is_agency"]:
        visible_compounds = Unit.objects.visible_to(request.user).values("pk")
        context["unpaired"] = list(
            selectors.unpaired_compounds().filter(pk__in=visible_compounds).select_related("parent").order_by("code")
        )
    return render(request, "liaisons/home.html", context)


@login_required
def compound_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A compound's pairing, problems, deliberations and what its agency brought."""
    compound = selectors.compound_get(user=request.user, code=code)
    liaison = selectors.current_liaison(compound)
    return render(
        request,
        "liaisons/compound_detail.html",
        {
            "compound": compound,
            "liaison": liaison,
            "demands": list(selectors.demand_list(user=request.user, compound=compound)[:50]),
            "deliberations": list(selectors.deliberation_list(user=request.user, compound=compound)[:20]),
            "contributions": list(selectors.contributions_of(liaison)[:20]) if liaison else [],
            "can_act": services.is_compound_side(request.user, compound) or request.user.is_superuser,
            "can_contribute": liaison is not None and liaison.agency_id in services.agency_ids_of(request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
def demand_list(request: HttpRequest) -> HttpResponse:
    form = DemandFilterForm(request.GET)
    form.is_valid()
    state, code = "", ""
    for name in ("state", "compound"):
        if name in form.errors:
            messages.warning(
                request,
                _("%(field)s: %(message)s")
                % {"field": form.fields[name].label, "message": " ".join(form.errors[name])},
            )
    if "state" not in form.errors:
        state = form.cleaned_data.get("state") or ""
    if "compound" not in form.errors:
        code = form.cleaned_data.get("compound") or ""
    compound = None
    if code:
        try:
            compound = selectors.compound_get(user=request.user, code=code)
        except Http404:
            # Unknown and out of reach read the same.
            messages.warning(
                request, _("There is no compound “%(code)s” in your reach: showing all.") % {"code": code[:32]}
            )
    demands = selectors.demand_list(
        user=request.user,
        compound=compound,
        state="" if state == "all" else state,
        open_only=state == "",
    )
    page = page_of(request, demands, PAGE_SIZE)
    return render(
        request,
        "liaisons/demand_list.html",
        {
            "page": page,
            "demands": page.object_list,
            "filters": {"state": state, "compound": compound.code if compound else ""},
            "states": State.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
def demand_detail(request: HttpRequest, pk: int) -> HttpResponse:
    demand = selectors.demand_get(user=request.user, pk=pk)
    moves = [(to, services.MOVES[to]) for to in services.moves_for(request.user, demand)]
    return render(
        request,
        "liaisons/demand_detail.html",
        {"demand": demand, "moves": moves, "today": timezone.localdate(), "open_states": OPEN_STATES},
    )


def _move_consequence(demand: Demand, to_state: str) -> str:
    names = {"title": demand.title, "compound": demand.compound.name}
    return {
        State.ACCEPTED: _("The agency takes on “%(title)s” of %(compound)s."),
        State.IN_PROGRESS: _("“%(title)s” is marked as being worked on."),
        State.RESOLVED: _(
            "“%(title)s” is marked as resolved; %(compound)s then confirms it or reopens it. Say what was done."
        ),
        State.CONFIRMED: _("You confirm that “%(title)s” is solved. The problem is then closed."),
        State.REOPENED: _(
            "The resolution of “%(title)s” is undone: the problem goes back to the agency. Say what is still wrong."
        ),
    }[State(to_state)] % names


@login_required
@require_http_methods(["GET", "POST"])
def demand_move(request: HttpRequest, pk: int, to_state: str) -> HttpResponse:
    """GET asks first (what the move does, with its note and attachment); POST moves the problem."""
    demand = selectors.demand_get(user=request.user, pk=pk)
    if to_state not in services.MOVES:
        raise Http404
    move = services.MOVES[to_state]
    deliberations = selectors.deliberation_list(user=request.user, compound=demand.compound)[:20]
    deliberation_qs = demand.compound.deliberations.filter(pk__in=[d.pk for d in deliberations])
    if request.method == "POST":
        form = MoveForm(request.POST, request.FILES, deliberations=deliberation_qs, note_required=move.note_required)
        if form.is_valid():
            try:
                services.demand_move(
                    demand=demand,
                    to_state=to_state,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    attachment=form.cleaned_data["attachment"] or None,
                    deliberation=form.cleaned_data.get("deliberation"),
                )
            except ValidationError as exc:
                _refused(request, form, exc)
            else:
                messages.success(
                    request,
                    _("“%(title)s” is now %(state)s.") % {"title": demand.title, "state": State(to_state).label},
                )
                return redirect(demand.get_absolute_url())
        file_again(request, form)
    else:
        if to_state not in services.moves_for(request.user, demand):
            messages.info(
                request,
                _("“%(title)s” cannot be moved to %(state)s now, or not by you.")
                % {"title": demand.title, "state": State(to_state).label},
            )
            return redirect(demand.get_absolute_url())
        form = MoveForm(deliberations=deliberation_qs, note_required=move.note_required)
    return _form_page(
        request,
        {
            "title": _("%(verb)s: %(title)s?") % {"verb": move.verb, "title": demand.title},
            "consequence": _move_consequence(demand, to_state),
            "action": reverse("liaisons:demand-move", args=[demand.pk, to_state]),
            "form": form,
            "multipart": True,
            "submit": move.verb,
            "danger": to_state == State.REOPENED,
            "back": demand.get_absolute_url(),
        },
    )


@login_required
def step_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A timeline entry's attachment, for those who may see the problem; never served from /media/."""
    step = selectors.step_with_attachment(user=request.user, pk=pk)
    try:
        return attachment_response(step.attachment)
    except FileNotFoundError as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def demand_raise(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.compound_get(user=request.user, code=code)
    if not (request.user.is_superuser or services.is_compound_side(request.user, compound)):
        raise Http404
    form = DemandRaiseForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            demand = services.demand_raise(compound=compound, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Problem “%(title)s” raised.") % {"title": demand.title})
            return redirect(demand.get_absolute_url())
    return _form_page(
        request,
        {
            "title": _("Raise a problem of %(compound)s") % {"compound": compound.name},
            "action": reverse("liaisons:demand-raise", args=[compound.code]),
            "form": form,
            "submit": _("Raise the problem"),
            "safe": True,
            "back": _compound_url(compound),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def deliberation_record(request: HttpRequest, code: str) -> HttpResponse:
    compound = selectors.compound_get(user=request.user, code=code)
    if not (request.user.is_superuser or services.is_compound_side(request.user, compound)):
        raise Http404
    demands = selectors.open_demands_of(compound)
    if request.method == "POST":
        form = DeliberationForm(request.POST, demands=demands)
    else:
        form = DeliberationForm(demands=demands, initial={"held_on": timezone.localdate()})
    if form.is_bound and form.is_valid():
        try:
            deliberation = services.deliberation_record(compound=compound, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Deliberation “%(topic)s” recorded.") % {"topic": deliberation.topic})
            return redirect(deliberation.get_absolute_url())
    return _form_page(
        request,
        {
            "title": _("Record a deliberation of %(compound)s") % {"compound": compound.name},
            "action": reverse("liaisons:deliberation-record", args=[compound.code]),
            "form": form,
            "submit": _("Record the deliberation"),
            "safe": True,
            "back": _compound_url(compound),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contribution_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency records what it brought to its paired compound."""
    liaison = selectors.liaison_get(user=request.user, pk=pk)
    if not (request.user.is_superuser or liaison.agency_id in services.agency_ids_of(request.user)):
        raise Http404
    demands = Demand.objects.filter(compound=liaison.compound).order_by("-raised_on", "-pk")
    if request.method == "POST":
        form = ContributionForm(request.POST, demands=demands)
    else:
        form = ContributionForm(demands=demands, initial={"given_on": timezone.localdate()})
    if form.is_bound and form.is_valid():
        try:
            contribution = services.contribution_record(liaison=liaison, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Recorded: %(what)s.") % {"what": contribution.description})
            return redirect(_compound_url(liaison.compound))
    return _form_page(
        request,
        {
            "title": _("What %(agency)s brought to %(compound)s")
            % {"agency": liaison.agency.name, "compound": liaison.compound.name},
            "action": reverse("liaisons:contribution-record", args=[liaison.pk]),
            "form": form,
            "submit": _("Record"),
            "safe": True,
            "back": _compound_url(liaison.compound),
        },
    )


@login_required
def deliberation_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, selectors.deliberation_list(user=request.user), PAGE_SIZE)
    return render(request, "liaisons/deliberation_list.html", {"page": page, "deliberations": page.object_list})


@login_required
def deliberation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deliberation = selectors.deliberation_get(user=request.user, pk=pk)
    return render(request, "liaisons/deliberation_detail.html", {"deliberation": deliberation})


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Open, overdue and resolved problems by agency and by street, and the median days to resolve."""
    if not selectors.may_see_report(request.user):
        raise Http404
    demands = Demand.objects.visible_to(request.user)
    return render(
        request,
        "liaisons/report.html",
        {
            "by_agency": selectors.by_group(demands, "liaison__agency__name"),
            "by_street": selectors.by_group(demands, "compound__parent__parent__name"),
            "median_days": selectors.median_days(demands),
            "counts": selectors.state_counts(demands),
            "states": State.choices,
        },
    )
