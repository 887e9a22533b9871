"""What waits for a user in 单位联小区: on the agency side the problems to accept and those to resolve,
on the compound side the problems the agency marked resolved, to confirm or reopen.

Each item is one query (the user's roles are cached), grouped by compound and state, with a link to
the problem list filtered on both; a user only counts what they may move (``services.MOVES``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from organizations.selectors import acting_reach
from yiling.todos import Entry, todo

from .models import Demand, Liaison, State
from .services import agency_ids_of

if TYPE_CHECKING:
    from yiling.scoping import UserLike

#: How many places an item lists; the total still counts them all.
SHOWN = 20


def _paired(user: UserLike):  # type: ignore[no-untyped-def]
    """The compounds the user's agencies are paired with today (a subquery), or None."""
    agencies = agency_ids_of(user)
    if not agencies:
        return None
    return Liaison.objects.active_on(timezone.localdate()).filter(agency_id__in=agencies).values("compound_id")


def _entries(rows) -> list[Entry]:  # type: ignore[no-untyped-def]
    grouped = (
        rows.order_by()
        .values("compound__code", "compound__name", "state")
        .annotate(n=Count("pk"))
        .order_by("-n", "compound__code", "state")
    )
    return [
        Entry(
            where=f"{r['compound__name']} · {State(r['state']).label}",
            count=r["n"],
            url=reverse("liaisons:demand-list")
            + "?"
            + urlencode({"compound": r["compound__code"], "state": r["state"]}),
        )
        for r in grouped[:SHOWN]
    ]


def _agency_side(user: UserLike, states: tuple[str, ...]) -> list[Entry]:
    paired = _paired(user)
    if paired is None:
        return []
    return _entries(Demand.objects.visible_to(user).filter(compound__in=paired, state__in=states))


@todo(
    "problems_to_accept",
    _("Problems to accept"),
    definition=_(
        "Problems raised (or reopened) by a compound your agency is paired with, waiting for you to accept them."
    ),
    order=50,
)
def problems_to_accept(user: UserLike) -> list[Entry]:
    return _agency_side(user, (State.RAISED, State.REOPENED))


@todo(
    "problems_to_resolve",
    _("Problems to resolve"),
    definition=_("Problems your agency has accepted or is working on, until you mark them resolved."),
    order=51,
)
def problems_to_resolve(user: UserLike) -> list[Entry]:
    return _agency_side(user, (State.ACCEPTED, State.IN_PROGRESS))


@todo(
    "problems_to_confirm",
    _("Resolved problems to confirm"),
    definition=_("Problems the paired agency marked resolved at a compound you lead: confirm them, or reopen them."),
    order=52,
)
def problems_to_confirm(user: UserLike) -> list[Entry]:
    reach = acting_reach(user, "compound")
    if reach is None:
        return []
    rows = Demand.objects.visible_to(user).filter(reach, state=State.RESOLVED)
    paired = _paired(user)
    if paired is not None:
        # An agency never confirms its own work, even when its contact also holds a secretary's role.
        rows = rows.exclude(Q(compound__in=paired))
    return _entries(rows)
