"""The notice inbox on the work page: unread notices, read from the user's own counter (no query)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiling.todos import Entry, todo

if TYPE_CHECKING:
    from yiling.scoping import UserLike


@todo(
    "unread_notices",
    _("Unread notices"),
    definition=_("Reminders, bulletins and work notices in your inbox that you have not opened yet."),
    order=90,
)
def unread_notices(user: UserLike) -> list[Entry]:
    if not user.is_authenticated or not user.is_active:
        return []
    unread = getattr(user, "unread_notices", 0)
    if not unread:
        return []
    return [Entry(where=gettext("Notices"), count=unread, url=reverse("notices:inbox") + "?unread=1")]
