"""The district dashboard and its drill-down, and their exports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from organizations import selectors as org_selectors
from organizations.models import ORGANIZATION_ROLES, Organization
from yiling.scoping import assignments_of
from yiling.spreadsheets import download, write_table

from .board import Board, board

EXPORT_FORMATS = ("xlsx",)


def _problems(request: HttpRequest, result: Board) -> list[str]:
    """What was wrong with the query string, in words (the page still shows)."""
    problems = []
    rank = request.GET.get("rank", "")
    if rank and rank not in {r.name for r in result.rank_choices}:
        problems.append(
            _("There is no figure “%(rank)s” to rank by; ranked by the first one instead.") % {"rank": rank[:50]}
        )
    export = request.GET.get("export", "")
    if export and (export != "figures" and result.table(export) is None):
        problems.append(_("There is no table “%(table)s” to download.") % {"table": export[:50]})
    fmt = request.GET.get("format", "")
    if export and fmt not in EXPORT_FORMATS:
        problems.append(_("Tables download as Excel (format=xlsx) only."))
    return problems


def _figures_file(result: Board) -> bytes:
    headers = [
        _("Group"),
        _("Figure"),
        _("Code"),
        _("Value"),
        _("As shown"),
        _("Numerator"),
        _("Denominator"),
        _("What it counts"),
    ]
    rows: list[list[Any]] = []
    for section in result.sections:
        for f in section.figures:
            value = f.value if not isinstance(f.value, dict) else f.text
            num, _num_label, den, _den_label = f.parts or ("", "", "", "")
            rows.append(
                [
                    str(section.title),
                    str(f.indicator.label),
                    f.name,
                    value,
                    f.text,
                    num,
                    den,
                    str(f.indicator.definition),
                ]
            )
    return write_table(headers, rows, fmt="xlsx", title=_("Figures"))


def _table_file(result: Board, key: str) -> bytes:
    table = result.table(key)
    assert table is not None
    headers = [_("Name"), _("Code"), *(str(ind.label) for ind in table.figures)]
    rows = [
        [r.organization.name, r.organization.code, *(r.values[ind.name] for ind in table.figures)] for r in table.rows
    ]
    return write_table(headers, rows, fmt="xlsx", title=str(table.title)[:31])


def _render(request: HttpRequest, scope: Organization | None, crumbs: list[tuple[str, str]]) -> HttpResponse:
    result = board(user=request.user, scope=scope, rank=request.GET.get("rank", ""))
    problems = _problems(request, result)
    export = request.GET.get("export", "")
    if export and not problems:
        content = _figures_file(result) if export == "figures" else _table_file(result, export)
        name = f"dashboard-{scope.code if scope else 'district'}-{export}"
        return download(content, fmt="xlsx", name=name)
    return render(
        request,
        "yiling/dashboard.html",
        {"board": result, "scope": scope, "crumbs": crumbs, "problems": problems},
    )


@login_required
@require_GET
def district(request: HttpRequest) -> HttpResponse:
    """The whole district, for district staff; anyone else starts at the top of their own reach."""
    if not org_selectors.is_district_wide(request.user):
        # The top of the organization-bound roles (a street before its communities); else whatever
        # organization the user may see (an agency contact's own branch).
        held = [
            a.organization for a in assignments_of(request.user) if a.role in ORGANIZATION_ROLES and a.organization_id
        ]
        top = min(held, key=lambda o: (o.depth, o.path)) if held else None
        if top is None:
            top = Organization.objects.visible_to(request.user).order_by("depth", "path").first()
        if top is None:
            return render(request, "yiling/dashboard_none.html")
        return redirect("dashboards:node", code=top.code)
    return _render(request, None, [])


@login_required
@require_GET
def node(request: HttpRequest, code: str) -> HttpResponse:
    """One node of the tree (street, community, compound) with the same figures for its subtree; 404
    for a node the user may not see, whether or not it exists."""
    scope = get_object_or_404(Organization.objects.visible_to(request.user).select_related("unit"), code=code)
    district_wide = org_selectors.is_district_wide(request.user)
    if scope.depth == 1 and district_wide:
        return redirect("dashboards:district")
    crumbs = []
    for depth, (name, ancestor) in enumerate(
        org_selectors.organization_breadcrumb(user=request.user, organization=scope)
    ):
        if depth == 0:
            url = reverse("dashboards:district") if district_wide else ""
        else:
            url = reverse("dashboards:node", kwargs={"code": ancestor}) if ancestor else ""
        crumbs.append((name, url))
    return _render(request, scope, crumbs)
