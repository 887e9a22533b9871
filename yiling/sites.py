"""The branded admin site shared by every app."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class YilingAdminSite(admin.AdminSite):
    site_title = _("Yiling Party-Building Complex")
    site_header = _("Yiling District Urban Grassroots Party-Building Complex")
    index_title = _("District administration")
    site_url = "/"
