from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonsConfig(AppConfig):
    name = "liaisons"
    verbose_name = _("Agency liaisons")

    def ready(self) -> None:
        # The agency contact's reach: its own agency, and the compounds it is paired with.
        from .scoping import register

        register()
