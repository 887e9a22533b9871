"""Portal pages of the notices: the inbox, preferences, the progress roll-up and a task's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiling.paging import page_of
from yiling.uploads import attachment_response

from . import selectors, services
from .forms import PreferencesForm, ProgressReportForm
from .models import Programme

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread", "") == "1"
    if request.GET.get("unread", "") not in ("", "0", "1"):
        messages.warning(request, _("Unknown filter: showing all notices."))
    page = page_of(request, selectors.inbox(user=request.user, unread_only=unread_only), PAGE_SIZE)
    return render(
        request, "yiling/notice_list.html", {"page": page, "notices": page.object_list, "unread_only": unread_only}
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notice read and follow its link (a portal address only)."""
    notice = selectors.notice_get(user=request.user, pk=pk)
    services.notice_mark_read(notice=notice, user=request.user)
    target = notice.url
    if not target or not target.startswith("/") or target.startswith("//"):
        return redirect("notices:inbox")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notices:inbox")
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def mark_all_read(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        count = services.notices_mark_all_read(user=request.user)
        messages.success(request, _("%(count)s notices marked read.") % {"count": count})
    return redirect("notices:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = selectors.preferences_of(user=request.user)
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial_modes=current)
    if form.is_bound and form.is_valid():
        services.preferences_set(user=request.user, modes=form.cleaned_data)
        messages.success(request, _("Your choices are saved."))
        return redirect("notices:preferences")
    return render(request, "yiling/notice_preferences.html", {"form": form})


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """Tasks rolled up by street and community, with who is behind; ``?programme=`` narrows it."""
    programmes = list(selectors.programmes(user=request.user))
    chosen: Programme | None = None
    asked = request.GET.get("programme", "")
    if asked:
        chosen = next((p for p in programmes if str(p.pk) == asked), None)
        if chosen is None:
            messages.warning(request, _("There is no such programme: showing all."))
    today = timezone.localdate()
    streets = selectors.progress_rollup(user=request.user, as_of=today, programme=chosen)
    scope = request.GET.get("scope", "")[:32]
    if scope:
        narrowed = []
        for street in streets:
            if street.organization.code == scope:
                narrowed.append(street)
                continue
            inside = [c for c in street.communities if c.organization.code == scope]
            if inside:
                street.communities = inside
                narrowed.append(street)
        if narrowed:
            streets = narrowed
        else:
            messages.warning(request, _("No street or community of yours has that code: showing all."))
    return render(
        request,
        "yiling/progress.html",
        {"programmes": programmes, "chosen": chosen, "streets": streets, "today": today},
    )


def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect(f"{reverse('notices:progress')}?programme={pk}")


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    can_report = selectors.may_report(user=request.user, task=task)
    form = None
    if can_report:
        form = ProgressReportForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            initial={"percent": task.progress},
        )
    elif request.method == "POST":
        raise Http404
    if form is not None and form.is_bound:
        if form.is_valid():
            try:
                services.progress_report(
                    task=task,
                    percent=form.cleaned_data["percent"],
                    note=form.cleaned_data["note"],
                    evidence=form.cleaned_data["evidence"],
                    by=request.user,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Progress reported."))
                return redirect("notices:task-detail", pk=task.pk)
    return render(
        request,
        "yiling/task_detail.html",
        {"task": task, "reports": selectors.task_reports(task=task), "form": form, "today": timezone.localdate()},
    )


@login_required
def report_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The evidence of a progress report on a task the user may see; never served from /media/."""
    report = selectors.report_with_evidence(user=request.user, pk=pk)
    try:
        return attachment_response(report.evidence)
    except FileNotFoundError as exc:
        raise Http404 from exc
