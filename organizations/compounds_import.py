"""The compounds (物业小区) as the district keeps them in a spreadsheet: import and export.

One row per compound: its code, name and community, households and residents, address, property
company, the current owners' committee term and the term of the compound's own party branch. The
import reads the file as people fill it in (see ``yiling.spreadsheets``), checks every row, and
writes nothing unless the whole file is good. Every write goes through the services, so the
services' own rules are part of the check: the rows are written in a transaction that is rolled
back on any problem (and always on a dry run or a preview). The export writes the same columns, so
an exported file imports back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from os import PathLike
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from yiling.privacy import redact
from yiling.scoping import visible
from yiling.spreadsheets import (
    BAD,
    KEEP,
    ImportResult,
    Invalid,
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
from .models import OwnersCommittee, PropertyCompany, Unit, UnitType, validate_code

(CODE, NAME, COMMUNITY, HOUSEHOLDS, RESIDENTS, ADDRESS, COMPANY, COMMITTEE_ELECTED, COMMITTEE_ENDS, BRANCH_ELECTED,
 BRANCH_ENDS) = range(11)  # fmt: skip

#: The headers, in the order the export writes them.
COMPOUND_COLUMNS = [
    "小区编码",
    "小区名称",
    "所属社区",
    "户数",
    "人数",
    "地址",
    "物业公司",
    "业委会成立日期",
    "业委会届满日期",
    "支部换届日期",
    "支部届满日期",
]
HEADERS = dict(enumerate(COMPOUND_COLUMNS))
#: Other headers seen in the streets' lists.
_HEADER_ALIASES = {
    "小区代码": CODE,
    "小区": NAME,
    "小区名": NAME,
    "物业小区": NAME,
    "社区": COMMUNITY,
    "所在社区": COMMUNITY,
    "总户数": HOUSEHOLDS,
    "住户数": HOUSEHOLDS,
    "总人数": RESIDENTS,
    "居住人数": RESIDENTS,
    "人口数": RESIDENTS,
    "小区地址": ADDRESS,
    "物业服务企业": COMPANY,
    "物业企业": COMPANY,
    "业委会成立时间": COMMITTEE_ELECTED,
    "业委会届满时间": COMMITTEE_ENDS,
    "业委会任期届满日期": COMMITTEE_ENDS,
    "支部换届时间": BRANCH_ELECTED,
    "支部届满时间": BRANCH_ENDS,
    "支部任期届满日期": BRANCH_ENDS,
}
_HEADER_BY_KEY = {header_key(h): attr for h, attr in (*((h, a) for a, h in HEADERS.items()), *_HEADER_ALIASES.items())}
#: Columns a compound list cannot do without.
REQUIRED = (CODE, NAME, COMMUNITY)
#: The largest count a PositiveIntegerField holds on every database.
_MAX_COUNT = 2_147_483_647
_COUNT_RE = re.compile(r"(\d{1,3}(,\d{3})+|\d+)(户|人)?")


#: Which column a service's complaint about a field belongs to, per kind of write.
_UNIT_FIELD_COLUMNS = {
    "code": CODE,
    "name": NAME,
    "parent": COMMUNITY,
    "organization": COMMUNITY,
    "households": HOUSEHOLDS,
    "residents": RESIDENTS,
    "address": ADDRESS,
    "property_company": COMPANY,
}
_COMMITTEE_FIELD_COLUMNS = {"elected_on": COMMITTEE_ELECTED, "term_ends_on": COMMITTEE_ENDS}
_BRANCH_FIELD_COLUMNS = {"elected_on": BRANCH_ELECTED, "term_ends_on": BRANCH_ENDS}
#: Unit field → column, for the fields a row sets.
_UNIT_FIELDS = {
    NAME: "name",
    HOUSEHOLDS: "households",
    RESIDENTS: "residents",
    ADDRESS: "address",
    COMPANY: "property_company",
}


@dataclass(slots=True)
class CompoundPreview(PreviewRow):
    """A good row of the preview; its ``changes`` are the headers of the columns that change."""

    code: str
    name: str
    community: str


class _Rollback(Exception):
    """Raised inside a transaction so that everything written in it is undone."""


@dataclass
class _Plan:
    """The writes one good row makes."""

    row: Row
    existing: Unit | None
    community: Unit | None
    #: Unit fields to set (all of them for a new compound).
    unit_fields: dict[str, Any] = field(default_factory=dict)
    #: ("record", elected_on, term_ends_on) or ("update", committee, term_ends_on).
    committee: tuple[Any, ...] | None = None
    #: (organization, elected_on, term_ends_on) of the compound's own branch.
    branch: tuple[Any, ...] | None = None
    changes: list[str] = field(default_factory=list)


def _count(value: Any) -> int | None:
    """户数 and 人数: a whole number of 0 or more, also written "2,717" or "2717户"; None when empty."""
    if isinstance(value, bool):
        raise Invalid(_count_message(str(value)))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = cell_text(value)
        if not text:
            return None
        match = _COUNT_RE.fullmatch(text.replace(" ", ""))
        if not match:
            raise Invalid(_count_message(text))
        number = int(match[1].replace(",", ""))
    if not 0 <= number <= _MAX_COUNT:
        raise Invalid(_count_message(str(value)))
    return number


def _count_message(text: str) -> str:
    return _("“%(value)s” is not a whole number of 0 or more.") % {"value": redact(text)}


def code_taken_message(code: str) -> str:
    """For a code held by a unit out of the user's sight: the same words whichever unit holds it."""
    return _("The code %(code)s is already in use: choose another code for a new compound.") % {"code": code}


def _same(unit: Unit, name: str, value: Any) -> bool:
    """Whether the unit already has ``value`` in field ``name`` (foreign keys compared by id, no query)."""
    if name in ("parent", "organization", "property_company"):
        return getattr(unit, f"{name}_id") == (value.pk if value is not None else None)
    return getattr(unit, name) == value


def _own_branch(unit: Unit) -> Any:
    """The compound's own party branch (the organization covering it and sitting in it), or None."""
    return unit.organization if unit.organization.unit_id == unit.pk else None


class _Index:
    """Units or companies found by code, or by name as written or with full-width letters and
    punctuation folded (people type "（" and "(" alike)."""

    def __init__(self, items: list[Any]) -> None:
        self.by_code = {item.code: item for item in items}
        self.by_name: dict[str, list[Any]] = {}
        for item in items:
            for key in dict.fromkeys((item.name, cell_text(item.name))):
                self.by_name.setdefault(key, []).append(item)

    def find(self, text: str) -> list[Any]:
        found = self.by_code.get(cell_text(text))
        if found is not None:
            return [found]
        return self.by_name.get(text) or self.by_name.get(cell_text(text), [])


class _CompoundImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (CODE, NAME)
    required = REQUIRED

    def __init__(self, *, user: Any) -> None:
        super().__init__(user=user)
        self.today = timezone.localdate()
        self.max_length = {
            attr: Unit._meta.get_field(name).max_length
            for attr, name in ((CODE, "code"), (NAME, "name"), (ADDRESS, "address"))
        }

    # problems

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 小区编码 and 小区名称.") % {
            "n": self.header_scan_rows
        }

    # one row, cell by cell

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        row = Row(line, dict.fromkeys(HEADERS, KEEP))
        values = row.values

        def read(attr: int, parse: Any) -> Any:
            return self.take(row, attr, parse, cell(attr)) if attr in self.columns else KEEP

        code = read(CODE, cell_text)
        if code == "":
            self.problem(row, CODE, _("The compound code is required, e.g. CP-013."))
            values[CODE] = BAD
        elif len(code) > self.max_length[CODE]:
            self.problem(row, CODE, too_long(self.max_length[CODE]))
            values[CODE] = BAD
        else:
            try:
                validate_code(code)
            except ValidationError as exc:
                self.problem(row, CODE, " ".join(exc.messages))
                values[CODE] = BAD
        name = read(NAME, plain_text)
        if name == "":
            self.problem(row, NAME, _("The compound's name is required."))
        elif len(name) > self.max_length[NAME]:
            self.problem(row, NAME, too_long(self.max_length[NAME]))
        read(COMMUNITY, plain_text)
        read(HOUSEHOLDS, _count)
        read(RESIDENTS, _count)
        address = read(ADDRESS, plain_text)
        if address is not KEEP and len(address) > self.max_length[ADDRESS]:
            self.problem(row, ADDRESS, too_long(self.max_length[ADDRESS]))
        company = read(COMPANY, plain_text)
        if company is not KEEP:
            values[COMPANY] = self.company(row, company) if company else None
        for attr in (COMMITTEE_ELECTED, COMMITTEE_ENDS, BRANCH_ELECTED, BRANCH_ENDS):
            read(attr, parse_date)
        return row

    def company(self, row: Row, text: str) -> Any:
        found = self.companies.find(text)
        if not found:
            self.problem(
                row,
                COMPANY,
                _("No property company with the code or name “%(value)s”: add the company first.") % {"value": text},
            )
            return BAD
        return found[0]  # company names are unique

    # lookups, a fixed number of queries for the whole file

    def load_lookups(self) -> None:
        # Only the companies the user sees: one out of sight reads like one that does not exist.
        companies = PropertyCompany.objects.order_by()
        if self.scoped_user:
            companies = companies.visible_to(self.user)
        self.companies = _Index(list(companies))

    def load_units(self, rows: list[Row]) -> None:
        codes = {r.values[CODE] for r in rows if isinstance(r.values[CODE], str)}
        self.units = {
            u.code: u for u in Unit.objects.filter(code__in=codes).select_related("organization", "parent").order_by()
        }
        communities = list(Unit.objects.filter(unit_type=UnitType.COMMUNITY).select_related("organization").order_by())
        self.communities = _Index(communities)
        compound_ids = [u.pk for u in self.units.values() if u.unit_type == UnitType.COMPOUND]
        self.current_committees = {
            c.compound_id: c for c in OwnersCommittee.objects.filter(compound_id__in=compound_ids, is_current=True)
        }
        self.visible_units: set[int] = set()
        if self.scoped_user:
            pks = [u.pk for u in self.units.values()] + [c.pk for c in communities]
            self.visible_units = set(visible(Unit, self.user).filter(pk__in=pks).values_list("pk", flat=True))

    def sees(self, unit: Unit) -> bool:
        return not self.scoped_user or unit.pk in self.visible_units

    # against the database

    def plan(self, row: Row, first_line: dict[str, int]) -> _Plan | None:
        values = row.values
        code = values[CODE]
        existing = None
        if isinstance(code, str):
            earlier = first_line.setdefault(code, row.line)
            if earlier != row.line:
                self.problem(row, CODE, _("The same code is already on row %(row)d.") % {"row": earlier})
            existing = self.units.get(code)
            if existing is not None and not self.sees(existing):
                # Codes are unique across every kind of unit, so a code in use cannot make a new
                # compound either; which unit holds it, and where, is not the importer's to learn.
                self.problem(row, CODE, code_taken_message(code))
                return None  # nothing more to say about a unit the user may not see
            if existing is not None and existing.unit_type != UnitType.COMPOUND:
                self.problem(
                    row,
                    CODE,
                    _("The code %(code)s belongs to %(unit)s, a %(type)s, not a compound.")
                    % {"code": code, "unit": existing.name, "type": existing.get_unit_type_display()},
                )
                existing = None
        community = self.resolve_community(row, existing)
        if row.bad:
            return None
        plan = _Plan(row=row, existing=existing, community=community)
        self.plan_unit(plan)
        self.plan_committee(plan)
        self.plan_branch(plan)
        return None if row.bad else plan

    def resolve_community(self, row: Row, existing: Unit | None) -> Unit | None:
        text = row.values[COMMUNITY]
        if not text:
            if existing is not None and existing.parent_id is None:
                return None  # a compound placed nowhere stays so; the export writes it so
            self.problem(row, COMMUNITY, _("The community is required: give its code or name."))
            return None
        current = existing.parent if existing is not None else None
        if current is not None and current in _Index([current]).find(text):
            return current  # where it already is: nothing to check
        # A community out of the user's sight is one that does not exist, also when its name is shared.
        candidates = [c for c in self.communities.find(text) if self.sees(c)]
        if not candidates:
            self.problem(row, COMMUNITY, _("No community with the code or name “%(value)s”.") % {"value": text})
            return None
        if len(candidates) > 1:
            self.problem(row, COMMUNITY, ambiguous(text, [c.code for c in candidates]))
            return None
        community = candidates[0]
        if existing is not None and _own_branch(existing) is not None:
            self.problem(
                row,
                COMMUNITY,
                _(
                    "%(compound)s has its own party branch: move the branch to the other community in the "
                    "organization tree instead."
                )
                % {"compound": existing.name},
            )
            return None
        return community

    def plan_unit(self, plan: _Plan) -> None:
        values, existing = plan.row.values, plan.existing
        wanted = {name: values[attr] for attr, name in _UNIT_FIELDS.items() if values[attr] is not KEEP}
        if existing is None:
            community = plan.community
            assert community is not None
            plan.unit_fields = {
                "code": values[CODE],
                "unit_type": UnitType.COMPOUND,
                "parent": community,
                "organization": community.organization,
                **wanted,
            }
            return
        if plan.community is not None and plan.community.pk != existing.parent_id:
            wanted["parent"] = plan.community
            wanted["organization"] = plan.community.organization
        changed = {name: value for name, value in wanted.items() if not _same(existing, name, value)}
        plan.unit_fields = changed
        columns = {"parent": COMMUNITY, **{name: attr for attr, name in _UNIT_FIELDS.items()}}
        plan.changes.extend(self.column(attr) for attr in sorted({columns[n] for n in changed if n in columns}))

    def both_dates(self, row: Row, elected_attr: int, ends_attr: int) -> tuple[date, date] | None:
        """A term's two dates; None when neither is given (or one could not be read)."""
        elected, ends = row.values[elected_attr], row.values[ends_attr]
        if BAD in (elected, ends):
            return None
        elected = None if elected is KEEP else elected
        ends = None if ends is KEEP else ends
        if elected is None and ends is None:
            return None
        if elected is None or ends is None:
            given, missing = (elected_attr, ends_attr) if ends is None else (ends_attr, elected_attr)
            self.problem(row, missing, _("Required when %(column)s is given.") % {"column": self.column(given)})
            return None
        if ends <= elected:
            self.problem(row, ends_attr, _("A term must end after the election."))
            return None
        return elected, ends

    def plan_committee(self, plan: _Plan) -> None:
        row = plan.row
        dates = self.both_dates(row, COMMITTEE_ELECTED, COMMITTEE_ENDS)
        if dates is None:
            return  # blank dates leave the current term as it is
        elected, ends = dates
        current = self.current_committees.get(plan.existing.pk) if plan.existing is not None else None
        if current is not None and elected == current.elected_on:
            if ends != current.term_ends_on:
                plan.committee = ("update", current, ends)
                plan.changes.append(self.column(COMMITTEE_ENDS))
            return
        if current is not None and elected < current.elected_on:
            self.problem(
                row,
                COMMITTEE_ELECTED,
                _("The new term must be elected after the current one (elected on %(day)s).")
                % {"day": current.elected_on.isoformat()},
            )
            return
        if elected > self.today:
            self.problem(row, COMMITTEE_ELECTED, _("The date cannot be in the future."))
            return
        plan.committee = ("record", elected, ends)
        plan.changes.extend([self.column(COMMITTEE_ELECTED), self.column(COMMITTEE_ENDS)])

    def plan_branch(self, plan: _Plan) -> None:
        row, existing = plan.row, plan.existing
        values = row.values
        branch = _own_branch(existing) if existing is not None else None
        given = tuple(None if values[a] is KEEP else values[a] for a in (BRANCH_ELECTED, BRANCH_ENDS))
        if BAD in given or given == (None, None):
            return
        if branch is None:
            self.problem(
                row,
                BRANCH_ELECTED if given[0] is not None else BRANCH_ENDS,
                _("This compound has no party branch of its own: leave the branch's term empty."),
            )
            return
        if given == (branch.elected_on, branch.term_ends_on):
            return  # as recorded (even a term recorded with one date only)
        dates = self.both_dates(row, BRANCH_ELECTED, BRANCH_ENDS)
        if dates is None:
            return
        plan.branch = (branch, *dates)
        if dates[0] != branch.elected_on:
            plan.changes.append(self.column(BRANCH_ELECTED))
        if dates[1] != branch.term_ends_on:
            plan.changes.append(self.column(BRANCH_ENDS))

    # the writes, through the services

    def write(self, plan: _Plan) -> bool:
        """Make the row's writes in a savepoint; False (all of the row undone) when a service refuses."""
        row = plan.row
        try:
            with transaction.atomic():
                compound = plan.existing
                try:
                    if compound is None:
                        compound = services.unit_create(**plan.unit_fields)
                    elif plan.unit_fields:
                        compound = services.unit_update(unit=compound, **plan.unit_fields)
                except ValidationError as exc:
                    self.service_problem(row, exc, _UNIT_FIELD_COLUMNS, CODE)
                    raise _Rollback from exc
                try:
                    if plan.committee is not None and plan.committee[0] == "record":
                        services.owners_committee_record(
                            compound=compound, elected_on=plan.committee[1], term_ends_on=plan.committee[2]
                        )
                    elif plan.committee is not None:
                        services.owners_committee_update(committee=plan.committee[1], term_ends_on=plan.committee[2])
                except ValidationError as exc:
                    self.service_problem(row, exc, _COMMITTEE_FIELD_COLUMNS, COMMITTEE_ELECTED)
                    raise _Rollback from exc
                try:
                    if plan.branch is not None:
                        organization, elected, ends = plan.branch
                        services.branch_term_record(organization=organization, elected_on=elected, term_ends_on=ends)
                except ValidationError as exc:
                    self.service_problem(row, exc, _BRANCH_FIELD_COLUMNS, BRANCH_ELECTED)
                    raise _Rollback from exc
        except _Rollback:
            return False
        return True

    # the whole run

    def run(self, source: Any, filename: str, dry_run: bool) -> ImportResult:
        result = ImportResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        self.load_units(parsed)
        first_line: dict[str, int] = {}
        plans = [plan for row in parsed if (plan := self.plan(row, first_line)) is not None]
        try:
            with transaction.atomic():
                for plan in plans:
                    if not self.write(plan):
                        continue
                    self.count(plan, result)
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.finish(result)

    def count(self, plan: _Plan, result: ImportResult) -> None:
        values = plan.row.values
        community = plan.community.name if plan.community is not None else ""
        if plan.existing is None:
            action = "create"
            result.created += 1
        elif plan.changes:
            action = "update"
            result.updated += 1
        else:
            action = "unchanged"
            result.unchanged += 1
        name = values[NAME] if isinstance(values[NAME], str) else plan.existing.name  # type: ignore[union-attr]
        result.preview.append(
            CompoundPreview(plan.row.line, action, values[CODE], name, community, changes=plan.changes)
        )


def import_compounds(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check a compound list and, when every row is good (and not ``dry_run``), write it in one transaction.

    A new code creates the compound in its community (covered by the community's organization); an
    existing one is updated where the file differs. ``user``, when given, must be able to see every
    compound the file names and every community and property company it names; None is full access
    (the command line). What the user cannot see is never named nor checked: a community or company
    out of sight gets the message of one that does not exist, and a code held by a unit out of sight
    the same "already in use" whichever unit holds it. A file that cannot be read at all gives one problem with row 0.
    """
    return _CompoundImport(user=user).run(source, filename, dry_run)


# --- the export ------------------------------------------------------------------------------------


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _export_values(compound: Unit) -> list[Any]:
    branch = _own_branch(compound)
    return [
        compound.code,
        compound.name,
        compound.parent.code if compound.parent_id else "",
        compound.households if compound.households is not None else "",
        compound.residents if compound.residents is not None else "",
        compound.address,
        compound.property_company.code if compound.property_company_id else "",
        _day(compound.export_committee_elected_on),  # type: ignore[attr-defined]
        _day(compound.export_committee_term_ends_on),  # type: ignore[attr-defined]
        _day(branch.elected_on if branch else None),
        _day(branch.term_ends_on if branch else None),
    ]


def export_compounds(queryset: QuerySet[Unit], *, fmt: str) -> bytes:
    """The compounds of ``queryset`` as a compound list ("xlsx" or "csv", UTF-8 with BOM), one query.

    Communities and property companies are written by code and dates as YYYY-MM-DD, so the file
    imports back unchanged.
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown compound list format {fmt!r}")
    committee = OwnersCommittee.objects.filter(compound=OuterRef("pk"), is_current=True)
    compounds = (
        queryset.filter(unit_type=UnitType.COMPOUND)
        .select_related("parent", "organization", "property_company")
        .annotate(
            export_committee_elected_on=Subquery(committee.values("elected_on")[:1]),
            export_committee_term_ends_on=Subquery(committee.values("term_ends_on")[:1]),
        )
    )
    rows = (_export_values(compound) for compound in compounds.iterator(chunk_size=2000))
    return write_table(COMPOUND_COLUMNS, rows, fmt=fmt, title="物业小区")
