from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class YilingAdminConfig(AdminConfig):
    """The Django admin, with the portal's branded site as the default site."""

    default_site = "yiling.sites.YilingAdminSite"


class YilingConfig(AppConfig):
    name = "yiling"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from . import indicators, todos

        indicators.autodiscover()
        todos.autodiscover()
