"""Notice rules of the party-building alliances: the quarter's joint meeting and its next host, meetings
without minutes, instructors whose visits are overdue.

Registered with yiling's notice registry; ``run_notices`` and the beat schedules run them. Each rule
reads what is due in a fixed number of queries, whatever the number of alliances or instructors.

"The alliance's secretaries" are the holders of an organization role at the alliance's leading
committee (the park's staff); an enterprise branch has no account of its own in the portal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import ORGANIZATION_ROLES, Organization
from yiling.notices.models import NoticeKind
from yiling.notices.recipients import STREET_STAFF, Directory
from yiling.notices.registry import Draft, notice_rule
from yiling.templatetags.portal import cn_date, cn_quarter

from .models import VISIT_OVERDUE_DAYS, Alliance, InstructorAssignment, InstructorVisit, JointMeeting
from .selectors import next_hosts_for

#: A meeting whose minutes are still empty this many days after it was held is reminded.
MINUTES_GRACE_DAYS = 7
#: The joint meeting of a quarter is reminded from this many days before the quarter ends.
MEETING_AHEAD_DAYS = 30

_ROLES = tuple(str(r) for r in ORGANIZATION_ROLES)


def quarter_of(day: date) -> tuple[date, date]:
    """The first and the last day of ``day``'s quarter."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    nxt = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, nxt - timedelta(days=1)


def quarter_label(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _secretaries(directory: Directory, alliance: Alliance) -> list[int]:
    return directory.at(alliance.committee_id, _ROLES)


def meeting_still_due(subject_key: str, period: str, today: date) -> bool:
    start, end = quarter_of(today)
    if quarter_label(today) != period:
        return False
    alliance_id = subject_key.removeprefix("alliance:")
    return (
        Alliance.objects.filter(pk=alliance_id).exists()
        and not JointMeeting.objects.filter(alliance_id=alliance_id, held_on__range=(start, end)).exists()
    )


@notice_rule(
    "alliances.joint_meeting_due",
    kind=NoticeKind.ALLIANCES,
    label=gettext_lazy("No joint meeting yet this quarter, with the next host (a month ahead)"),
    still_due=meeting_still_due,
)
def joint_meeting_due(as_of: date) -> Iterator[Draft]:
    """Once a quarter, a month before it ends: each alliance that has held no joint meeting in the
    quarter; its secretaries hear who hosts next in the rotation (and the host branch's own account,
    if it has one)."""
    start, end = quarter_of(as_of)
    if (end - as_of).days > MEETING_AHEAD_DAYS:
        return
    met = JointMeeting.objects.filter(held_on__range=(start, end)).values("alliance_id")
    alliances = list(Alliance.objects.exclude(pk__in=met).select_related("committee").order_by("code"))
    if not alliances:
        return
    directory = Directory()
    hosts = next_hosts_for(alliances)
    period = quarter_label(as_of)
    for alliance in alliances:
        host: Organization | None = hosts.get(alliance.pk)
        if host is None:
            body = _("The alliance has no member branch to host it.")
            people = set(_secretaries(directory, alliance))
        else:
            body = _("Next host in the rotation: %(host)s.") % {"host": host.name}
            people = set(_secretaries(directory, alliance)) | set(directory.at(host.pk, _ROLES))
        yield Draft(
            subject_key=f"alliance:{alliance.pk}",
            period=period,
            title=_("%(alliance)s has held no joint meeting in %(quarter)s (the quarter ends on %(end)s)")
            % {
                "alliance": alliance.name,
                "quarter": cn_quarter(as_of.year, (as_of.month - 1) // 3 + 1),
                "end": cn_date(end),
            },
            body=body,
            url=alliance.get_absolute_url(),
            recipients=sorted(people),
        )


def minutes_still_due(subject_key: str, period: str, today: date) -> bool:
    return JointMeeting.objects.filter(pk=subject_key.removeprefix("meeting:"), minutes="").exists()


@notice_rule(
    "alliances.meetings_not_minuted",
    kind=NoticeKind.ALLIANCES,
    label=gettext_lazy("Joint meetings without minutes a week later"),
    still_due=minutes_still_due,
)
def meetings_not_minuted(as_of: date) -> Iterator[Draft]:
    """Once per meeting held a week ago or more whose minutes are still empty."""
    meetings = (
        JointMeeting.objects.unminuted()
        .filter(held_on__lte=as_of - timedelta(days=MINUTES_GRACE_DAYS))
        .select_related("alliance", "host")
        .order_by("held_on", "pk")
    )
    directory: Directory | None = None
    for meeting in meetings:
        directory = directory or Directory()
        yield Draft(
            subject_key=f"meeting:{meeting.pk}",
            period="minutes",
            title=_("%(alliance)s: the joint meeting of %(date)s (%(topic)s) has no minutes")
            % {"alliance": meeting.alliance.name, "date": cn_date(meeting.held_on), "topic": meeting.topic},
            url=reverse("alliances:meeting-minutes", kwargs={"pk": meeting.pk}),
            recipients=sorted(
                set(_secretaries(directory, meeting.alliance)) | set(directory.at(meeting.host_id, _ROLES))
            ),
        )


def _visit_reference(assignment_id: int) -> date | None:
    assignment = InstructorAssignment.objects.filter(pk=assignment_id, ended_on__isnull=True).first()
    if assignment is None:
        return None
    last = assignment.visits.aggregate(last=Max("visited_on"))["last"]
    return last or assignment.started_on


def _visit_period(reference: date) -> str:
    return f"{reference}:overdue"


def visit_still_due(subject_key: str, period: str, today: date) -> bool:
    reference = _visit_reference(int(subject_key.removeprefix("instructor:")))
    return (
        reference is not None
        and reference < today - timedelta(days=VISIT_OVERDUE_DAYS)
        and _visit_period(reference) == period
    )


@notice_rule(
    "alliances.instructor_visits_overdue",
    kind=NoticeKind.ALLIANCES,
    label=gettext_lazy("Instructors with no visit in 90 days"),
    still_due=visit_still_due,
)
def instructor_visits_overdue(as_of: date) -> Iterator[Draft]:
    """Once per current instructor and last visit (or start, never visited) more than 90 days ago: the
    park's or street's staff above the enterprise hear of it; a new visit starts the count again."""
    since = as_of - timedelta(days=VISIT_OVERDUE_DAYS)
    last_visits = dict(
        InstructorVisit.objects.filter(assignment__ended_on__isnull=True)
        .order_by()
        .values("assignment_id")
        .annotate(last=Max("visited_on"))
        .values_list("assignment_id", "last")
    )
    assignments = (
        InstructorAssignment.objects.current()
        .select_related("enterprise__organization", "member")
        .order_by("enterprise__code", "pk")
    )
    directory: Directory | None = None
    for assignment in assignments:
        reference = last_visits.get(assignment.pk) or assignment.started_on
        if reference >= since:
            continue
        org = assignment.enterprise.organization
        if org is None:
            continue
        directory = directory or Directory()
        yield Draft(
            subject_key=f"instructor:{assignment.pk}",
            period=_visit_period(reference),
            title=_("%(enterprise)s: instructor %(name)s has not visited since %(date)s")
            % {"enterprise": assignment.enterprise.name, "name": assignment.display_name, "date": cn_date(reference)},
            url=reverse("alliances:visit-log", kwargs={"pk": assignment.pk}),
            recipients=directory.above(org.path, (STREET_STAFF,)),
        )
