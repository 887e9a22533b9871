"""The public pages: no login, large type, Chinese, and nothing personal beyond the member's name and branch."""

from __future__ import annotations

import io

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yiling.paging import search_of

from . import selectors, services
from .forms import FeedbackForm, ReceiptForm
from .models import Feedback, Merchant


def _board_or_404(code: str) -> dict:
    data = selectors.board_data(code)
    if data is None:
        raise Http404
    return data


def _board_page(request: HttpRequest, data: dict, form: FeedbackForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "merchants/board.html",
        {
            "board": data,
            "form": form,
            "receipt_form": ReceiptForm(),
            "taking_feedback": data["status"] == Merchant.Status.DISPLAYING,
        },
        status=status,
    )


@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """The pledge board of one shop (党员承诺公示牌), as the QR code on its counter opens it."""
    return _board_page(request, _board_or_404(code), FeedbackForm())


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@never_cache
@require_http_methods(["GET", "POST"])
def feedback_submit(request: HttpRequest, code: str) -> HttpResponse:
    """Take a customer's message. It waits for review; the customer gets a receipt number."""
    if request.method == "GET":
        return redirect("board:board", code=code)
    data = _board_or_404(code)
    merchant = selectors.merchant_by_board(code)
    if merchant is None:
        raise Http404
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _board_page(request, data, form, status=400)
    if data["status"] != Merchant.Status.DISPLAYING:
        form.add_error(None, _("This shop's plaque is not displayed at the moment, so it takes no messages."))
        return _board_page(request, data, form, status=400)
    if form.cleaned_data["website"]:
        # A bot filled in the hidden field: answer as if all went well, keep nothing.
        return render(request, "merchants/receipt.html", {"board": data, "feedback": None, "new": True})
    source = services.source_of(_client_address(request))
    refusal = services.feedback_refusal(merchant=merchant, source=source)
    if refusal:
        return render(request, "merchants/board_refused.html", {"board": data, "reason": refusal}, status=429)
    feedback = services.feedback_submit(
        merchant=merchant,
        kind=form.cleaned_data["kind"],
        text=form.cleaned_data["text"],
        contact_phone=form.cleaned_data["contact_phone"],
        source=source,
    )
    return redirect(f"{reverse('board:receipt', kwargs={'code': code})}?no={feedback.receipt}&new=1")


@never_cache
@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    """Where a message stands, by its receipt number: awaiting review, published, and a complaint's result."""
    data = _board_or_404(code)
    form = ReceiptForm(request.GET or None)
    feedback: Feedback | None = None
    if form.is_valid():
        feedback = selectors.receipt_lookup(board_code=code, receipt=form.cleaned_data["no"])
        if feedback is None:
            form.add_error("no", _("No message with this receipt number was sent to this shop."))
    return render(
        request,
        "merchants/receipt.html",
        {"board": data, "feedback": feedback, "form": form, "new": request.GET.get("new") == "1"},
    )


def board_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("board:board", kwargs={"code": code}))


@require_GET
def qr_svg(request: HttpRequest, code: str) -> HttpResponse:
    """The QR code of the board's absolute address."""
    _board_or_404(code)
    out = io.BytesIO()
    segno.make(board_url(request, code), error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def plaque(request: HttpRequest, code: str) -> HttpResponse:
    """The A5 counter plaque to print, with the QR code."""
    data = _board_or_404(code)
    return render(request, "merchants/plaque.html", {"board": data, "url": board_url(request, code)})


@require_GET
def board_list(request: HttpRequest) -> HttpResponse:
    """Displaying merchants by business district, searchable by shop name."""
    search = search_of(request)
    return render(
        request,
        "merchants/board_list.html",
        {"districts": selectors.public_districts(search=search), "search": search},
        status=200,
    )
