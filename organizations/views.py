"""Portal pages of the organization tree: each user sees their own part of it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    organizations = selectors.organization_list(user=request.user, search=search)
    base_depth = min((org.depth for org in organizations), default=1)
    for org in organizations:
        # Indent from the top of the user's own part of the tree, not from the district.
        org.indent = 0 if search else org.depth - base_depth
    return render(
        request,
        "organizations/organization_list.html",
        {"organizations": organizations, "search": search},
    )


@login_required
def organization_detail(request: HttpRequest, code: str) -> HttpResponse:
    organization = selectors.organization_get(user=request.user, code=code)
    children = selectors.organization_children(user=request.user, organization=organization)
    units = list(selectors.unit_list(user=request.user, scope=organization))
    return render(
        request,
        "organizations/organization_detail.html",
        {"organization": organization, "children": children, "units": units},
    )
