"""What waits for a secretary in the party-building alliances: joint meetings without minutes.

One query, grouped by alliance, limited to the meetings the user sees (the park's staff and those
above it: whoever sees a meeting may write its minutes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from organizations.models import ORGANIZATION_ROLES
from yiling.scoping import assignments_of
from yiling.todos import Entry, todo

from .models import JointMeeting

if TYPE_CHECKING:
    from yiling.scoping import UserLike

SHOWN = 20


@todo(
    "meetings_not_minuted",
    _("Joint meetings not minuted"),
    definition=_("Joint meetings of the alliances you lead that were held but have no minutes yet."),
    order=60,
)
def meetings_not_minuted(user: UserLike) -> list[Entry]:
    if not user.is_authenticated or not user.is_active:
        return []
    if not getattr(user, "is_superuser", False) and not any(
        a.role in ORGANIZATION_ROLES and a.organization_id for a in assignments_of(user)
    ):
        return []
    rows = (
        JointMeeting.objects.visible_to(user)
        .unminuted()
        .order_by()
        .values("alliance__code", "alliance__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "alliance__code")
    )
    return [
        Entry(
            where=r["alliance__name"],
            count=r["n"],
            url=reverse("alliances:alliance-detail", kwargs={"code": r["alliance__code"]}) + "#meetings",
        )
        for r in rows[:SHOWN]
    ]
