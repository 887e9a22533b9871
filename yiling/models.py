"""The portal's user account."""

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who logs into the portal or the admin; what they reach comes from role assignments."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    #: The person's mobile number: personal data, masked for users without members.view_personal_data.
    #: Not the login name (which shows in headers, logs and histories): accounts are found by it in
    #: the account import, so it is unique when given.
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set when an account is created or its password reset: the next login must choose a new one."),
    )

    #: Unread notices, kept by the notice services in the same transaction as the notices: the header
    #: shows it on every page without a query of its own.
    unread_notices = models.PositiveIntegerField(_("unread notices"), default=0, editable=False)

    # The hash never goes into the history; logins (last_login) are no change worth a history row,
    # nor is a notice arriving or being read.
    history = HistoricalRecords(excluded_fields=["password", "last_login", "unread_notices"])

    personal_fields = ("phone",)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=~Q(phone=""),
                name="%(app_label)s_%(class)s_unique_phone",
                violation_error_message=_("Another account already has this mobile phone number."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not args and not self._state.adding and not kwargs.get("force_insert"):
            # A full save of a loaded account (a password change, the admin) never writes back the
            # unread count it read: notices may have arrived since.
            kwargs["update_fields"] = update_fields = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "unread_notices"
            ]
        if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
            # A login (last_login) or Django's rehash of a password on login: nothing the history keeps.
            self.skip_history_when_saving = True
            try:
                super().save(*args, **kwargs)
            finally:
                del self.skip_history_when_saving
            return
        super().save(*args, **kwargs)


# The notice models live in their own package; Django finds models through this module.
from .notices.models import (  # noqa: E402, F401
    Delivery,
    Notice,
    NoticePreference,
    Programme,
    ProgressReport,
    StreetWebhook,
    Task,
)
