"""The merchant's own shop and the business-district secretary's desk, under /merchants/."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiling.paging import page_of

from . import selectors, services
from .forms import DeskFilterForm, PledgeForm, ReasonForm, ReplyForm, ResultForm
from .models import Merchant

SHOP_FEEDBACK_PER_PAGE = 10
DESK_PER_PAGE = 20


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = fallback
    return redirect(target)


def _desk_only(request: HttpRequest) -> None:
    if not selectors.may_use_desk(request.user):
        raise PermissionDenied


def _shop_url(merchant: Merchant) -> str:
    return reverse("merchants:shop", kwargs={"code": merchant.shop.code})


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """A merchant lands on their own shop; a secretary or staff member on the desk."""
    own = selectors.own_merchants(request.user)
    if len(own) == 1 and not selectors.may_use_desk(request.user):
        return redirect(_shop_url(own[0]))
    if not own and not selectors.may_use_desk(request.user):
        raise PermissionDenied
    return desk(request, own=own)


# --- the merchant's shop -------------------------------------------------------------------------------


@login_required
def shop(request: HttpRequest, code: str) -> HttpResponse:
    """Board preview, feedback and replies, pledge proposals, complaints due."""
    merchant = selectors.merchant_for_shop(user=request.user, code=code)
    own = selectors.is_own(request.user, merchant)
    if not own and not selectors.may_use_desk(request.user):
        raise PermissionDenied
    page = page_of(request, selectors.shop_feedback(merchant), SHOP_FEEDBACK_PER_PAGE)
    board = selectors.board_data(merchant.board_code)
    return render(
        request,
        "merchants/shop_detail.html",
        {
            "merchant": merchant,
            "board": board,
            "own": own,
            "page": page,
            "feedback": page.object_list,
            "complaints": list(selectors.shop_complaints_due(merchant)[:DESK_PER_PAGE]),
            "pledges": selectors.shop_pledges(merchant),
            "pledge_form": PledgeForm(initial={"text": "\n".join(board["pledges"]) if board else ""}),
            "reply_form": ReplyForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pledge_propose(request: HttpRequest, code: str) -> HttpResponse:
    merchant = selectors.merchant_for_shop(user=request.user, code=code)
    if not selectors.is_own(request.user, merchant):
        raise PermissionDenied
    if request.method == "GET":
        return redirect(f"{_shop_url(merchant)}#pledges")
    form = PledgeForm(request.POST)
    if form.is_valid():
        try:
            services.pledge_propose(merchant=merchant, text=form.cleaned_data["text"], by=request.user)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Your new pledges were sent to the business district's secretary."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(f"{_shop_url(merchant)}#pledges")


@login_required
@require_http_methods(["GET", "POST"])
def feedback_reply(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = selectors.desk_feedback_get(user=request.user, pk=pk)
    if not selectors.is_own(request.user, feedback.merchant):
        raise PermissionDenied
    fallback = f"{_shop_url(feedback.merchant)}#feedback-{feedback.pk}"
    if request.method == "GET":
        return redirect(fallback)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_reply(feedback=feedback, reply=form.cleaned_data["reply"], by=request.user)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Your reply was saved."))
    else:
        messages.error(request, _("Write a reply of at most 500 characters."))
    return _back(request, fallback)


# --- the desk --------------------------------------------------------------------------------------------


@login_required
def desk(request: HttpRequest, own: list[Merchant] | None = None) -> HttpResponse:
    """The merchants of the user's districts, with how much waits for them."""
    _desk_only(request)
    form = DeskFilterForm(request.GET or None)
    filters: dict[str, Any] = {"q": "", "status": ""}
    if form.is_bound:
        if form.is_valid():
            filters = {"q": form.cleaned_data["q"], "status": form.cleaned_data["status"]}
        else:
            messages.warning(request, _("The filter was not understood and has been ignored."))
    page = page_of(
        request, selectors.desk_merchants(request.user, search=filters["q"], status=filters["status"]), DESK_PER_PAGE
    )
    counts = {
        "moderation": selectors.moderation_queue(request.user).count(),
        "complaints": selectors.complaints_by_due(request.user).count(),
        "pledges": selectors.pledge_proposals(request.user).count(),
    }
    return render(
        request,
        "merchants/desk.html",
        {
            "page": page,
            "merchants": page.object_list,
            "filters": filters,
            "statuses": Merchant.Status.choices,
            "counts": counts,
            "own": own or [],
        },
    )


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    _desk_only(request)
    page = page_of(request, selectors.moderation_queue(request.user), DESK_PER_PAGE)
    return render(request, "merchants/moderation.html", {"page": page, "items": page.object_list})


@login_required
@require_http_methods(["GET", "POST"])
def feedback_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _desk_only(request)
    feedback = selectors.desk_feedback_get(user=request.user, pk=pk)
    if request.method == "GET":
        return redirect("merchants:moderation")
    services.feedback_publish(feedback=feedback, by=request.user)
    messages.success(request, _("Message %(receipt)s is now on the board.") % {"receipt": feedback.receipt})
    return _back(request, reverse("merchants:moderation"))


@login_required
@require_http_methods(["GET", "POST"])
def feedback_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a message off the board: asks first."""
    _desk_only(request)
    feedback = selectors.desk_feedback_get(user=request.user, pk=pk)
    if request.method == "POST":
        services.feedback_reject(feedback=feedback, by=request.user)
        messages.success(request, _("Message %(receipt)s will not be published.") % {"receipt": feedback.receipt})
        return _back(request, reverse("merchants:moderation"))
    return render(
        request,
        "members/confirm.html",
        {
            "title": _("Keep message %(receipt)s off the board?") % {"receipt": feedback.receipt},
            "consequence": _(
                "The message will not be shown on the board of %(shop)s. The customer sees “not published” "
                "under the receipt number. A complaint is still handled."
            )
            % {"shop": feedback.merchant.shop.name},
            "action": reverse("merchants:feedback-reject", args=[feedback.pk]),
            "submit": _("Do not publish"),
            "back": reverse("merchants:moderation"),
        },
    )


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    _desk_only(request)
    page = page_of(request, selectors.complaints_by_due(request.user), DESK_PER_PAGE)
    return render(request, "merchants/complaints.html", {"page": page, "items": page.object_list})


@login_required
@require_http_methods(["GET", "POST"])
def complaint_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a complaint with its result: GET asks for the result, POST closes."""
    _desk_only(request)
    feedback = selectors.desk_feedback_get(user=request.user, pk=pk)
    form = ResultForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.complaint_close(feedback=feedback, result=form.cleaned_data["result"], by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Complaint %(receipt)s closed.") % {"receipt": feedback.receipt})
            return redirect("merchants:complaints")
    return render(
        request,
        "members/confirm.html",
        {
            "title": _("Close complaint %(receipt)s?") % {"receipt": feedback.receipt},
            "consequence": _(
                "The customer reads the result under the receipt number on the board of %(shop)s. "
                "A closed complaint cannot be reopened here."
            )
            % {"shop": feedback.merchant.shop.name},
            "action": reverse("merchants:complaint-close", args=[feedback.pk]),
            "form": form if form.is_bound else ResultForm(),
            "submit": _("Close the complaint"),
            "back": reverse("merchants:complaints"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_take(request: HttpRequest, pk: int) -> HttpResponse:
    """The user becomes the complaint's handler (the due date stays)."""
    _desk_only(request)
    feedback = selectors.desk_feedback_get(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            services.complaint_assign(feedback=feedback, handler=request.user, by=request.user)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("You handle complaint %(receipt)s.") % {"receipt": feedback.receipt})
    return redirect(f"{reverse('merchants:complaints')}#complaint-{feedback.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def contact_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """The complainant's full phone, for the handler, after a tap; every showing is recorded."""
    _desk_only(request)
    feedback = selectors.desk_feedback_get(user=request.user, pk=pk)
    if request.method == "GET" or not feedback.contact_phone:
        return redirect("merchants:complaints")
    services.contact_phone_viewed(user=request.user, feedback=feedback)
    response = render(request, "merchants/contact_phone.html", {"feedback": feedback})
    add_never_cache_headers(response)
    return response


@login_required
def pledges(request: HttpRequest) -> HttpResponse:
    _desk_only(request)
    page = page_of(request, selectors.pledge_proposals(request.user), DESK_PER_PAGE)
    return render(request, "merchants/pledges.html", {"page": page, "items": page.object_list})


@login_required
@require_http_methods(["GET", "POST"])
def pledge_approve(request: HttpRequest, pk: int) -> HttpResponse:
    _desk_only(request)
    pledge = selectors.desk_pledge_get(user=request.user, pk=pk)
    if request.method == "GET":
        return redirect("merchants:pledges")
    try:
        services.pledge_approve(pledge=pledge, by=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("The new pledges of %(shop)s are on the board.") % {"shop": pledge.merchant.shop.name}
        )
    return redirect("merchants:pledges")


@login_required
@require_http_methods(["GET", "POST"])
def pledge_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a proposal with a reason: asks first."""
    _desk_only(request)
    pledge = selectors.desk_pledge_get(user=request.user, pk=pk)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.pledge_return(pledge=pledge, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("reason", message)
        else:
            messages.success(request, _("The proposal of %(shop)s was returned.") % {"shop": pledge.merchant.shop.name})
            return redirect("merchants:pledges")
    return render(
        request,
        "members/confirm.html",
        {
            "title": _("Return the pledges proposed by %(shop)s?") % {"shop": pledge.merchant.shop.name},
            "consequence": _(
                "The board keeps the current pledges. The merchant sees your reason and may propose again."
            ),
            "action": reverse("merchants:pledge-return", args=[pledge.pk]),
            "form": form if form.is_bound else ReasonForm(),
            "submit": _("Return the proposal"),
            "back": reverse("merchants:pledges"),
        },
    )


@login_required
def ratings(request: HttpRequest) -> HttpResponse:
    _desk_only(request)
    page = page_of(request, selectors.rating_cycles(request.user), DESK_PER_PAGE)
    return render(request, "merchants/ratings.html", {"page": page, "items": page.object_list})
