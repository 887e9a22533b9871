"""The branded admin site shared by every app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .scoping import is_scoped


class YilingAdminSite(admin.AdminSite):
    site_title = _("Yiling Party-Building Complex")
    site_header = _("Yiling District Urban Grassroots Party-Building Complex")
    index_title = _("District administration")
    site_url = "/"

    def get_urls(self) -> list[Any]:
        # "View on site" redirects to the object's page, whose address names codes and confirms the
        # object exists: only for an object the user may view here, 404 for anything else.
        urls = [u for u in super().get_urls() if getattr(u, "name", None) != "view_on_site"]
        return [
            path("r/<int:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site), name="view_on_site"),
            *urls,
        ]

    def view_on_site(self, request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            raise Http404 from None
        model_admin = self._registry.get(model) if model is not None else None
        if model_admin is None:
            raise Http404
        queryset = model_admin.get_queryset(request)
        if is_scoped(model):
            queryset = queryset.visible_to(request.user)
        try:
            obj = queryset.filter(pk=object_id).first()
        except (ValidationError, ValueError):
            obj = None
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404
        return shortcut(request, content_type_id, object_id)
