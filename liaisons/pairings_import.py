"""The agency–compound pairings (单位联小区) as a spreadsheet: import and export.

One row per pairing: the agency and the compound (by code, or by name), the first day of the pairing,
the day it ended (empty while it lasts), the contact person on each side and a note. A pairing is
known by its agency, compound and start: a row naming one that exists updates its contacts and note,
and ends it when the end is newly given; any other row starts a pairing. Every write goes through the
services (so the rule that pairings of one agency or compound never overlap is part of the check), in
one transaction rolled back on any problem, on a dry run and for a preview. The export writes the same
columns, so an exported file imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from organizations.models import Unit, UnitType
from yiling.scoping import visible
from yiling.spreadsheets import (
    BAD,
    KEEP,
    FileProblem,
    ImportResult,
    PreviewRow,
    Row,
    SheetImport,
    ambiguous,
    cell_text,
    header_key,
    parse_date,
    plain_text,
    too_long,
    write_table,
)

from . import services
from .models import Liaison

(AGENCY, AGENCY_NAME, COMPOUND, COMPOUND_NAME, STARTED, ENDED, AGENCY_CONTACT, COMPOUND_CONTACT, NOTES) = range(9)

#: The headers, in the order the export writes them.
PAIRING_COLUMNS = [
    "单位编码",
    "单位名称",
    "小区编码",
    "小区名称",
    "联系开始日期",
    "联系结束日期",
    "单位联系人",
    "小区联系人",
    "备注",
]
HEADERS = dict(enumerate(PAIRING_COLUMNS))
_HEADER_ALIASES = {
    "区直单位": AGENCY_NAME,
    "单位": AGENCY_NAME,
    "联系单位": AGENCY_NAME,
    "单位代码": AGENCY,
    "小区": COMPOUND_NAME,
    "物业小区": COMPOUND_NAME,
    "小区代码": COMPOUND,
    "开始日期": STARTED,
    "联系日期": STARTED,
    "结束日期": ENDED,
    "单位联络人": AGENCY_CONTACT,
    "小区联络人": COMPOUND_CONTACT,
}
_HEADER_BY_KEY = {header_key(h): a for h, a in (*((h, a) for a, h in HEADERS.items()), *_HEADER_ALIASES.items())}
_SERVICE_COLUMNS = {
    "agency": AGENCY,
    "compound": COMPOUND,
    "started_on": STARTED,
    "ended_on": ENDED,
    "agency_contact": AGENCY_CONTACT,
    "compound_contact": COMPOUND_CONTACT,
    "notes": NOTES,
}


@dataclass(slots=True)
class PairingPreview(PreviewRow):
    agency: str
    compound: str
    started_on: str


class _Rollback(Exception):
    pass


class _Index:
    """Units found by code, or by name as written or folded."""

    def __init__(self, items: list[Unit]) -> None:
        self.by_code = {u.code: u for u in items}
        self.by_name: dict[str, list[Unit]] = {}
        for u in items:
            for key in dict.fromkeys((u.name, cell_text(u.name))):
                self.by_name.setdefault(key, []).append(u)

    def find(self, code: str, name: str) -> list[Unit]:
        if code:
            found = self.by_code.get(cell_text(code))
            return [found] if found else []
        return self.by_name.get(name) or self.by_name.get(cell_text(name), [])


class _PairingImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (STARTED,)
    required = (STARTED,)

    def __init__(self, *, user: Any) -> None:
        super().__init__(user=user)
        self.max_length = {
            AGENCY_CONTACT: Liaison._meta.get_field("agency_contact").max_length,
            COMPOUND_CONTACT: Liaison._meta.get_field("compound_contact").max_length,
            NOTES: Liaison._meta.get_field("notes").max_length,
        }

    def no_header_message(self) -> str:
        return _(
            "No header row found: one of the first %(n)d rows must hold the headers 单位编码 or 单位名称, "
            "小区编码 or 小区名称, and 联系开始日期."
        ) % {"n": self.header_scan_rows}

    def find_header(self, rows: Any) -> None:
        super().find_header(rows)
        for code, name in ((AGENCY, AGENCY_NAME), (COMPOUND, COMPOUND_NAME)):
            if code not in self.columns and name not in self.columns:
                raise FileProblem(
                    _("The header row needs the column %(code)s or %(name)s.")
                    % {"code": HEADERS[code], "name": HEADERS[name]}
                )

    def load_lookups(self) -> None:
        # Agencies are the district's list: any of them may be paired. Compounds only within reach:
        # one out of sight reads like one that does not exist.
        self.agencies = _Index(list(Unit.objects.filter(unit_type=UnitType.AGENCY).order_by()))
        compounds = Unit.objects.filter(unit_type=UnitType.COMPOUND).order_by()
        if self.scoped_user:
            compounds = compounds.filter(pk__in=visible(Unit, self.user).values("pk"))
        self.compounds = _Index(list(compounds))
        self.existing = {
            (p.agency_id, p.compound_id, p.started_on): p for p in Liaison.objects.select_related("agency", "compound")
        }

    def unit(self, row: Row, index: _Index, code_attr: int, name_attr: int, what: str) -> Unit | None:
        code = cell_text(self.cells_of[code_attr]) if code_attr in self.columns else ""
        name = plain_text(self.cells_of[name_attr]) if name_attr in self.columns else ""
        attr = code_attr if code or name_attr not in self.columns else name_attr
        if not code and not name:
            self.problem(row, attr, _("The %(what)s is required: give its code or name.") % {"what": what})
            return None
        found = index.find(code, name)
        if not found:
            self.problem(
                row, attr, _("No %(what)s with the code or name “%(value)s”.") % {"what": what, "value": code or name}
            )
            return None
        if len(found) > 1:
            self.problem(row, attr, ambiguous(name, [u.code for u in found]))
            return None
        return found[0]

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if not any(cell_text(c) for c in cells):
            return None
        self.cells_of = {attr: cell(attr) for attr in HEADERS}
        row = Row(line, dict.fromkeys(HEADERS, KEEP))
        values = row.values
        values[AGENCY] = self.unit(row, self.agencies, AGENCY, AGENCY_NAME, _("district agency"))
        values[COMPOUND] = self.unit(row, self.compounds, COMPOUND, COMPOUND_NAME, _("compound"))
        started = self.take(row, STARTED, parse_date, cell(STARTED))
        if started is None:
            self.problem(row, STARTED, _("The first day of the pairing is required."))
        if ENDED in self.columns:
            self.take(row, ENDED, parse_date, cell(ENDED))
        for attr in (AGENCY_CONTACT, COMPOUND_CONTACT, NOTES):
            if attr in self.columns:
                text = plain_text(cell(attr))
                if len(text) > self.max_length[attr]:
                    self.problem(row, attr, too_long(self.max_length[attr]))
                values[attr] = text
        return row

    def write(self, row: Row, result: ImportResult) -> None:
        values = row.values
        agency, compound, started = values[AGENCY], values[COMPOUND], values[STARTED]
        ended = values[ENDED] if values[ENDED] not in (KEEP, BAD) else None
        texts = {
            name: values[attr]
            for name, attr in (
                ("agency_contact", AGENCY_CONTACT),
                ("compound_contact", COMPOUND_CONTACT),
                ("notes", NOTES),
            )
            if values[attr] is not KEEP
        }
        existing = self.existing.get((agency.pk, compound.pk, started))
        changes: list[str] = []
        try:
            with transaction.atomic():
                if existing is None:
                    services.liaison_start(
                        agency=agency, compound=compound, started_on=started, ended_on=ended, **texts
                    )
                    action = "create"
                else:
                    differ = {k: v for k, v in texts.items() if getattr(existing, k) != v}
                    if differ:
                        services.liaison_update(liaison=existing, **differ)
                        changes += [self.column(_SERVICE_COLUMNS[k]) for k in differ]
                    if ended is not None and existing.ended_on != ended:
                        if existing.ended_on is not None:
                            raise ValidationError(
                                {"ended_on": _("This pairing already ended on %(day)s.") % {"day": existing.ended_on}}
                            )
                        services.liaison_end(liaison=existing, ended_on=ended)
                        changes.append(self.column(ENDED))
                    action = "update" if changes else "unchanged"
        except ValidationError as exc:
            self.service_problem(row, exc, _SERVICE_COLUMNS, STARTED)
            return
        counter = {"create": "created", "update": "updated", "unchanged": "unchanged"}[action]
        setattr(result, counter, getattr(result, counter) + 1)
        result.preview.append(
            PairingPreview(row.line, action, agency.name, compound.name, started.isoformat(), changes=changes)
        )

    def run(self, source: Any, filename: str, dry_run: bool) -> ImportResult:
        result = ImportResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        seen: dict[tuple[int, int, Any], int] = {}
        good = []
        for row in parsed:
            if row.bad:
                continue
            key = (row.values[AGENCY].pk, row.values[COMPOUND].pk, row.values[STARTED])
            earlier = seen.setdefault(key, row.line)
            if earlier != row.line:
                self.problem(row, STARTED, _("The same pairing is already on row %(row)d.") % {"row": earlier})
                continue
            good.append(row)
        try:
            with transaction.atomic():
                for row in good:
                    self.write(row, result)
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.finish(result)


def import_pairings(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check a pairing list and, when every row is good (and not ``dry_run``), write it in one transaction.

    ``user``, when given, may name only compounds in reach (any district agency); None is the command line.
    """
    return _PairingImport(user=user).run(source, filename, dry_run)


def export_pairings(queryset: QuerySet[Liaison], *, fmt: str) -> bytes:
    """The pairings of ``queryset`` in the import's columns ("xlsx" or "csv"), one query."""
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown pairing list format {fmt!r}")
    rows = (
        [
            p.agency.code,
            p.agency.name,
            p.compound.code,
            p.compound.name,
            p.started_on.isoformat(),
            p.ended_on.isoformat() if p.ended_on else "",
            p.agency_contact,
            p.compound_contact,
            p.notes,
        ]
        for p in queryset.select_related("agency", "compound").order_by("agency__code", "started_on")
    )
    return write_table(PAIRING_COLUMNS, rows, fmt=fmt, title="单位联小区")
