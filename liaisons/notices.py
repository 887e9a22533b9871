"""Notice rules of 单位联小区: problems past their due date, and problems solved but not yet confirmed.

Registered with yiling's notice registry; ``run_notices`` and the beat schedules run them. Each rule
reads what is due in a fixed number of queries, whatever the number of problems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import Role, RoleAssignment
from yiling.notices.models import NoticeKind
from yiling.notices.recipients import SECRETARIES, Directory
from yiling.notices.registry import Draft, notice_rule
from yiling.templatetags.portal import cn_date

from .models import OPEN_STATES, Demand, Liaison, State

#: A resolved problem the compound has not confirmed (or reopened) this many days later is reminded.
CONFIRM_WAIT_DAYS = 7


def _agency_contacts(as_of: date) -> dict[int, list[int]]:
    """Compound unit id → the active agency contacts of the agency paired with it on ``as_of`` (two queries)."""
    contacts: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in RoleAssignment.objects.filter(
        role=Role.AGENCY_CONTACT, unit__isnull=False, user__is_active=True
    ).values_list("unit_id", "user_id"):
        contacts[unit_id].append(user_id)
    return {
        compound_id: contacts.get(agency_id, [])
        for compound_id, agency_id in Liaison.objects.active_on(as_of).values_list("compound_id", "agency_id")
    }


def _overdue_period(demand: Demand) -> str:
    return f"{demand.due_on}:overdue"


def overdue_still_due(subject_key: str, period: str, today: date) -> bool:
    demand = Demand.objects.filter(pk=subject_key.removeprefix("demand:"), state__in=OPEN_STATES).first()
    if demand is None or demand.due_on is None:
        return False
    return demand.due_on < today and _overdue_period(demand) == period


@notice_rule(
    "liaisons.problems_overdue",
    kind=NoticeKind.PROBLEMS,
    label=gettext_lazy("Problems past their due date (agency contact and compound secretary)"),
    still_due=overdue_still_due,
)
def problems_overdue(as_of: date) -> Iterator[Draft]:
    """Once per problem and due date: a problem still open the day after it was due reaches the contact
    of the agency paired with the compound now, and the compound's secretary. A new due date is a new
    reminder; a problem resolved before the reminder goes out is not reminded."""
    directory = Directory()
    contacts = _agency_contacts(as_of)
    demands = (
        Demand.objects.filter(state__in=OPEN_STATES, due_on__lt=as_of)
        .select_related("compound")
        .order_by("due_on", "pk")
    )
    for demand in demands:
        compound = demand.compound
        secretaries = directory.at(compound.organization_id, SECRETARIES) if compound.organization_id else []
        yield Draft(
            subject_key=f"demand:{demand.pk}",
            period=_overdue_period(demand),
            title=_("Overdue problem at %(compound)s: %(title)s (due %(due)s, %(state)s)")
            % {
                "compound": compound.name,
                "title": demand.title,
                "due": cn_date(demand.due_on),
                "state": demand.get_state_display(),
            },
            body=demand.description[:500],
            url=demand.get_absolute_url(),
            recipients=sorted(set(secretaries) | set(contacts.get(compound.pk, ()))),
        )


def _confirm_period(demand: Demand) -> str:
    return f"{demand.resolved_on}:confirm"


def confirm_still_due(subject_key: str, period: str, today: date) -> bool:
    demand = Demand.objects.filter(pk=subject_key.removeprefix("demand:"), state=State.RESOLVED).first()
    return demand is not None and _confirm_period(demand) == period


@notice_rule(
    "liaisons.problems_to_confirm",
    kind=NoticeKind.PROBLEMS,
    label=gettext_lazy("Problems resolved a week ago and not yet confirmed"),
    still_due=confirm_still_due,
)
def problems_to_confirm(as_of: date) -> Iterator[Draft]:
    """Once per resolution: the compound's secretary hears of a problem the agency marked resolved a week
    ago that nobody has confirmed or reopened. Resolved again after a reopening is a new reminder."""
    directory = Directory()
    demands = (
        Demand.objects.filter(state=State.RESOLVED, resolved_on__lte=as_of - timedelta(days=CONFIRM_WAIT_DAYS))
        .select_related("compound")
        .order_by("resolved_on", "pk")
    )
    for demand in demands:
        compound = demand.compound
        if not compound.organization_id:
            continue
        yield Draft(
            subject_key=f"demand:{demand.pk}",
            period=_confirm_period(demand),
            title=_("%(compound)s: \u201c%(title)s\u201d was marked resolved on %(date)s; confirm it or reopen it")
            % {"compound": compound.name, "title": demand.title, "date": cn_date(demand.resolved_on)},
            url=demand.get_absolute_url(),
            recipients=directory.at(compound.organization_id, SECRETARIES),
        )
