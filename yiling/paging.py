"""Paging of the portal's long lists, shared by the apps' pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _


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
