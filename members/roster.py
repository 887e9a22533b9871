"""The party-member roster (党员花名册) as organization departments keep it in Excel: import and export.

The import reads the sheet the way people fill it in: title rows above the headers, dates written a
dozen ways, full-width digits, ID numbers Excel turned into numbers. It checks every row against the
model's rules and writes nothing unless the whole file is good, and it writes in bulk (a fixed number
of queries per 2,000 rows), so a whole district imports in seconds. The export writes the same
columns, so a file exported with full personal data imports back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from os import PathLike
from typing import IO, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from organizations.models import Organization, Unit
from organizations.selectors import is_district_wide
from yiling.privacy import mask_birth_date, mask_id_number, mask_phone
from yiling.scoping import visible
from yiling.spreadsheets import (
    BAD,
    KEEP,
    ImportResult,
    Marker,
    PreviewRow,
    Row,
    SheetImport,
    ambiguous,
    outside_message,
    too_long,
    write_table,
)
from yiling.spreadsheets import SPACE_RE as _SPACE_RE
from yiling.spreadsheets import Invalid as _Invalid
from yiling.spreadsheets import cell_text as _text
from yiling.spreadsheets import header_key as _key
from yiling.spreadsheets import parse_date as _date

from . import services
from .idnumbers import birth_date_of, is_male, validate_id_number
from .idnumbers import normalize as normalize_id
from .models import (
    EMPLOYER_TYPES,
    RESIDENCE_TYPES,
    Category,
    Education,
    Gender,
    Member,
    MemberStatus,
    future_date_message,
)

#: Rows per query: existing members are read, and new ones written, this many at a time.
BATCH_SIZE = 2000
#: bulk_update writes one CASE per field and row; PostgreSQL slows down sharply on larger batches.
UPDATE_BATCH_SIZE = 500

#: The member attributes the import sets (the service's fields, foreign keys by id), in the order
#: rows hold them.
ATTRS = tuple(f"{f}_id" if f in ("home_organization", "employer", "residence") else f for f in services.MEMBER_FIELDS)
(NAME, GENDER, ETHNICITY, BIRTH, ID, PHONE, EDUCATION, JOINED, FULL, STATUS, CATEGORY, HOME, EXTERNAL, EMPLOYER,
 RESIDENCE) = range(len(ATTRS))  # fmt: skip

#: Export headers, in export order, with the attribute each holds.
_COLUMNS = (
    ("姓名", NAME),
    ("性别", GENDER),
    ("民族", ETHNICITY),
    ("出生日期", BIRTH),
    ("公民身份号码", ID),
    ("联系电话", PHONE),
    ("学历", EDUCATION),
    ("入党日期", JOINED),
    ("转正日期", FULL),
    ("党员状态", STATUS),
    ("人员类别", CATEGORY),
    ("所在党支部", HOME),
    ("区外组织关系", EXTERNAL),
    ("工作单位", EMPLOYER),
    ("居住小区", RESIDENCE),
)
ROSTER_COLUMNS = [header for header, _attr in _COLUMNS]
#: The export's columns: the roster's, each code followed by the name it stands for (which the
#: import does not read: the code decides).
NAME_COLUMNS = {HOME: "所在党支部名称", EMPLOYER: "工作单位名称", RESIDENCE: "居住小区名称"}
EXPORT_COLUMNS = [
    header for header, attr in _COLUMNS for header in (header, NAME_COLUMNS.get(attr)) if header is not None
]
HEADERS = {attr: header for header, attr in _COLUMNS}

#: Other headers seen in the district's rosters.
_HEADER_ALIASES = {
    "身份证号": ID,
    "身份证号码": ID,
    "公民身份证号码": ID,
    "身份证": ID,
    "手机号码": PHONE,
    "手机号": PHONE,
    "联系方式": PHONE,
    "文化程度": EDUCATION,
    "入党时间": JOINED,
    "转正时间": FULL,
    "所在党组织": HOME,
    "所在支部": HOME,
}
_HEADER_BY_KEY = {_key(header): attr for header, attr in (*_COLUMNS, *_HEADER_ALIASES.items())}
#: Columns a roster cannot do without.
REQUIRED = (NAME, ID, JOINED, CATEGORY)

# The roster's own words for the choices; the export writes the first, the import reads them all
# (and the model's labels and values in Chinese and English).
_GENDER_WORDS = {Gender.MALE: ("男", "男性", "m"), Gender.FEMALE: ("女", "女性", "f")}
_STATUS_WORDS = {MemberStatus.FULL: ("正式党员", "正式"), MemberStatus.PROBATIONARY: ("预备党员", "预备")}
_CATEGORY_WORDS = {
    Category.IN_SERVICE: ("在职党员", "在职"),
    Category.RETIRED: ("退休党员", "退休", "离退休", "离退休党员"),
    Category.FLOATING: ("流动党员", "流动"),
    Category.OTHER: ("其他", "其它"),
}
_EDUCATION_WORDS = {
    Education.POSTGRADUATE: ("研究生", "硕士", "博士", "研究生及以上", "硕士研究生", "博士研究生"),
    Education.BACHELOR: ("大学本科", "本科"),
    Education.COLLEGE: ("大学专科", "大专", "专科"),
    Education.SECONDARY: ("中专", "中技", "技校", "职高", "中等专科"),
    Education.HIGH_SCHOOL: ("高中",),
    Education.JUNIOR: ("初中及以下", "初中", "小学"),
}
_WORDS = {GENDER: _GENDER_WORDS, STATUS: _STATUS_WORDS, CATEGORY: _CATEGORY_WORDS, EDUCATION: _EDUCATION_WORDS}


# Besides KEEP (a value the file does not give: an existing member keeps his, a new one gets the
# default) and BAD (a cell that could not be read), a row may hold:
#: 党员状态 left empty: decided from 转正日期 once the existing member (if any) is known.
DERIVE = Marker("DERIVE")
#: 所在党支部 left empty under --organization: the organization, unless already held below it.
SCOPE = Marker("SCOPE")

_DEFAULTS: dict[int, Any] = {
    ETHNICITY: "汉族",
    PHONE: "",
    EDUCATION: "",
    FULL: None,
    EXTERNAL: "",
    EMPLOYER: None,
    RESIDENCE: None,
}


@dataclass(slots=True)
class MemberPreview(PreviewRow):
    """A good row of the preview; its ``changes`` are the names of the fields that change."""

    name: str
    masked_id: str
    organization: str


@dataclass
class RosterResult(ImportResult):
    #: The members created or updated, after a real (not dry-run) import without problems.
    member_ids: list[int] = field(default_factory=list)


class _Node(NamedTuple):
    pk: int
    code: str
    name: str
    extra: str  # an organization's path, a unit's type


# --- reading cells ---------------------------------------------------------------------------------

_SCIENTIFIC_RE = re.compile(r"\d+(\.\d+)?E\+?\d+", re.IGNORECASE)
_MOBILE_RE = re.compile(r"1\d{10}")
_LANDLINE_RE = re.compile(r"(?:\((0\d{2,3})\)|(0\d{2,3})-)(\d{7,8})")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f" or ch == "·"


def _name(value: Any) -> str:
    """Inner spaces dropped from a Chinese name ("张  三"), collapsed in any other."""
    parts = _text(value).split()
    joined = "".join(parts)
    return joined if joined and all(_is_cjk(ch) for ch in joined) else " ".join(parts)


def _id_number(value: Any) -> str:
    if isinstance(value, float):
        raise _Invalid(_float_message())
    text = normalize_id(_text(value))  # through cell_text: a blank marker (无, -) is an empty cell
    if text[:1] == "'":
        text = text[1:]
    if not text:
        raise _Invalid(_("An ID number is required."))
    if "*" in text:
        raise _Invalid(
            _(
                "The ID number is masked (****): export the roster with the permission to see personal data, "
                "or type the full number."
            )
        )
    if _SCIENTIFIC_RE.fullmatch(text):
        raise _Invalid(_float_message())
    try:
        validate_id_number(text)
    except ValidationError as exc:
        raise _Invalid(" ".join(exc.messages)) from exc
    return text


def unknown_member_message() -> str:
    """For a row naming an ID number held by no member the importer can see.

    The same words whether a member outside the importer's reach holds the number or nobody does,
    so that the import tells nothing about people the importer may not see.
    """
    return _(
        "This ID number cannot be imported by you: no member in your part of the roster holds it. "
        "New members, and members held elsewhere, are added or transferred in by district staff."
    )


def _float_message() -> str:
    return _(
        "Excel stored the ID number as a number and lost its last digits: format the column as text and type "
        "the ID numbers again."
    )


def _phone(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        raise _Invalid(_phone_message())
    text = _text(value)
    if not text:
        return ""
    if "*" in text:
        raise _Invalid(
            _(
                "The phone number is masked (****): export the roster with the permission to see personal data, "
                "or type the full number."
            )
        )
    if _SCIENTIFIC_RE.fullmatch(text):
        raise _Invalid(
            _("Excel stored the phone number as a number in scientific notation: format the column as text.")
        )
    compact = re.sub(r"[\s\-—–()]", "", text)
    if compact.startswith("+86"):
        compact = compact[3:]
    if _MOBILE_RE.fullmatch(compact):
        return compact
    match = _LANDLINE_RE.fullmatch(_SPACE_RE.sub("", text))
    if match:
        return f"{match[1] or match[2]}-{match[3]}"
    raise _Invalid(_phone_message())


def _phone_message() -> str:
    return _("Not a phone number: give an 11-digit mobile number, or a landline with its area code like 0717-1234567.")


def _choice_aliases() -> dict[int, dict[str, str]]:
    """Spelling → value for each choice column: the roster's words, the model's values and labels."""
    choices = {GENDER: Gender, STATUS: MemberStatus, CATEGORY: Category, EDUCATION: Education}
    aliases: dict[int, dict[str, str]] = {}
    for attr, enum in choices.items():
        table: dict[str, str] = {}
        for member in enum:
            table[_key(member.value)] = member.value
            for lang in ("en", "zh-hans"):
                with override(lang):
                    table[_key(str(member.label))] = member.value
            for word in _WORDS[attr].get(member, ()):
                table[_key(word)] = member.value
        aliases[attr] = table
    return aliases


def _choice_display(attr: int, value: str) -> str:
    return _WORDS[attr][value][0] if value else ""


def _constraint_message(rule: str) -> str:
    """The model's own message for one of Member's check constraints."""
    name = f"{Member._meta.app_label}_{Member._meta.model_name}_{rule}"
    for constraint in Member._meta.constraints:
        if constraint.name == name:
            return str(constraint.get_violation_error_message())
    raise LookupError(name)


# --- the import ------------------------------------------------------------------------------------


class _RosterImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (NAME, ID)
    required = REQUIRED

    def __init__(self, *, organization: Organization | None, user: Any) -> None:
        super().__init__(user=user)
        self.scope = organization
        #: Whether rows may add members the importer does not yet hold (the command line, district staff).
        self.may_add = not self.scoped_user or is_district_wide(user)
        self.aliases = _choice_aliases()
        self.messages = {
            rule: _constraint_message(rule)
            for rule in (
                "membership_held_somewhere",
                "probationary_not_yet_full",
                "full_after_joining",
                "joined_after_birth",
                "name_present",
            )
        }
        self.max_length = {
            attr: Member._meta.get_field(ATTRS[attr]).max_length for attr in (NAME, ETHNICITY, PHONE, EXTERNAL)
        }

    # problems

    def wrong_type_message(self) -> str:
        return _("Save the roster as an Excel workbook (.xlsx) or as CSV.")

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 姓名 and 公民身份号码.") % {
            "n": self.header_scan_rows
        }

    # lookups

    def load_lookups(self) -> None:
        self.orgs_by_code: dict[str, _Node] = {}
        self.orgs_by_name: dict[str, list[_Node]] = {}
        self.org_names: dict[int, str] = {}
        self.org_paths: dict[int, str] = {}
        for node in map(_Node._make, Organization.objects.order_by().values_list("pk", "code", "name", "path")):
            self.orgs_by_code[node.code] = node
            self.orgs_by_name.setdefault(node.name, []).append(node)
            self.org_names[node.pk] = node.name
            self.org_paths[node.pk] = node.extra
        self.units_by_code: dict[str, _Node] = {}
        self.units_by_name: dict[str, list[_Node]] = {}
        if EMPLOYER in self.columns or RESIDENCE in self.columns:
            for node in map(_Node._make, Unit.objects.order_by().values_list("pk", "code", "name", "unit_type")):
                self.units_by_code[node.code] = node
                self.units_by_name.setdefault(node.name, []).append(node)
        self.visible_orgs: set[int] = set()
        self.visible_units: set[int] = set()
        if self.scoped_user:
            self.visible_orgs = set(visible(Organization, self.user).values_list("pk", flat=True))
            if self.units_by_code:
                self.visible_units = set(visible(Unit, self.user).values_list("pk", flat=True))

    def in_scope(self, path: str) -> bool:
        return self.scope is None or path.startswith(self.scope.path)

    @staticmethod
    def _find(text: str, by_code: dict[str, _Node], by_name: dict[str, list[_Node]]) -> list[_Node]:
        node = by_code.get(text)
        return [node] if node else by_name.get(text, [])

    def organization(self, text: str) -> int:
        # An organization out of the user's sight is one that does not exist (also when it shares a
        # name with one in sight): its existence, name and code are not the importer's to learn.
        found = [n for n in self._find(text, self.orgs_by_code, self.orgs_by_name) if self.sees_org(n)]
        inside = [n for n in found if self.in_scope(n.extra)]
        if not found:
            raise _Invalid(_("No party organization with the code or name “%(value)s”.") % {"value": text})
        if not inside:
            raise _Invalid(
                _("“%(value)s” is outside %(scope)s, the organization being imported.")
                % {"value": text, "scope": self.scope}
            )
        if len(inside) > 1:
            raise _Invalid(ambiguous(text, (n.code for n in inside)))
        return inside[0].pk

    def sees_org(self, node: _Node) -> bool:
        return not self.scoped_user or node.pk in self.visible_orgs

    def unit(self, text: str, attr: int) -> int:
        # As for organizations: a unit out of sight (a shop, an agency, a compound of another street)
        # reads like one that does not exist, and its type is not told either.
        found = self._find(text, self.units_by_code, self.units_by_name)
        if self.scoped_user:
            found = [n for n in found if n.pk in self.visible_units]
        if not found:
            raise _Invalid(_("No unit with the code or name “%(value)s”.") % {"value": text})
        types = EMPLOYER_TYPES if attr == EMPLOYER else RESIDENCE_TYPES
        fitting = [n for n in found if n.extra in types]
        if not fitting:
            if attr == EMPLOYER:
                raise _Invalid(_("The employer must be an agency or an enterprise."))
            raise _Invalid(_("A member lives in a compound or a community."))
        if len(fitting) > 1:
            raise _Invalid(ambiguous(text, (n.code for n in fitting)))
        return fitting[0].pk

    # one row, cell by cell

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        values: list[Any] = [KEEP] * len(ATTRS)
        row = Row(line, values)

        def read(attr: int, parse: Any, *args: Any) -> Any:
            return self.take(row, attr, parse, cell(attr), *args)

        name = read(NAME, _name)
        if name == "":
            self.problem(row, NAME, self.messages["name_present"])
        elif name is not BAD and len(name) > self.max_length[NAME]:
            self.problem(row, NAME, too_long(self.max_length[NAME]))
        number = read(ID, _id_number)
        self.read_gender(row, cell(GENDER), number)
        self.read_birth_date(row, cell(BIRTH), number)
        if ETHNICITY in self.columns:
            ethnicity = _text(cell(ETHNICITY)) or "汉族"
            values[ETHNICITY] = ethnicity
            if len(ethnicity) > self.max_length[ETHNICITY]:
                self.problem(row, ETHNICITY, too_long(self.max_length[ETHNICITY]))
        if PHONE in self.columns:
            read(PHONE, _phone)
        for attr in (EDUCATION, CATEGORY, STATUS):
            if attr in self.columns or attr in REQUIRED:
                read(attr, self.choice, attr)
        if values[STATUS] in (KEEP, ""):
            values[STATUS] = DERIVE
        if read(JOINED, _date) is None:
            values[JOINED] = BAD
            self.problem(row, JOINED, _("The date joined the party is required."))
        if FULL in self.columns:
            read(FULL, _date)
        self.read_membership(row, cell)
        for attr in (EMPLOYER, RESIDENCE):
            if attr in self.columns:
                text = _text(cell(attr))
                values[attr] = None
                if text:
                    self.take(row, attr, self.unit, text, attr)
        return row

    def choice(self, value: Any, attr: int) -> str:
        text = _text(value)
        if not text:
            if attr == CATEGORY:
                raise _Invalid(_("The category is required: 在职党员, 退休党员, 流动党员 or 其他."))
            return ""
        try:
            return self.aliases[attr][_key(text)]
        except KeyError:
            words = "、".join(words[0] for words in _WORDS[attr].values())
            raise _Invalid(_("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": words}) from None

    def read_gender(self, row: Row, value: Any, number: Any) -> None:
        given = ""
        if _text(value):
            try:
                given = self.choice(value, GENDER)
            except _Invalid as exc:
                self.problem(row, GENDER, str(exc))
                row.values[GENDER] = BAD
                return
        if number is BAD:
            row.values[GENDER] = given or BAD
            return
        from_id = Gender.MALE if is_male(number) else Gender.FEMALE
        if given and given != from_id:
            self.problem(
                row, GENDER, _("Does not match the sex in the ID number (%(gender)s).") % {"gender": from_id.label}
            )
        row.values[GENDER] = from_id

    def read_birth_date(self, row: Row, value: Any, number: Any) -> None:
        try:
            given = _date(value)
        except _Invalid as exc:
            self.problem(row, BIRTH, str(exc))
            row.values[BIRTH] = BAD
            return
        if given is not None and given > timezone.localdate():
            self.problem(row, BIRTH, future_date_message("birth_date"))
            row.values[BIRTH] = BAD
            return
        if number is BAD:
            row.values[BIRTH] = given or BAD
            return
        from_id = birth_date_of(number)
        # Rosters often give the month only ("1970.03", read as the 1st): the ID number has the day.
        month_only = given is not None and given.day == 1 and (given.year, given.month) == (from_id.year, from_id.month)
        if given and given != from_id and not month_only:
            self.problem(row, BIRTH, _("Does not match the birth date inside the ID number."))
        row.values[BIRTH] = from_id

    def read_membership(self, row: Row, cell: Any) -> None:
        values = row.values
        home = _text(cell(HOME))
        external = _text(cell(EXTERNAL))
        if len(external) > self.max_length[EXTERNAL]:
            self.problem(row, EXTERNAL, too_long(self.max_length[EXTERNAL]))
        values[EXTERNAL] = external
        if home:
            self.take(row, HOME, self.organization, home)
        elif external:
            values[HOME] = None
        elif self.scope is not None:
            values[HOME] = SCOPE
        else:
            values[HOME] = BAD
            self.problem(row, HOME, self.messages["membership_held_somewhere"])

    # against the database, a batch of rows at a time

    def resolve(self, rows: list[Row], result: RosterResult, plan: _Plan) -> None:
        numbers = [r.values[ID] for r in rows if r.values[ID] is not BAD]
        existing: dict[str, tuple[Any, ...]] = {}
        taken: set[str] = set()
        if numbers:
            # Only members the importer can see are read: a row is never checked against, or merged
            # with, a record the importer cannot see.
            members = Member.objects.filter(id_number__in=numbers)
            if self.scoped_user:
                members = members.visible_to(self.user)
            found = members.order_by().values_list("pk", "created_at", *ATTRS)
            existing = {values[2 + ID]: values for values in found}
            if self.scoped_user and self.may_add:
                # District staff may add members, but not one whose number a member they cannot see
                # holds (the number is unique district-wide): only whether it is taken is read.
                unseen = [n for n in numbers if n not in existing]
                if unseen:
                    taken = set(
                        Member.objects.filter(id_number__in=unseen).order_by().values_list("id_number", flat=True)
                    )
        for row in rows:
            number = row.values[ID]
            current = existing.get(number)
            if current is None and number is not BAD and (not self.may_add or number in taken):
                self.problem(row, ID, unknown_member_message())
            merged = self.merge(row, current[2:] if current else None)
            self.check_rules(row, merged)
            if row.bad:
                continue
            name, number = merged[NAME], merged[ID]
            home = merged[HOME]
            where = self.org_names.get(home, "") if home else merged[EXTERNAL]
            if current is None:
                result.created += 1
                plan.creates.append(merged)
                result.preview.append(MemberPreview(row.line, "create", name, mask_id_number(number), where))
                continue
            changed = [i for i, (new, old) in enumerate(zip(merged, current[2:], strict=True)) if new != old]
            if not changed:
                result.unchanged += 1
                result.preview.append(MemberPreview(row.line, "unchanged", name, mask_id_number(number), where))
                continue
            result.updated += 1
            plan.updates.append((current, merged, changed))
            changes = [self.verbose[i] for i in changed]
            result.preview.append(
                MemberPreview(row.line, "update", name, mask_id_number(number), where, changes=changes)
            )

    def merge(self, row: Row, current: tuple[Any, ...] | None) -> list[Any]:
        """Fill what the row leaves open from the existing member (or the defaults), in place."""
        values = row.values
        if values[HOME] is SCOPE:
            assert self.scope is not None
            held = current[HOME] if current else None
            held_path = self.org_paths.get(held, "") if held else ""
            if held and self.in_scope(held_path):
                values[HOME], values[EXTERNAL] = held, current[EXTERNAL]  # type: ignore[index]
            else:
                values[HOME] = self.scope.pk
        for i, value in enumerate(values):
            if value is KEEP:
                values[i] = current[i] if current is not None else _DEFAULTS[i]
        if values[STATUS] is DERIVE:
            full = values[FULL]
            if current is not None and not (current[STATUS] == MemberStatus.PROBATIONARY and full):
                values[STATUS] = current[STATUS]
            else:
                values[STATUS] = MemberStatus.FULL if full else MemberStatus.PROBATIONARY
        return values

    def check_rules(self, row: Row, values: list[Any]) -> None:
        """Member's check constraints, on the values the member will have."""
        born, joined, full = values[BIRTH], values[JOINED], values[FULL]
        today = timezone.localdate()
        for attr, value in ((BIRTH, born), (JOINED, joined), (FULL, full)):
            if isinstance(value, date) and value > today:
                # The birth date comes from the ID number when the file has no 出生日期 column.
                column = ID if attr == BIRTH and BIRTH not in self.columns else attr
                self.problem(row, column, future_date_message(ATTRS[attr]))
        if isinstance(born, date) and isinstance(joined, date) and joined <= born:
            self.problem(row, JOINED, self.messages["joined_after_birth"])
        if isinstance(joined, date) and isinstance(full, date) and full < joined:
            self.problem(row, FULL, self.messages["full_after_joining"])
        if values[STATUS] == MemberStatus.PROBATIONARY and isinstance(full, date):
            self.problem(row, STATUS if STATUS in self.columns else FULL, self.messages["probationary_not_yet_full"])
        if (
            self.scoped_user
            and values[HOME] is None
            and values[EMPLOYER] in (None, BAD)
            and values[RESIDENCE] in (None, BAD)
        ):
            # A member held outside the district with nowhere to live would vanish from the user's sight.
            self.problem(row, HOME, outside_message())

    # the whole run

    def run(self, source: Any, filename: str, dry_run: bool) -> RosterResult:
        result = RosterResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        self.verbose = [str(Member._meta.get_field(a.removesuffix("_id")).verbose_name) for a in ATTRS]
        plan = _Plan()
        for start in range(0, len(parsed), BATCH_SIZE):
            self.resolve(parsed[start : start + BATCH_SIZE], result, plan)
        if self.problems or dry_run:
            return self.finish(result)
        result.member_ids = plan.write(user=self.user)
        return self.finish(result)

    def parse_rows(self, rows: Iterable[tuple[int, tuple[Any, ...]]]) -> list[Row]:
        parsed: list[Row] = []
        first_line: dict[str, int] = {}
        for line, cells in rows:
            row = self.parse(line, cells)
            if row is None:
                continue
            number = row.values[ID]
            if number is not BAD:
                earlier = first_line.setdefault(number, line)
                if earlier != line:
                    self.problem(row, ID, _("The same ID number is already on row %(row)d.") % {"row": earlier})
            parsed.append(row)
        return parsed

    def finish(self, result: RosterResult) -> RosterResult:  # type: ignore[override]
        super().finish(result)
        if result.problems:
            result.member_ids = []
        return result


class _Plan:
    """The writes a good file makes."""

    def __init__(self) -> None:
        self.creates: list[list[Any]] = []
        self.updates: list[tuple[tuple[Any, ...], list[Any], list[int]]] = []

    @transaction.atomic
    def write(self, *, user: Any) -> list[int]:
        reason = _("Roster import")
        history_user = user if getattr(user, "pk", None) else None
        ids: list[int] = []
        for start in range(0, len(self.creates), BATCH_SIZE):
            batch = [
                Member(**dict(zip(ATTRS, values, strict=True))) for values in self.creates[start : start + BATCH_SIZE]
            ]
            created = bulk_create_with_history(
                batch, Member, batch_size=BATCH_SIZE, default_user=history_user, default_change_reason=reason
            )
            ids.extend(m.pk for m in created)
        self.transfer(user=history_user, reason=reason)
        now = timezone.now()
        for start in range(0, len(self.updates), UPDATE_BATCH_SIZE):
            batch, fields = [], set()
            for current, merged, changed in self.updates[start : start + UPDATE_BATCH_SIZE]:
                ids.append(current[0])
                own = self._own_fields(current, merged, changed)
                if not own:
                    continue
                fields.update(ATTRS[i].removesuffix("_id") for i in own)
                member = Member(pk=current[0], created_at=current[1], updated_at=now)
                for attr, value in zip(ATTRS, merged, strict=True):
                    setattr(member, attr, value)
                batch.append(member)
            if batch:
                bulk_update_with_history(
                    batch,
                    Member,
                    [*sorted(fields), "updated_at"],
                    batch_size=UPDATE_BATCH_SIZE,
                    default_user=history_user,
                    default_change_reason=reason,
                )
        return ids

    @staticmethod
    def _moves(current: tuple[Any, ...], merged: list[Any], changed: list[int]) -> bool:
        """Whether the membership moves: to another organization, or from one outside one to another."""
        return HOME in changed or (EXTERNAL in changed and merged[HOME] is None and current[2 + HOME] is None)

    def _own_fields(self, current: tuple[Any, ...], merged: list[Any], changed: list[int]) -> list[int]:
        """The changes left for bulk_update once member_transfer has moved the membership."""
        own = [i for i in changed if i not in (HOME, EXTERNAL)]
        if self._moves(current, merged, changed):
            after_transfer = "" if merged[HOME] is not None else merged[EXTERNAL]
            if merged[EXTERNAL] != after_transfer:
                own.append(EXTERNAL)
        elif EXTERNAL in changed:
            own.append(EXTERNAL)
        return own

    def transfer(self, *, user: Any, reason: str) -> None:
        """Membership moves go through member_transfer, so each keeps its transfer record (rare: one by one)."""
        moves = [
            (current, merged) for current, merged, changed in self.updates if self._moves(current, merged, changed)
        ]
        if not moves:
            return
        targets = Organization.objects.in_bulk({merged[HOME] for _current, merged in moves if merged[HOME]})
        today = timezone.localdate()
        for current, merged in moves:
            services.member_transfer(
                member=Member(pk=current[0]),
                transferred_on=today,
                reason=reason,
                to_organization=targets.get(merged[HOME]),
                to_external=merged[EXTERNAL] if merged[HOME] is None else "",
                by=user,
            )


def import_roster(
    source: str | PathLike[str] | IO[bytes],
    *,
    filename: str,
    organization: Organization | None = None,
    user: Any = None,
    dry_run: bool = False,
) -> RosterResult:
    """Check a roster file and, when every row is good (and not ``dry_run``), write it in one transaction.

    ``organization`` limits 所在党支部 to its subtree and is the default for rows leaving it empty (an
    existing member already held within the subtree keeps his organization). ``user``, when given,
    must be able to see every organization and unit a row touches; None is full access (the command
    line). A row may update only a member the user can see, and add a new member only when the user
    acts for the whole district (:func:`organizations.selectors.is_district_wide`); any other ID
    number gets :func:`unknown_member_message`, whether or not someone out of sight holds it, and
    the row is checked against its own cells only. Rows naming no 党员状态 are full members when 转正日期 is given,
    probationary otherwise; an existing member keeps a status the file does not contradict. A file
    that cannot be read at all gives one problem with row 0.
    """
    return _RosterImport(organization=organization, user=user).run(source, filename, dry_run)


# --- the export ------------------------------------------------------------------------------------


def _export_values(member: Member, *, full: bool) -> list[Any]:
    def code(related: Any) -> str:
        return related.code if related is not None else ""

    def name(related: Any) -> str:
        return related.name if related is not None else ""

    return [
        member.name,
        _choice_display(GENDER, member.gender),
        member.ethnicity,
        member.birth_date if full else mask_birth_date(member.birth_date),
        member.id_number if full else mask_id_number(member.id_number),
        member.phone if full else mask_phone(member.phone),
        _choice_display(EDUCATION, member.education),
        member.joined_on,
        member.full_member_on or "",
        _choice_display(STATUS, member.status),
        _choice_display(CATEGORY, member.category),
        code(member.home_organization),
        name(member.home_organization),
        member.external_organization,
        code(member.employer),
        name(member.employer),
        code(member.residence),
        name(member.residence),
    ]


def export_roster(queryset: Any, *, fmt: str, full: bool) -> bytes:
    """The members of ``queryset`` as a roster file ("xlsx" or "csv", UTF-8 with BOM), one query.

    Organizations and units are written by code, so the file imports back unambiguously, each with its
    name in the next column for the reader (the import passes over it). Dates are date cells in XLSX,
    YYYY-MM-DD in CSV; the columns are as wide as what they hold. Without
    ``full`` ID numbers, birth dates and phones are masked, and such a file cannot be imported back.
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown roster format {fmt!r}")
    members = queryset.select_related("home_organization", "employer", "residence").iterator(chunk_size=BATCH_SIZE)
    rows = (_export_values(member, full=full) for member in members)
    return write_table(EXPORT_COLUMNS, rows, fmt=fmt, title="党员花名册")
