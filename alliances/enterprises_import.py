"""The enterprises as the park keeps them in a spreadsheet: import and export (``import_enterprises``).

One row per enterprise: its code and name, the park (and building) it sits in, sector, staff,
large-scale or not, demonstration site or not, party members, how its members are organized
(单独建 / 联合建 / 挂靠建) and the organization that holds them. The import reads the file as people fill
it in (see ``yiling.spreadsheets``), checks every row, and writes nothing unless the whole file is good:
the rows are written through the services in a transaction rolled back on any problem (and always on a
dry run or a preview). The export writes the same columns, so an exported file imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from organizations import services as org_services
from organizations.models import Organization, Unit, UnitType, validate_code
from yiling.privacy import redact
from yiling.spreadsheets import (
    BAD,
    KEEP,
    ImportResult,
    Invalid,
    PreviewRow,
    Row,
    SheetImport,
    cell_text,
    header_key,
    plain_text,
    too_long,
    write_table,
)

from . import services
from .models import Building, EnterpriseProfile, FormationMode, Sector

(CODE, NAME, PARK, BUILDING, SECTOR, STAFF, LARGE, DEMONSTRATION, MEMBERS, MODE, ORGANIZATION) = range(11)

ENTERPRISE_COLUMNS = [
    "企业编码",
    "企业名称",
    "所属园区",
    "所在楼宇",
    "行业",
    "职工人数",
    "规模以上企业",
    "党建示范点",
    "党员人数",
    "组建方式",
    "所在党组织",
]
HEADERS = dict(enumerate(ENTERPRISE_COLUMNS))
_HEADER_ALIASES = {
    "企业代码": CODE,
    "统一编码": CODE,
    "企业": NAME,
    "单位名称": NAME,
    "园区": PARK,
    "楼宇": BUILDING,
    "所属行业": SECTOR,
    "员工人数": STAFF,
    "职工数": STAFF,
    "是否规模以上": LARGE,
    "规上企业": LARGE,
    "是否示范点": DEMONSTRATION,
    "示范点": DEMONSTRATION,
    "党员数": MEMBERS,
    "党组织组建方式": MODE,
    "党组织": ORGANIZATION,
    "所属党组织": ORGANIZATION,
}
_HEADER_BY_KEY = {header_key(h): a for h, a in (*((h, a) for a, h in HEADERS.items()), *_HEADER_ALIASES.items())}

#: How the sectors and ways of organizing are written in the district's lists.
SECTOR_NAMES = {
    Sector.MANUFACTURING: "制造业",
    Sector.FOOD: "食品饮料",
    Sector.ENERGY: "能源",
    Sector.MATERIALS: "建材",
    Sector.E_COMMERCE: "电子商务",
    Sector.INTERNET: "互联网",
    Sector.LAW_FIRM: "律师事务所",
    Sector.LOGISTICS: "物流",
    Sector.SERVICES: "服务业",
    Sector.OTHER: "其他",
}
_SECTOR_BY_TEXT = {**{v: k for k, v in SECTOR_NAMES.items()}, "电商": Sector.E_COMMERCE, "律所": Sector.LAW_FIRM}
MODE_NAMES = {
    FormationMode.STANDALONE: "单独建",
    FormationMode.JOINT: "联合建",
    FormationMode.ATTACHED: "挂靠建",
    FormationMode.NONE: "未建",
}
_MODE_BY_TEXT = {**{v: k for k, v in MODE_NAMES.items()}, "未组建": FormationMode.NONE}
_YES = {"是", "Y", "YES", "√", "✓", "1", "TRUE"}
_NO = {"否", "N", "NO", "×", "0", "FALSE"}
_MAX_COUNT = 2_147_483_647
_PROFILE_COLUMNS = {
    "building": BUILDING,
    "sector": SECTOR,
    "staff": STAFF,
    "is_large_scale": LARGE,
    "is_demonstration_site": DEMONSTRATION,
    "party_members": MEMBERS,
    "formation_mode": MODE,
    "branch": ORGANIZATION,
    "unit": CODE,
}
_ATTR_FIELDS = {
    SECTOR: "sector",
    STAFF: "staff",
    LARGE: "is_large_scale",
    DEMONSTRATION: "is_demonstration_site",
    MEMBERS: "party_members",
    MODE: "formation_mode",
}


def _yes_no(value: Any) -> bool:
    """是/否 (also Y/N, ✓/×, 1/0); a blank cell keeps what the enterprise has."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).upper()
    if not text:
        return KEEP  # type: ignore[return-value]
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise Invalid(_("Write 是 or 否, not “%(value)s”.") % {"value": redact(text)})


def _count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = cell_text(value).replace(",", "").removesuffix("人")
        if not text:
            return KEEP  # type: ignore[return-value]
        if not text.isdigit():
            raise Invalid(_("“%(value)s” is not a whole number of 0 or more.") % {"value": redact(cell_text(value))})
        number = int(text)
    if not 0 <= number <= _MAX_COUNT:
        raise Invalid(_("“%(value)s” is not a whole number of 0 or more.") % {"value": number})
    return number


def _choice(table: dict[str, str], names: dict[Any, str]) -> Any:
    def parse(value: Any) -> str:
        text = cell_text(value)
        if not text:
            return KEEP  # type: ignore[return-value]  # blank: the enterprise keeps its own (a new one the default)
        if text in table:
            return table[text]
        raise Invalid(
            _("“%(value)s” is not one of: %(choices)s.") % {"value": redact(text), "choices": "、".join(names.values())}
        )

    return parse


@dataclass(slots=True)
class EnterprisePreview(PreviewRow):
    code: str
    name: str
    park: str


class _Rollback(Exception):
    pass


class _EnterpriseImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (CODE, NAME)
    required = (CODE, NAME)

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 企业编码 and 企业名称.") % {
            "n": self.header_scan_rows
        }

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        row = Row(line, dict.fromkeys(HEADERS, KEEP))

        def read(attr: int, parse: Any) -> Any:
            return self.take(row, attr, parse, cell(attr)) if attr in self.columns else KEEP

        code = read(CODE, cell_text)
        if not code:
            self.problem(row, CODE, _("The enterprise code is required, e.g. EN-WHH."))
        else:
            try:
                validate_code(code)
                if len(code) > 32:
                    raise ValidationError(too_long(32))
            except ValidationError as exc:
                self.problem(row, CODE, " ".join(exc.messages))
        name = read(NAME, plain_text)
        if not name:
            self.problem(row, NAME, _("The enterprise's name is required."))
        elif len(name) > 100:
            self.problem(row, NAME, too_long(100))
        read(PARK, plain_text)
        read(BUILDING, plain_text)
        read(SECTOR, _choice(_SECTOR_BY_TEXT, SECTOR_NAMES))
        read(STAFF, _count)
        read(LARGE, _yes_no)
        read(DEMONSTRATION, _yes_no)
        read(MEMBERS, _count)
        read(MODE, _choice(_MODE_BY_TEXT, MODE_NAMES))
        read(ORGANIZATION, cell_text)
        return row

    def load_lookups(self) -> None:
        units = Unit.objects.filter(unit_type__in=[UnitType.ENTERPRISE, UnitType.PARK]).select_related("organization")
        orgs = Organization.objects.all()
        buildings = Building.objects.all()
        if self.scoped_user:
            # One out of the user's sight reads like one that does not exist.
            units, orgs, buildings = (qs.visible_to(self.user) for qs in (units, orgs, buildings))
        self.enterprises = {u.code: u for u in units if u.unit_type == UnitType.ENTERPRISE}
        self.parks = _index([u for u in units if u.unit_type == UnitType.PARK])
        self.orgs = _index(list(orgs))
        self.buildings = _index(list(buildings))
        self.profiles = {p.unit_id: p for p in EnterpriseProfile.objects.select_related("building", "branch")}
        self.taken_codes = set(Unit.objects.values_list("code", flat=True))

    def find(self, row: Row, attr: int, index: dict[str, list[Any]], what: str) -> Any:
        text = row.values[attr]
        if text in (KEEP, BAD) or not text:
            return None if text == "" else text
        found = index.get(text, [])
        if len(found) != 1:
            message = (
                _("No %(what)s with the code or name “%(value)s”.")
                if not found
                else _("More than one %(what)s has the name “%(value)s”: use the code.")
            )
            self.problem(row, attr, message % {"what": what, "value": text})
            return BAD
        return found[0]

    def write(self, row: Row, seen: dict[str, int]) -> str | None:
        values = row.values
        code = values[CODE]
        earlier = seen.setdefault(code, row.line)
        if earlier != row.line:
            self.problem(row, CODE, _("The same code is already on row %(row)d.") % {"row": earlier})
            return None
        unit = self.enterprises.get(code)
        if unit is None and code in self.taken_codes:
            self.problem(row, CODE, _("The code %(code)s is already in use: choose another code.") % {"code": code})
            return None
        park = self.find(row, PARK, self.parks, _("industrial park"))
        building = self.find(row, BUILDING, self.buildings, _("building"))
        branch = self.find(row, ORGANIZATION, self.orgs, _("party organization"))
        if unit is None and park in (None, KEEP):
            self.problem(row, PARK, _("A new enterprise needs its park."))
        if row.bad:
            return None
        profile = self.profiles.get(unit.pk) if unit is not None else None
        wanted = {f: values[a] for a, f in _ATTR_FIELDS.items() if values[a] is not KEEP}
        if building is not KEEP:
            wanted["building"] = building
        if branch is not KEEP:
            wanted["branch"] = branch
        try:
            with transaction.atomic():
                if unit is None:
                    unit = org_services.unit_create(
                        code=code, name=values[NAME], unit_type=UnitType.ENTERPRISE, parent=park,
                        organization=park.organization,
                    )  # fmt: skip
                    action = "create"
                else:
                    action = "unchanged"
                    if values[NAME] != unit.name:
                        org_services.unit_update(unit=unit, name=values[NAME])
                        action = "update"
                before = {f: getattr(profile, f) for f in wanted} if profile is not None else None
                saved = services.enterprise_profile_save(unit=unit, **wanted)
                if action == "unchanged" and (before is None or any(getattr(saved, f) != v for f, v in before.items())):
                    action = "update"
        except ValidationError as exc:
            self.service_problem(row, exc, _PROFILE_COLUMNS, MODE)
            return None
        return action

    def run(self, source: Any, filename: str, dry_run: bool) -> ImportResult:
        result = ImportResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        seen: dict[str, int] = {}
        try:
            with transaction.atomic():
                for row in parsed:
                    if row.bad:
                        continue
                    action = self.write(row, seen)
                    if action is None:
                        continue
                    counter = {"create": "created", "update": "updated"}.get(action, "unchanged")
                    setattr(result, counter, getattr(result, counter) + 1)
                    park = row.values[PARK]
                    result.preview.append(
                        EnterprisePreview(
                            row.line, action, row.values[CODE], row.values[NAME], getattr(park, "name", "")
                        )
                    )
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.finish(result)


def _index(items: list[Any]) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for item in items:
        for key in dict.fromkeys((item.code, item.name, cell_text(item.name))):
            index.setdefault(key, []).append(item)
    return index


def import_enterprises(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check an enterprise list and, when every row is good (and not ``dry_run``), write it in one
    transaction. A new code creates the enterprise in its park (covered by the park's organization);
    an existing one is updated where the file differs. ``user``, when given, may only touch and name
    what it sees; None is full access (the command line)."""
    return _EnterpriseImport(user=user).run(source, filename, dry_run)


def export_enterprises(queryset: QuerySet[EnterpriseProfile], *, fmt: str) -> bytes:
    """The enterprise profiles of ``queryset`` in the import's layout (one query)."""
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown enterprise list format {fmt!r}")
    profiles = queryset.select_related("unit", "unit__parent", "building", "branch")
    rows = (
        [
            p.unit.code,
            p.unit.name,
            _park_code(p.unit),
            p.building.code if p.building_id else "",
            SECTOR_NAMES[Sector(p.sector)],
            p.staff,
            "是" if p.is_large_scale else "否",
            "是" if p.is_demonstration_site else "否",
            p.party_members,
            MODE_NAMES[FormationMode(p.formation_mode)],
            p.branch.code if p.branch_id else "",
        ]
        for p in profiles.iterator(chunk_size=2000)
    )
    return write_table(ENTERPRISE_COLUMNS, rows, fmt=fmt, title="企业")


def _park_code(unit: Unit) -> str:
    parent = unit.parent
    if parent is not None and parent.unit_type == UnitType.PARK:
        return parent.code
    return ""  # a firm inside another (电商产业城): its park is not written, and the import keeps it
