"""Portal pages of the park alliances: a park secretary's landing page, the alliance page with its
rotation, meetings and programme, the instructors' coverage and the enterprises.

Reads go through the selectors (the scoping rule: a park's staff reach its alliances and
enterprises); each action is one POST calling one service, then a redirect with the outcome. An
action's address opened with GET (a reload after a refused form, a shared link) leads to the page
that holds its form instead of answering 405; nothing is written on a GET.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from organizations.models import Organization, UnitType
from yiling.paging import page_of
from yiling.refusals import focus_first_error

from . import selectors, services
from .forms import (
    ActivityHeldForm,
    ActivityPlanForm,
    BookingForm,
    LeadForm,
    MeetingForm,
    MemberAddForm,
    MinutesForm,
    OwnActivityForm,
    SwapForm,
    VisitForm,
)
from .models import Alliance, AllianceMembership

PAGE_SIZE = 20
#: the landing page's calendar: this far back and ahead of today
CALENDAR_BACK = timedelta(days=30)
CALENDAR_AHEAD = timedelta(days=90)


def _alliance(request: HttpRequest, code: str) -> Alliance:
    return get_object_or_404(selectors.alliances_for(request.user), code=code)


def _detail_url(alliance: Alliance, section: str = "", year: int | None = None) -> str:
    """The alliance page (of ``year``'s programme, when not this year's), at ``section``."""
    url = reverse("alliances:alliance-detail", args=[alliance.code])
    if year is not None and year != timezone.localdate().year:
        url = f"{url}?year={year}"
    return f"{url}#{section}" if section else url


def _form_anchor(key: str) -> str:
    """The id of the box holding the form ``key`` on the alliance page: ``swap_form`` is ``form-swap``."""
    return "form-" + key.removesuffix("_form")


def _field_message(form: forms.Form, field: str | None, message: str) -> str:
    if field and field in form.fields:
        return _("%(field)s: %(message)s") % {"field": form.fields[field].label, "message": message}
    return message


def _invalid(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, _field_message(form, field, message))
    focus_first_error(form)


def _refused(request: HttpRequest, form: forms.Form, exc: ValidationError) -> None:
    problems = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, errors in problems.items():
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(target, message)
            messages.error(request, _field_message(form, target, message))
    focus_first_error(form)


def _year(request: HttpRequest) -> int:
    current = timezone.localdate().year
    asked = request.GET.get("year", "")
    if not asked:
        return current
    if asked.isdigit() and 2000 <= int(asked) <= current + 1:
        return int(asked)
    messages.warning(
        request, _("“%(asked)s” is not a programme year: showing %(year)s.") % {"asked": asked[:20], "year": current}
    )
    return current


# --- the landing page ----------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A park secretary's landing page: calendar, next hosts, meetings not yet minuted, coverage."""
    today = timezone.localdate()
    alliances = list(selectors.alliances_for(request.user))
    next_hosts = selectors.next_hosts_for(alliances)
    for alliance in alliances:
        alliance.next_host = next_hosts.get(alliance.pk)  # type: ignore[attr-defined]
    coverage = selectors.coverage_rows(selectors.instructor_coverage(request.user, today=today), today=today)
    return render(
        request,
        "alliances/home.html",
        {
            "alliances": alliances,
            "calendar": selectors.calendar_for(request.user, start=today - CALENDAR_BACK, end=today + CALENDAR_AHEAD),
            "unminuted": list(selectors.meetings_for(request.user, unminuted=True)[:PAGE_SIZE]),
            "coverage": {
                "large": len(coverage),
                "covered": sum(r["has_instructor"] for r in coverage),
                "overdue": sum(r["overdue"] for r in coverage),
            },
            "today": today,
        },
    )


# --- an alliance ----------------------------------------------------------------------------------------


def _forms(alliance: Alliance, year: int, data: Any = None) -> dict[str, Any]:
    members = Organization.objects.filter(pk__in=alliance.memberships.current().values("branch_id")).order_by("name")
    candidates = (
        Organization.objects.filter(path__startswith=alliance.committee.path, unit__unit_type=UnitType.ENTERPRISE)
        .exclude(pk__in=alliance.memberships.current().values("branch_id"))
        .order_by("name")
    )
    proposed = selectors.rotation_of(alliance).next_host()
    this_year = alliance.joint_activities.filter(year=year).order_by("planned_on")
    return {
        "plan_form": ActivityPlanForm(data, branches=members),
        "held_form": ActivityHeldForm(
            data, branches=members, activities=this_year.filter(held_on__isnull=True), initial={"host": proposed}
        ),
        "booking_form": BookingForm(data, resources=alliance.resources.order_by("name"), activities=this_year),
        "lead_form": LeadForm(data, branches=members, initial={"branch": alliance.lead_branch_id}),
        "meeting_form": MeetingForm(data, branches=members, initial={"host": proposed}),
        "swap_form": SwapForm(data, branches=members),
        "member_form": MemberAddForm(data, branches=candidates),
        "own_form": OwnActivityForm(
            data, branches=members, activities=alliance.joint_activities.filter(year=year).order_by("planned_on")
        ),
    }


def _alliance_page(request: HttpRequest, alliance: Alliance, bound: dict[str, Any] | None = None) -> HttpResponse:
    year = _year(request)
    context = _forms(alliance, year)
    context.update(bound or {})
    meetings = selectors.meetings_for(request.user, alliance=alliance)
    context.update(
        {
            "alliance": alliance,
            "year": year,
            "members": list(selectors.current_members(alliance)),
            "past_members": list(selectors.past_members(alliance)),
            "upcoming": selectors.upcoming_hosts(alliance, 6),
            "page": page_of(request, meetings, PAGE_SIZE),
            "programme": list(selectors.joint_programme(alliance, year)),
            "outside_plan": list(selectors.own_activities_outside_plan(alliance, year)),
            "work": selectors.branch_work(alliance, year),
            "resources": list(selectors.resources_of(alliance)),
            "turns": list(selectors.host_history(alliance)[:PAGE_SIZE]),
        }
    )
    context["meetings"] = context["page"].object_list
    return render(request, "alliances/alliance_detail.html", context)


@login_required
def alliance_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _alliance_page(request, _alliance(request, code))


def _post_action(request: HttpRequest, code: str, key: str, section: str, act: Any) -> HttpResponse:
    """Validate the form ``key`` of the alliance page, call ``act(alliance, data)``, redirect to ``section``
    or re-show the page with the form refused. The form posts to its address with the form's anchor
    (``form-meeting`` for ``meeting_form``), so a refused form opens there; that address opened with GET
    goes to the alliance page at the same anchor."""
    alliance = _alliance(request, code)
    year = _year(request)  # the programme year the page was opened for (the form's address keeps it)
    if request.method == "GET":
        return redirect(_detail_url(alliance, _form_anchor(key), year))
    form = _forms(alliance, year, request.POST)[key]
    if form.is_valid():
        try:
            message = act(alliance, form.cleaned_data)
        except ValidationError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, message)
            return redirect(_detail_url(alliance, section, year))
    else:
        _invalid(request, form)
    return _alliance_page(request, alliance, {key: form})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_record(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        meeting = services.joint_meeting_record(alliance=alliance, **data)
        return _("Joint meeting of %(day)s hosted by %(host)s recorded.") % {
            "day": f"{meeting.held_on.year}年{meeting.held_on.month}月{meeting.held_on.day}日",
            "host": meeting.host.name,
        }

    return _post_action(request, code, "meeting_form", "meetings", act)


@login_required
@require_http_methods(["GET", "POST"])
def turns_swap(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        services.turns_swap(alliance=alliance, first=data["first"], second=data["second"])
        return _("%(a)s and %(b)s swapped turns.") % {"a": data["first"].name, "b": data["second"].name}

    return _post_action(request, code, "swap_form", "rotation", act)


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        services.membership_add(alliance=alliance, **data)
        return _("%(branch)s joined the alliance; it hosts at the end of the current round.") % {
            "branch": data["branch"].name
        }

    return _post_action(request, code, "member_form", "members", act)


@login_required
@require_http_methods(["GET", "POST"])
def own_activity_record(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        own = services.own_activity_record(alliance=alliance, **data)
        return _("Activity %(title)s of %(branch)s recorded.") % {"title": own.title, "branch": own.branch.name}

    return _post_action(request, code, "own_form", "programme", act)


@login_required
@require_http_methods(["GET", "POST"])
def activity_plan(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        activity = services.joint_activity_plan(alliance=alliance, year=data["planned_on"].year, **data)
        return _("Joint activity %(title)s planned.") % {"title": activity.title}

    return _post_action(request, code, "plan_form", "programme", act)


@login_required
@require_http_methods(["GET", "POST"])
def activity_held(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        activity = services.joint_activity_held(**data)
        return _("Joint activity %(title)s held, hosted by %(host)s.") % {
            "title": activity.title,
            "host": data["host"].name,
        }

    return _post_action(request, code, "held_form", "programme", act)


@login_required
@require_http_methods(["GET", "POST"])
def resource_book(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        booking = services.resource_book(**data)
        return _("%(resource)s booked.") % {"resource": booking.resource.name}

    return _post_action(request, code, "booking_form", "resources", act)


@login_required
@require_http_methods(["GET", "POST"])
def lead_set(request: HttpRequest, code: str) -> HttpResponse:
    def act(alliance: Alliance, data: dict[str, Any]) -> str:
        services.alliance_set_lead(alliance=alliance, branch=data["branch"])
        return _("%(branch)s is the lead branch.") % {"branch": data["branch"].name}

    return _post_action(request, code, "lead_form", "members", act)


@login_required
@require_http_methods(["GET", "POST"])
def member_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first, saying what leaving does; POST ends the membership today."""
    membership = get_object_or_404(
        AllianceMembership.objects.filter(alliance__in=selectors.alliances_for(request.user)).select_related(
            "alliance", "branch"
        ),
        pk=pk,
    )
    alliance = membership.alliance
    if membership.left_on is not None:
        messages.info(request, _("This branch has already left the alliance."))
        return redirect(_detail_url(alliance, "members"))
    names = {"branch": membership.branch.name, "alliance": alliance.name}
    if request.method == "GET":
        return render(
            request,
            "members/confirm.html",
            {
                "title": _("Remove %(branch)s from %(alliance)s?") % names,
                "consequence": _(
                    "From today %(branch)s is no longer a member: the hosting rotation moves on without it, "
                    "and its past turns, meetings and activities stay on record. It can join again later."
                )
                % names,
                "action": reverse("alliances:member-end", args=[membership.pk]),
                "submit": _("Remove the branch"),
                "back": _detail_url(alliance, "members"),
            },
        )
    try:
        services.membership_end(membership=membership, left_on=timezone.localdate())
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(branch)s left %(alliance)s.") % names)
    return redirect(_detail_url(alliance, "members"))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(selectors.meetings_for(request.user), pk=pk)
    form = MinutesForm(
        request.POST if request.method == "POST" else None,
        initial={"minutes": meeting.minutes, "decisions": meeting.decisions},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.joint_meeting_minute(meeting=meeting, **form.cleaned_data)
            except ValidationError as exc:
                _refused(request, form, exc)
            else:
                messages.success(request, _("Minutes of the meeting saved."))
                return redirect(_detail_url(meeting.alliance, "meetings"))
        else:
            _invalid(request, form)
    return render(request, "alliances/meeting_minutes.html", {"meeting": meeting, "form": form})


# --- instructors and enterprises -----------------------------------------------------------------------


@login_required
def instructor_list(request: HttpRequest) -> HttpResponse:
    return _instructor_page(request)


def _instructor_page(request: HttpRequest, refused: tuple[int, forms.Form] | None = None) -> HttpResponse:
    """Large-scale enterprises with their instructor and last visit; ``?overdue=1`` keeps the overdue.
    ``refused``: the assignment whose visit form was just refused, and that form, shown open."""
    today = timezone.localdate()
    only = request.GET.get("show", "")
    if only not in ("", "overdue", "uncovered"):
        messages.warning(request, _("“%(asked)s” is not a filter of this list: showing all.") % {"asked": only[:20]})
        only = ""
    rows = selectors.coverage_rows(selectors.instructor_coverage(request.user, today=today), today=today)
    if only == "overdue":
        rows = [r for r in rows if r["overdue"]]
    elif only == "uncovered":
        rows = [r for r in rows if not r["has_instructor"]]
    page = page_of(request, rows, PAGE_SIZE)
    return render(
        request,
        "alliances/instructor_list.html",
        {
            "page": page,
            "rows": page.object_list,
            "show": only,
            "form": VisitForm(),
            "today": today,
            # The list's own filter and page go with a visit form, so a refused one comes back to them.
            "query": request.GET.urlencode(),
            "refused_id": refused[0] if refused else None,
            "refused_form": refused[1] if refused else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_log(request: HttpRequest, pk: int) -> HttpResponse:
    """POST logs a visit; refused, the list opens again at that visit's form with what was typed. GET
    (the address reloaded) goes back to the list that holds the form."""
    assignment = get_object_or_404(selectors.assignments_for(request.user).current(), pk=pk)
    back = reverse("alliances:instructor-list")
    if request.method == "GET":
        return redirect(f"{back}?{request.GET.urlencode()}" if request.GET else back)
    form = VisitForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _instructor_page(request, (assignment.pk, form))
    try:
        services.instructor_visit_log(assignment=assignment, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, form, exc)
        return _instructor_page(request, (assignment.pk, form))
    messages.success(
        request,
        _("Visit of %(name)s to %(firm)s logged.")
        % {"name": assignment.display_name, "firm": assignment.enterprise.name},
    )
    return redirect(f"{back}?{request.GET.urlencode()}" if request.GET else back)


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    filters = {
        "": {},
        "large": {"large": True},
        "demonstration": {"demonstration": True},
        "unorganized": {"without_organization": True},
    }
    if show not in filters:
        messages.warning(request, _("“%(asked)s” is not a filter of this list: showing all.") % {"asked": show[:20]})
        show = ""
    page = page_of(request, selectors.enterprises_for(request.user, **filters[show]), PAGE_SIZE)
    return render(request, "alliances/enterprise_list.html", {"page": page, "profiles": page.object_list, "show": show})
