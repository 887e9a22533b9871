"""Portal pages of the roster: the member list and page, and the secretaries' compound and community pages.

Reads go through the selectors (the scoping rule); each action is one POST calling one service,
then a redirect back to the unit page with the outcome as a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiling.paging import page_of
from yiling.privacy import redact
from yiling.templatetags.portal import cn_date

from . import selectors, services
from .forms import CheckInReturnForm, CheckInSubmitForm, MemberFilterForm, PostAssignForm
from .models import Category, CheckIn, Member, PersonalDataAccess, PostKind

#: Members per page: each is a card of nine lines on a phone.
PAGE_SIZE = 20
_CHECKIN_LABELS = dict(CheckIn.Status.choices)
_POST_LABELS = dict(PostKind.choices)


def _label_roster_state(members: Iterable[Member]) -> None:
    """Turn the annotated report-in status and post codes into their labels, for the templates."""
    for member in members:
        member.checkin_label = _CHECKIN_LABELS.get(member.checkin_status, "")  # type: ignore[attr-defined]
        member.post_label = _POST_LABELS.get(member.current_post, "")  # type: ignore[attr-defined]


def _unit_url(unit: Any) -> str:
    return reverse("members:unit-detail", args=[unit.code])


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (a community page acting on a compound's report-in)."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = fallback
    return redirect(target)


def _refused(request: HttpRequest, problems: ValidationError | dict[str, list[str]]) -> None:
    items = problems.messages if isinstance(problems, ValidationError) else [m for ms in problems.values() for m in ms]
    for message in items:
        messages.error(request, message)


# --- pages -----------------------------------------------------------------------------------------


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("q", "")
    if redact(typed) != typed:
        # An ID number or phone typed into the search would come back on the page (the search box,
        # the page links, the language switch) and stay in the browser's history: the search goes on
        # at the address with it masked. It searches names, so it finds nobody either way.
        query = request.GET.copy()
        query["q"] = redact(typed)
        return redirect(f"{request.path}?{query.urlencode()}")
    form = MemberFilterForm(request.GET)
    form.is_valid()
    filters = {"category": "", "q": "", "unit": ""}
    for name in filters:
        if name in form.errors:
            # A filter the list cannot apply is said, not dropped silently; the others still apply.
            messages.warning(
                request,
                _("%(field)s: %(message)s")
                % {"field": form.fields[name].label, "message": " ".join(form.errors[name])},
            )
        else:
            filters[name] = form.cleaned_data.get(name) or ""
    unit = None
    if filters["unit"]:
        try:
            unit = selectors.residence_unit_get(user=request.user, code=filters["unit"])
        except Http404:
            # Unknown and out of reach read the same: the page does not tell which codes exist.
            messages.warning(
                request,
                _("There is no compound or community “%(code)s” in your part of the tree: showing all.")
                % {"code": filters["unit"]},
            )
    members = selectors.member_list(user=request.user, unit=unit, category=filters["category"], search=filters["q"])
    page = page_of(request, members, PAGE_SIZE)
    _label_roster_state(page.object_list)
    return render(
        request,
        "members/member_list.html",
        {
            "page": page,
            "members": page.object_list,
            "filters": filters,
            "filter_unit": unit,
            "categories": Category.choices,
            "my_units": selectors.my_units(request.user),
        },
    )


def _member_page(request: HttpRequest, member: Member, *, revealed: bool, calling: bool = False) -> HttpResponse:
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "records": selectors.member_records(member=member),
            "revealed": revealed,
            "calling": calling,
            "can_reveal": services.can_see_personal_data(request.user),
            "can_call": not revealed and not calling and selectors.may_call(user=request.user, member=member),
        },
    )


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(user=request.user, pk=pk)
    return _member_page(request, member, revealed=False)


def _to_member_page(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """The address of a showing (reveal, call) opened with GET, e.g. reloaded: the member page again,
    showing nothing more and recording nothing. A member out of reach is a 404, as on the member page."""
    member = selectors.member_get(user=request.user, pk=pk)
    return redirect(member.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def member_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full ID number and phone, for a user allowed to see them (POST); every view is recorded."""
    if request.method == "GET":
        return _to_member_page(request, pk)
    if not services.can_see_personal_data(request.user):
        raise PermissionDenied
    member = selectors.member_get(user=request.user, pk=pk)
    services.personal_data_viewed(user=request.user, members=[member], purpose=PersonalDataAccess.Purpose.PAGE)
    response = _member_page(request, member, revealed=True)
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def member_call(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone of a member of the secretary's own organization, as a number to tap and call. It is
    shown only after a tap (POST) and every showing is recorded; the ID number stays masked."""
    if request.method == "GET":
        return _to_member_page(request, pk)
    member = selectors.member_to_call(user=request.user, pk=pk)
    services.personal_data_viewed(user=request.user, members=[member], purpose=PersonalDataAccess.Purpose.CALL)
    response = _member_page(request, member, revealed=False, calling=True)
    add_never_cache_headers(response)
    return response


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.residence_unit_get(user=request.user, code=code)
    context: dict[str, Any] = {
        "unit": unit,
        "pending": selectors.pending_checkins(user=request.user, unit=unit),
    }
    residents = list(selectors.residents_of(user=request.user, unit=unit))
    _label_roster_state(residents)
    context["residents"] = residents
    context["can_report_in"] = [m for m in residents if m.category == Category.IN_SERVICE and not m.checkin_status]
    if unit.unit_type == "compound":
        context["posts"] = selectors.post_board(compound=unit)
        context["can_take_post"] = [m for m in residents if not m.current_post]
    else:
        context["compounds"] = selectors.compound_summaries(user=request.user, community=unit)
        context["reported_in"] = selectors.confirmed_checkins(user=request.user, unit=unit)
    return render(request, "members/unit_detail.html", context)


# --- actions (POST, one service each, then back to the unit page) -----------------------------------


def _confirm_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The step before an action that ends or undoes something: what will happen, and a button."""
    return render(request, "members/confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def checkin_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = selectors.manageable_checkin(user=request.user, pk=pk)
    if request.method == "GET":
        # The address of an action, opened or reloaded: back to the page that holds its button.
        return redirect(f"{_unit_url(checkin.unit)}#pending")
    try:
        services.checkin_confirm(checkin=checkin, by=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Report-in of %(member)s confirmed.") % {"member": checkin.member})
    return _back(request, _unit_url(checkin.unit))


@login_required
@require_http_methods(["GET", "POST"])
def checkin_return(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first (what returning does, and why); POST returns the report-in, or asks again with
    the refusal at the reason."""
    checkin = selectors.manageable_checkin(user=request.user, pk=pk)
    form = CheckInReturnForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.checkin_return(checkin=checkin, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("reason", message)
        else:
            messages.success(
                request,
                format_html(
                    '{} <a class="undo" href="{}#register">{}</a>',
                    _("Report-in of %(member)s returned.") % {"member": checkin.member},
                    _unit_url(checkin.unit),
                    _("Register the report-in again"),
                ),
            )
            return _back(request, _unit_url(checkin.unit))
    if form.is_bound:
        _refused(request, form.errors)
    return _confirm_page(
        request,
        {
            "title": _("Return the report-in of %(member)s?") % {"member": checkin.member.name},
            "consequence": _(
                "%(member)s's report-in to %(unit)s will be marked as returned with your reason. "
                "%(member)s can report in again later; nothing else changes."
            )
            % {"member": checkin.member.name, "unit": checkin.unit.name},
            "action": reverse("members:checkin-return", args=[checkin.pk]),
            "form": form if form.is_bound else CheckInReturnForm(),
            "submit": _("Return the report-in"),
            "back": _unit_url(checkin.unit),
            "next": request.GET.get("next") or request.POST.get("next", ""),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_submit(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.manageable_unit(user=request.user, code=code)
    if request.method == "GET":
        return redirect(f"{_unit_url(unit)}#register")
    members = selectors.member_list(user=request.user, unit=unit)
    form = CheckInSubmitForm(request.POST, members=members)
    if not form.is_valid():
        _refused(request, form.errors)
        return _back(request, _unit_url(unit))
    member = form.cleaned_data["member"]
    try:
        services.checkin_submit(member=member, unit=unit, by=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Report-in of %(member)s registered.") % {"member": member})
    return _back(request, _unit_url(unit))


@login_required
@require_http_methods(["GET", "POST"])
def post_assign(request: HttpRequest, code: str) -> HttpResponse:
    """POST assigns. GET with ``member`` and ``post`` asks first (the undo of ending a post links here);
    GET without them goes to the posts on the compound page."""
    compound = selectors.manageable_unit(user=request.user, code=code)
    residents = selectors.member_list(user=request.user, unit=compound).filter(residence=compound)
    if request.method == "GET":
        form = PostAssignForm(request.GET, members=residents)
        if not form.is_valid():
            return redirect(f"{_unit_url(compound)}#posts")
        member, post = form.cleaned_data["member"], form.cleaned_data["post"]
        return _confirm_page(
            request,
            {
                "title": _("Give %(member)s the post %(post)s again?")
                % {"member": member.name, "post": PostKind(post).label},
                "consequence": _("%(member)s will hold the post %(post)s in %(compound)s from today.")
                % {"member": member.name, "post": PostKind(post).label, "compound": compound.name},
                "action": reverse("members:post-assign", args=[compound.code]),
                "hidden": {"member": member.pk, "post": post},
                "submit": _("Assign"),
                "back": _unit_url(compound),
                "next": _unit_url(compound),
                "safe": True,
            },
        )
    form = PostAssignForm(request.POST, members=residents)
    if not form.is_valid():
        _refused(request, form.errors)
        return _back(request, _unit_url(compound))
    member, post = form.cleaned_data["member"], form.cleaned_data["post"]
    try:
        services.volunteer_post_assign(
            member=member, compound=compound, post=post, started_on=timezone.localdate(), by=request.user
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(member)s now holds the post %(post)s.") % {"member": member, "post": PostKind(post).label},
        )
    return _back(request, _unit_url(compound))


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first, saying what ending does; POST ends the post, with a way back in the message."""
    holding = selectors.manageable_post(user=request.user, pk=pk)
    names = {"member": holding.member.name, "post": holding.get_post_display(), "compound": holding.compound.name}
    if request.method == "GET":
        if holding.ended_on is not None:
            messages.info(request, _("This post has already ended."))
            return redirect(f"{_unit_url(holding.compound)}#posts")
        return _confirm_page(
            request,
            {
                "title": _("End the post %(post)s of %(member)s?") % names,
                "consequence": _(
                    "From today %(member)s no longer holds the post %(post)s in %(compound)s; the post "
                    "stays in %(member)s's record with its dates. You can give the post back afterwards."
                )
                % names,
                "action": reverse("members:post-end", args=[holding.pk]),
                "submit": _("End the post"),
                "back": _unit_url(holding.compound),
                "next": request.GET.get("next", ""),
            },
        )
    try:
        services.volunteer_post_end(volunteer_post=holding, ended_on=timezone.localdate(), by=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            format_html(
                '{} <a class="undo" href="{}">{}</a>',
                _("%(member)s no longer holds the post %(post)s.") % names,
                reverse("members:post-resume", args=[holding.pk]),
                _("Undo"),
            ),
        )
    return _back(request, f"{_unit_url(holding.compound)}#posts")


@login_required
@require_http_methods(["GET", "POST"])
def post_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """The undo of ending a post the same day: GET asks first, POST gives the post back as it was (from
    its first day). A post ended earlier is assigned again instead, from the compound page."""
    holding = selectors.manageable_post(user=request.user, pk=pk)
    names = {
        "member": holding.member.name,
        "post": holding.get_post_display(),
        "compound": holding.compound.name,
        "since": cn_date(holding.started_on),
    }
    if request.method == "GET":
        if holding.ended_on != timezone.localdate():
            messages.info(request, _("Only a post ended today can be resumed; assign the post again instead."))
            return redirect(f"{_unit_url(holding.compound)}#posts")
        return _confirm_page(
            request,
            {
                "title": _("Undo ending the post %(post)s of %(member)s?") % names,
                "consequence": _(
                    "%(member)s holds the post %(post)s in %(compound)s again as before, since %(since)s; "
                    "today's ending is undone."
                )
                % names,
                "action": reverse("members:post-resume", args=[holding.pk]),
                "submit": _("Undo"),
                "back": _unit_url(holding.compound),
                "next": f"{_unit_url(holding.compound)}#posts",
                "safe": True,
            },
        )
    try:
        services.volunteer_post_resume(volunteer_post=holding, today=timezone.localdate(), by=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(member)s holds the post %(post)s again, since %(since)s.") % names)
    return _back(request, f"{_unit_url(holding.compound)}#posts")
