"""Paging and searching of the portal's long lists, shared by the apps' pages: what a list cannot do
with its query string is said in a message, never dropped silently."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: The longest search a list takes (the search boxes say so with ``maxlength``).
MAX_SEARCH = 50
#: How a search form refuses an over-long search (``error_messages={"max_length": SEARCH_TOO_LONG}``).
SEARCH_TOO_LONG = gettext_lazy("A search is at most %(limit_value)s characters.")


def page_of(request: HttpRequest, items: Any, per_page: int) -> Page:
    """The page of ``items`` asked for in ``?page=``; the first (or, past the end, the last) with a
    message when what was asked is not one of the pages."""
    paginator = Paginator(items, per_page)
    asked = request.GET.get("page", "")
    try:
        return paginator.page(asked or 1)
    except (PageNotAnInteger, EmptyPage):
        page = paginator.page(paginator.num_pages if asked.isdigit() else 1)
        messages.warning(
            request,
            _("There is no page “%(asked)s”: showing page %(page)s of %(pages)s.")
            % {"asked": asked[:20], "page": page.number, "pages": paginator.num_pages},
        )
        return page


def search_of(request: HttpRequest, max_length: int = MAX_SEARCH) -> str:
    """The search typed in ``?q=``; an over-long one is refused with a message (nothing is searched)."""
    typed = request.GET.get("q", "").strip()
    if len(typed) > max_length:
        messages.warning(
            request, _("A search is at most %(n)s characters: shorten it and search again.") % {"n": max_length}
        )
        return ""
    return typed
