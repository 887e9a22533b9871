from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Member merchants")

    def ready(self) -> None:
        from . import board_cache

        board_cache.connect()
