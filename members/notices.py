"""Notice rules of the roster: report-ins left waiting, floating members out of touch.

Registered with yiling's notice registry; ``run_notices`` and the beat schedules run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiling.notices.models import NoticeKind
from yiling.notices.recipients import SECRETARIES, Directory
from yiling.notices.registry import Draft, notice_rule
from yiling.templatetags.portal import cn_date

from .models import CheckIn, FloatingRecord

CHECKIN_WAIT_DAYS = 7
FLOATING_OUT_OF_TOUCH_DAYS = 365


def checkin_still_due(subject_key: str, period: str, today: date) -> bool:
    return CheckIn.objects.filter(pk=subject_key.removeprefix("checkin:"), status=CheckIn.Status.PENDING).exists()


@notice_rule(
    "members.checkins_waiting",
    kind=NoticeKind.MEMBERS,
    label=gettext_lazy("Report-ins waiting more than 7 days"),
    still_due=checkin_still_due,
)
def checkins_waiting(as_of: date) -> Iterator[Draft]:
    """Once per report-in still awaiting confirmation a week after it was submitted."""
    directory = Directory()
    cutoff = as_of - timedelta(days=CHECKIN_WAIT_DAYS)
    waiting = (
        CheckIn.objects.filter(status=CheckIn.Status.PENDING, submitted_at__date__lte=cutoff)
        .select_related("member", "unit")
        .order_by("pk")
    )
    for checkin in waiting:
        yield Draft(
            subject_key=f"checkin:{checkin.pk}",
            period="waiting",
            title=_("%(member)s reported in to %(unit)s on %(date)s and is still waiting for confirmation")
            % {
                "member": checkin.member.name,
                "unit": checkin.unit.name,
                "date": cn_date(timezone.localdate(checkin.submitted_at)),
            },
            url=reverse("members:unit-detail", kwargs={"code": checkin.unit.code}),
            recipients=directory.at(checkin.unit.organization_id, SECRETARIES),
        )


def floating_still_due(subject_key: str, period: str, today: date) -> bool:
    return FloatingRecord.objects.filter(pk=subject_key.removeprefix("floating:"), ended_on__isnull=True).exists()


@notice_rule(
    "members.floating_out_of_touch",
    kind=NoticeKind.MEMBERS,
    label=gettext_lazy("Floating members with no contact in a year"),
    schedule="0 8 1 * *",
    still_due=floating_still_due,
)
def floating_out_of_touch(as_of: date) -> Iterator[Draft]:
    """Yearly, per open floating record whose last recorded change is more than a year old.

    The roster keeps no separate contact log: a record updated (place, reason, local unit) counts
    as contact, so the date is the later of its start and its last change in the history.
    """
    directory = Directory()
    cutoff = as_of - timedelta(days=FLOATING_OUT_OF_TOUCH_DAYS)
    touched = FloatingRecord.history.filter(history_type="~", history_date__date__gt=cutoff).values("id")
    records = (
        FloatingRecord.objects.filter(ended_on__isnull=True, started_on__lte=cutoff)
        .exclude(pk__in=touched)
        .select_related("member")
        .order_by("pk")
    )
    for record in records:
        member = record.member
        if not member.home_organization_id:
            continue
        yield Draft(
            subject_key=f"floating:{record.pk}",
            period=str(as_of.year),
            title=_("%(member)s (floating, %(place)s since %(date)s) has had no contact recorded for a year")
            % {"member": member.name, "place": record.place, "date": cn_date(record.started_on)},
            url=reverse("members:member-detail", kwargs={"pk": member.pk}),
            recipients=directory.at(member.home_organization_id, SECRETARIES),
        )
