"""The alliances' member branches as a spreadsheet: import and export (the admin of alliance members).

One row per membership: the alliance's code, the branch's code (its name beside it, which the import
passes over), the day it joined and, once it left, the day it left. A row for a branch that is not a
current member adds it (it hosts at the end of the current round); a leaving date ends its membership
(the rotation moves on without it). The same checks and all-or-nothing writing as every import
(``yiling.spreadsheets``); an export imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from organizations.models import Organization
from yiling.spreadsheets import (
    BAD,
    KEEP,
    ImportResult,
    PreviewRow,
    Row,
    SheetImport,
    cell_text,
    header_key,
    parse_date,
    write_table,
)

from . import services
from .models import Alliance, AllianceMembership

ALLIANCE, BRANCH, BRANCH_NAME, JOINED, LEFT = range(5)
MEMBER_COLUMNS = ["联盟编码", "支部编码", "支部名称", "加入日期", "退出日期"]
HEADERS = dict(enumerate(MEMBER_COLUMNS))
_ALIASES = {"联盟": ALLIANCE, "党组织编码": BRANCH, "成员支部编码": BRANCH, "加入时间": JOINED, "退出时间": LEFT}
_HEADER_BY_KEY = {header_key(h): a for h, a in (*((h, a) for a, h in HEADERS.items()), *_ALIASES.items())}
_FIELD_COLUMNS = {"branch": BRANCH, "joined_on": JOINED, "left_on": LEFT, "alliance": ALLIANCE}


@dataclass(slots=True)
class MembershipPreview(PreviewRow):
    alliance: str
    branch: str


class _Rollback(Exception):
    pass


class _MembershipImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (ALLIANCE, BRANCH)
    required = (ALLIANCE, BRANCH, JOINED)

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 联盟编码 and 支部编码.") % {
            "n": self.header_scan_rows
        }

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        row = Row(line, dict.fromkeys(HEADERS, KEEP))
        for attr in (ALLIANCE, BRANCH):
            if not self.take(row, attr, cell_text, cell(attr)):
                self.problem(row, attr, _("Required."))
        joined = self.take(row, JOINED, parse_date, cell(JOINED))
        if joined is None:
            self.problem(row, JOINED, _("Required."))
        if LEFT in self.columns:
            self.take(row, LEFT, parse_date, cell(LEFT))
        return row

    def load_lookups(self) -> None:
        alliances = Alliance.objects.select_related("committee")
        orgs = Organization.objects.select_related("unit")
        if self.scoped_user:
            # One out of the user's sight reads like one that does not exist.
            alliances, orgs = alliances.visible_to(self.user), orgs.visible_to(self.user)
        self.alliances = {a.code: a for a in alliances}
        self.orgs = {o.code: o for o in orgs}
        self.memberships: dict[tuple[int, int], list[AllianceMembership]] = {}
        for m in AllianceMembership.objects.filter(alliance__in=list(self.alliances.values())).order_by("joined_on"):
            self.memberships.setdefault((m.alliance_id, m.branch_id), []).append(m)

    def write(self, row: Row) -> str | None:
        values = row.values
        alliance = self.alliances.get(values[ALLIANCE])
        branch = self.orgs.get(values[BRANCH])
        if alliance is None:
            self.problem(row, ALLIANCE, _("No alliance with the code “%(value)s”.") % {"value": values[ALLIANCE]})
        if branch is None:
            self.problem(row, BRANCH, _("No party organization with the code “%(value)s”.") % {"value": values[BRANCH]})
        if row.bad or alliance is None or branch is None:
            return None
        joined, left = values[JOINED], None if values[LEFT] in (KEEP, None) else values[LEFT]
        if BAD in (joined, left):
            return None
        held = self.memberships.get((alliance.pk, branch.pk), [])
        same = next((m for m in held if m.joined_on == joined), None)
        try:
            with transaction.atomic():
                if same is None:
                    same = services.membership_add(alliance=alliance, branch=branch, joined_on=joined)
                    action = "create"
                elif same.left_on == left:
                    return "unchanged"
                else:
                    action = "update"
                if left is not None and same.left_on is None:
                    services.membership_end(membership=same, left_on=left)
                elif left != same.left_on:
                    self.problem(row, LEFT, _("A membership that has ended is not reopened: add the branch again."))
                    return None
        except ValidationError as exc:
            self.service_problem(row, exc, _FIELD_COLUMNS, BRANCH)
            return None
        return action

    def run(self, source: Any, filename: str, dry_run: bool) -> ImportResult:
        result = ImportResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        try:
            with transaction.atomic():
                for row in parsed:
                    action = self.write(row)  # a row with a bad cell still has its codes checked
                    if action is None:
                        continue
                    counter = {"create": "created", "update": "updated"}.get(action, "unchanged")
                    setattr(result, counter, getattr(result, counter) + 1)
                    result.preview.append(MembershipPreview(row.line, action, row.values[ALLIANCE], row.values[BRANCH]))
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.finish(result)


def import_memberships(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check a list of alliance members and, when every row is good (and not ``dry_run``), write it."""
    return _MembershipImport(user=user).run(source, filename, dry_run)


def export_memberships(queryset: QuerySet[AllianceMembership], *, fmt: str) -> bytes:
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown member list format {fmt!r}")
    rows = (
        [
            m.alliance.code,
            m.branch.code,
            m.branch.name,
            m.joined_on.isoformat(),
            m.left_on.isoformat() if m.left_on else "",
        ]
        for m in queryset.select_related("alliance", "branch").order_by("alliance__code", "joined_on", "turn")
    )
    return write_table(MEMBER_COLUMNS, rows, fmt=fmt, title="党建联盟成员")
