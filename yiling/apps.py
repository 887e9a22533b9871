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
        from django.db.models.signals import post_migrate

        from . import indicators, todos
        from .notices import registry

        indicators.autodiscover()
        registry.autodiscover()
        todos.autodiscover()
        # After the last app has migrated (django_celery_beat's tables exist by then).
        post_migrate.connect(_ensure_schedules, dispatch_uid="yiling.notices.schedules")


def _ensure_schedules(sender, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from django.apps import apps

    if sender.name != "django_celery_beat" or not apps.is_installed("django_celery_beat"):
        return
    from .notices import schedules

    schedules.ensure_schedules()
