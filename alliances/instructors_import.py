"""The instructors sent to enterprises as a spreadsheet: import and export (the admin of instructor
assignments).

One row per assignment: the enterprise's code (its name beside it, passed over by the import), the
instructor's name, whether he or she is a party member of the district, the day sent and, once over,
the day it ended. A party member is found by name among the members the user may see, so no ID number
travels in the file; when the name is not one member's, the admin's form (which searches the roster) is
the way. The same checks and all-or-nothing writing as every import; an export imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from members import selectors as member_selectors
from organizations.models import Unit, UnitType
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
    plain_text,
    write_table,
)

from . import services
from .enterprises_import import _yes_no
from .models import InstructorAssignment

ENTERPRISE, ENTERPRISE_NAME, NAME, IS_MEMBER, STARTED, ENDED = range(6)
INSTRUCTOR_COLUMNS = ["企业编码", "企业名称", "指导员姓名", "是否本区党员", "派驻日期", "结束日期"]
HEADERS = dict(enumerate(INSTRUCTOR_COLUMNS))
_ALIASES = {"指导员": NAME, "党建指导员": NAME, "是否党员": IS_MEMBER, "派驻时间": STARTED, "结束时间": ENDED}
_HEADER_BY_KEY = {header_key(h): a for h, a in (*((h, a) for a, h in HEADERS.items()), *_ALIASES.items())}
_FIELD_COLUMNS = {"enterprise": ENTERPRISE, "member": NAME, "instructor_name": NAME, "started_on": STARTED}


@dataclass(slots=True)
class InstructorPreview(PreviewRow):
    enterprise: str
    instructor: str


class _Rollback(Exception):
    pass


class _InstructorImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (ENTERPRISE, NAME)
    required = (ENTERPRISE, NAME, STARTED)

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 企业编码 and 指导员姓名.") % {
            "n": self.header_scan_rows
        }

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        row = Row(line, dict.fromkeys(HEADERS, KEEP))
        if not self.take(row, ENTERPRISE, cell_text, cell(ENTERPRISE)):
            self.problem(row, ENTERPRISE, _("Required."))
        name = self.take(row, NAME, plain_text, cell(NAME))
        if not name:
            self.problem(row, NAME, _("Required."))
        elif len(name) > 50:
            self.problem(row, NAME, _("At most %(n)d characters.") % {"n": 50})
        if IS_MEMBER in self.columns:
            self.take(row, IS_MEMBER, _yes_no, cell(IS_MEMBER))
        if self.take(row, STARTED, parse_date, cell(STARTED)) is None:
            self.problem(row, STARTED, _("Required."))
        if ENDED in self.columns:
            self.take(row, ENDED, parse_date, cell(ENDED))
        return row

    def load_lookups(self) -> None:
        firms = Unit.objects.filter(unit_type=UnitType.ENTERPRISE)
        members = member_selectors.members_within(None)
        if self.scoped_user:
            # One out of the user's sight reads like one that does not exist.
            firms, members = firms.visible_to(self.user), members.visible_to(self.user)
        self.firms = {u.code: u for u in firms}
        self.members = members
        self.assignments: dict[int, list[InstructorAssignment]] = {}
        for a in InstructorAssignment.objects.filter(enterprise__in=list(self.firms.values())).select_related("member"):
            self.assignments.setdefault(a.enterprise_id, []).append(a)

    def member_named(self, row: Row, name: str) -> Any:
        found = list(self.members.filter(name=name)[:2])
        if len(found) != 1:
            self.problem(
                row,
                NAME,
                _("“%(name)s” is not the name of exactly one party member you can see: assign in the form instead.")
                % {"name": name},
            )
            return BAD
        return found[0]

    def write(self, row: Row) -> str | None:
        values = row.values
        firm = self.firms.get(values[ENTERPRISE])
        if firm is None and values[ENTERPRISE]:
            self.problem(row, ENTERPRISE, _("No enterprise with the code “%(value)s”.") % {"value": values[ENTERPRISE]})
        if row.bad or firm is None:
            return None
        name, started = values[NAME], values[STARTED]
        ended = None if values[ENDED] in (KEEP, None) else values[ENDED]
        same = next(
            (a for a in self.assignments.get(firm.pk, []) if a.started_on == started and a.display_name == name), None
        )
        try:
            with transaction.atomic():
                if same is None:
                    member = self.member_named(row, name) if values[IS_MEMBER] is True else None
                    if member is BAD:
                        return None
                    same = services.instructor_assign(
                        enterprise=firm,
                        started_on=started,
                        member=member,
                        instructor_name="" if member is not None else name,
                    )
                    action = "create"
                elif same.ended_on == ended:
                    return "unchanged"
                else:
                    action = "update"
                if ended is not None and same.ended_on is None:
                    services.instructor_assignment_end(assignment=same, ended_on=ended)
                elif ended != same.ended_on:
                    self.problem(
                        row, ENDED, _("An assignment that has ended is not reopened: send the instructor again.")
                    )
                    return None
        except ValidationError as exc:
            self.service_problem(row, exc, _FIELD_COLUMNS, NAME)
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
                    action = self.write(row)
                    if action is None:
                        continue
                    counter = {"create": "created", "update": "updated"}.get(action, "unchanged")
                    setattr(result, counter, getattr(result, counter) + 1)
                    values = row.values
                    result.preview.append(InstructorPreview(row.line, action, values[ENTERPRISE], values[NAME]))
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.finish(result)


def import_instructors(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check a list of instructor assignments and, when every row is good (and not ``dry_run``), write it."""
    return _InstructorImport(user=user).run(source, filename, dry_run)


def export_instructors(queryset: QuerySet[InstructorAssignment], *, fmt: str) -> bytes:
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown instructor list format {fmt!r}")
    rows = (
        [
            a.enterprise.code,
            a.enterprise.name,
            a.display_name,
            "是" if a.member_id else "否",
            a.started_on.isoformat(),
            a.ended_on.isoformat() if a.ended_on else "",
        ]
        for a in queryset.select_related("enterprise", "member").order_by("enterprise__code", "started_on")
    )
    return write_table(INSTRUCTOR_COLUMNS, rows, fmt=fmt, title="党建指导员")
