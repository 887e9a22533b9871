"""The member merchants (党员经营户) as the business districts keep them in a spreadsheet: import and export.

One row per shop: its code and name, business district, licence number, the member who runs it (name
and ID number), responsibility zone, post, plaque number and status. Same contract as every importer
(``yiling.spreadsheets``): every bad row named by row and column, nothing written unless the whole file is
good, re-importing a file changes nothing, and the export imports back. The export masks the operator's ID
number for users without ``members.view_personal_data``; a masked number that matches the shop's current
operator keeps that operator, so a masked export imports back unchanged too.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from members.idnumbers import normalize
from organizations import services as org_services
from organizations.models import Unit, UnitType, validate_code
from yiling.privacy import mask_id_number
from yiling.scoping import visible
from yiling.spreadsheets import (
    BAD,
    KEEP,
    ImportResult,
    PreviewRow,
    Row,
    SheetImport,
    ambiguous,
    cell_text,
    header_key,
    plain_text,
    too_long,
    write_table,
)

from . import services
from .models import Merchant, ResponsibilityZone

(CODE, NAME, DISTRICT, LICENCE, OPERATOR, OPERATOR_ID, ZONE, POST, PLAQUE, STATUS, REASON) = range(11)  # fmt: skip

MERCHANT_COLUMNS = [
    "店铺编码",
    "店铺名称",
    "所属商圈",
    "营业执照号",
    "经营党员",
    "经营党员身份证号",
    "责任区",
    "岗位",
    "标牌编号",
    "状态",
    "状态原因",
]
HEADERS = dict(enumerate(MERCHANT_COLUMNS))
_ALIASES = {
    "店铺代码": CODE,
    "店名": NAME,
    "店铺": NAME,
    "商圈": DISTRICT,
    "市场": DISTRICT,
    "所属市场": DISTRICT,
    "统一社会信用代码": LICENCE,
    "执照号": LICENCE,
    "党员姓名": OPERATOR,
    "经营者": OPERATOR,
    "身份证号": OPERATOR_ID,
    "公民身份号码": OPERATOR_ID,
    "党员责任区": ZONE,
    "牌号": PLAQUE,
    "挂牌编号": PLAQUE,
    "原因": REASON,
}
_HEADER_BY_KEY = {header_key(h): a for h, a in (*((h, a) for a, h in HEADERS.items()), *_ALIASES.items())}
REQUIRED = (CODE, NAME, DISTRICT, LICENCE, OPERATOR, OPERATOR_ID)
STATUS_BY_LABEL = {"公示中": "displaying", "暂停公示": "suspended", "已摘牌": "revoked"}
LABEL_BY_STATUS = {v: k for k, v in STATUS_BY_LABEL.items()}

_MERCHANT_COLUMNS = {
    "licence_number": LICENCE,
    "operator": OPERATOR,
    "zone": ZONE,
    "post": POST,
    "plaque_number": PLAQUE,
    "status": STATUS,
    "status_reason": REASON,
    "shop": CODE,
}
_UNIT_COLUMNS = {"code": CODE, "name": NAME, "parent": DISTRICT, "organization": DISTRICT}


@dataclass(slots=True)
class MerchantPreview(PreviewRow):
    code: str
    name: str
    district: str


class _Rollback(Exception):
    pass


@dataclass
class _Plan:
    row: Row
    shop: Unit | None
    merchant: Merchant | None
    district: Unit
    operator: Any
    zone: ResponsibilityZone | None
    unit_fields: dict[str, Any]
    merchant_fields: dict[str, Any]
    status: tuple[str, str] | None
    changes: list[str]


def _same(merchant: Merchant, name: str, value: Any) -> bool:
    if name in ("operator", "zone"):
        return getattr(merchant, f"{name}_id") == (value.pk if value is not None else None)
    return getattr(merchant, name) == value


class _MerchantImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (CODE, NAME)
    required = REQUIRED

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 店铺编码 and 店铺名称.") % {
            "n": self.header_scan_rows
        }

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        row = Row(line, dict.fromkeys(HEADERS, KEEP))
        values = row.values
        for attr in HEADERS:
            if attr in self.columns:
                self.take(
                    row, attr, cell_text if attr in (CODE, LICENCE, OPERATOR_ID, PLAQUE) else plain_text, cell(attr)
                )
        limits = {CODE: 32, NAME: 100, LICENCE: 32, OPERATOR: 50, POST: 60, PLAQUE: 20, REASON: 200}
        for attr, limit in limits.items():
            if isinstance(values[attr], str) and len(values[attr]) > limit:
                self.problem(row, attr, too_long(limit))
                values[attr] = BAD
        for attr, message in (
            (CODE, _("The shop code is required, e.g. SH-CJSC-01.")),
            (NAME, _("The shop's name is required.")),
            (DISTRICT, _("The business district is required: give its code or name.")),
            (LICENCE, _("The business licence number is required.")),
            (OPERATOR, _("The name of the member who runs the shop is required.")),
            (OPERATOR_ID, _("The ID number of the member who runs the shop is required.")),
        ):
            if values[attr] == "":
                self.problem(row, attr, message)
                values[attr] = BAD
        if isinstance(values[CODE], str):
            try:
                validate_code(values[CODE])
            except ValidationError as exc:
                self.problem(row, CODE, " ".join(exc.messages))
                values[CODE] = BAD
        status = values[STATUS]
        if isinstance(status, str):
            if status == "":
                values[STATUS] = KEEP
            elif status in STATUS_BY_LABEL:
                values[STATUS] = STATUS_BY_LABEL[status]
            else:
                self.problem(row, STATUS, _("Write one of %(choices)s.") % {"choices": "、".join(STATUS_BY_LABEL)})
                values[STATUS] = BAD
        return row

    # lookups, a fixed number of queries for the whole file

    def load(self, rows: list[Row]) -> None:
        codes = {r.values[CODE] for r in rows if isinstance(r.values[CODE], str)}
        self.units = {u.code: u for u in Unit.objects.filter(code__in=codes).select_related("organization")}
        self.merchants = {
            m.shop.code: m for m in Merchant.objects.filter(shop__code__in=codes).select_related("shop", "operator")
        }
        districts = Unit.objects.filter(unit_type=UnitType.BUSINESS_DISTRICT).select_related("organization")
        if self.scoped_user:
            districts = districts.visible_to(self.user)
        self.districts = list(districts)
        self.zones: dict[tuple[int, str], ResponsibilityZone] = {
            (z.district_id, z.name): z for z in ResponsibilityZone.objects.filter(district__in=self.districts)
        }
        numbers = {normalize(r.values[OPERATOR_ID]) for r in rows if isinstance(r.values[OPERATOR_ID], str)}
        from members.models import Member

        self.members = {m.id_number: m for m in Member.objects.filter(id_number__in=numbers)}
        self.visible_shops: set[int] = set()
        if self.scoped_user:
            self.visible_shops = set(
                visible(Unit, self.user).filter(pk__in=[u.pk for u in self.units.values()]).values_list("pk", flat=True)
            )

    def sees(self, unit: Unit) -> bool:
        return not self.scoped_user or unit.pk in self.visible_shops

    def district(self, row: Row, text: str) -> Unit | None:
        found = [d for d in self.districts if d.code == text] or [
            d for d in self.districts if d.name in (text, cell_text(text))
        ]
        if not found:
            self.problem(row, DISTRICT, _("No business district with the code or name “%(value)s”.") % {"value": text})
            return None
        if len(found) > 1:
            self.problem(row, DISTRICT, ambiguous(text, [d.code for d in found]))
            return None
        return found[0]

    def operator(self, row: Row, merchant: Merchant | None) -> Any:
        number, name = row.values[OPERATOR_ID], row.values[OPERATOR]
        if merchant is not None and "*" in number and number == mask_id_number(merchant.operator.id_number):
            if name != merchant.operator.name:
                self.problem(row, OPERATOR, _("Give the full ID number of the new member who runs the shop."))
                return None
            return merchant.operator  # a masked export read back: the same member
        member = self.members.get(normalize(number))
        if member is None or member.name != " ".join(name.split()):
            # The same words whether the number is unknown or held by someone of another name.
            self.problem(row, OPERATOR_ID, _("No party member with this ID number and name."))
            return None
        return member

    def plan(self, row: Row, first_line: dict[str, int]) -> _Plan | None:
        values = row.values
        code = values[CODE]
        shop = merchant = None
        if isinstance(code, str):
            earlier = first_line.setdefault(code, row.line)
            if earlier != row.line:
                self.problem(row, CODE, _("The same code is already on row %(row)d.") % {"row": earlier})
            shop = self.units.get(code)
            if shop is not None and not self.sees(shop):
                self.problem(row, CODE, _("The code %(code)s is already in use: choose another code.") % {"code": code})
                return None  # nothing more to say about a shop the user may not see
            if shop is not None and shop.unit_type != UnitType.SHOP:
                self.problem(row, CODE, _("The code %(code)s belongs to a unit that is not a shop.") % {"code": code})
                shop = None
            merchant = self.merchants.get(code)
        district = self.district(row, values[DISTRICT]) if isinstance(values[DISTRICT], str) else None
        operator = None
        if isinstance(values[OPERATOR], str) and isinstance(values[OPERATOR_ID], str):
            operator = self.operator(row, merchant)
        zone = None
        if district is not None and isinstance(values[ZONE], str) and values[ZONE]:
            zone = self.zones.get((district.pk, values[ZONE]))
            if zone is None:
                self.problem(
                    row,
                    ZONE,
                    _("%(district)s has no responsibility zone “%(zone)s”: add it first.")
                    % {"district": district.name, "zone": values[ZONE]},
                )
        if row.bad or district is None or operator is None:
            return None
        changes: list[str] = []
        unit_fields: dict[str, Any] = {}
        if shop is None:
            unit_fields = {
                "code": code,
                "name": values[NAME],
                "unit_type": UnitType.SHOP,
                "parent": district,
                "organization": district.organization,
            }
        else:
            if shop.name != values[NAME]:
                unit_fields["name"] = values[NAME]
                changes.append(self.column(NAME))
            if shop.parent_id != district.pk:
                unit_fields.update(parent=district, organization=district.organization)
                changes.append(self.column(DISTRICT))
        wanted: dict[str, Any] = {"licence_number": values[LICENCE], "operator": operator}
        if values[ZONE] is not KEEP:
            wanted["zone"] = zone
        for attr, name in ((POST, "post"), (PLAQUE, "plaque_number")):
            if values[attr] is not KEEP:
                wanted[name] = values[attr]
        columns = {"licence_number": LICENCE, "operator": OPERATOR, "zone": ZONE, "post": POST, "plaque_number": PLAQUE}
        if merchant is not None:
            merchant_fields = {
                f: v
                for f, v in wanted.items()
                if (
                    getattr(merchant, f"{f}_id") != (v.pk if v else None)
                    if f in ("operator", "zone")
                    else getattr(merchant, f) != v
                )
            }
            changes.extend(self.column(columns[f]) for f in merchant_fields)
        else:
            merchant_fields = wanted
        status = None
        if values[STATUS] is not KEEP:
            reason = values[REASON] if isinstance(values[REASON], str) else ""
            if merchant is None or (merchant.status, merchant.status_reason) != (
                values[STATUS],
                reason if values[STATUS] != "displaying" else "",
            ):
                status = (values[STATUS], reason)
                if merchant is not None:
                    changes.append(self.column(STATUS))
        return _Plan(row, shop, merchant, district, operator, zone, unit_fields, merchant_fields, status, changes)

    def write(self, plan: _Plan) -> bool:
        row = plan.row
        try:
            with transaction.atomic():
                shop = plan.shop
                try:
                    if shop is None:
                        shop = org_services.unit_create(**plan.unit_fields)
                    elif plan.unit_fields:
                        shop = org_services.unit_update(unit=shop, **plan.unit_fields)
                except ValidationError as exc:
                    self.service_problem(row, exc, _UNIT_COLUMNS, CODE)
                    raise _Rollback from exc
                try:
                    merchant = plan.merchant
                    if merchant is None:
                        merchant = services.merchant_create(shop=shop, by=self.user, **plan.merchant_fields)
                    elif plan.merchant_fields:
                        merchant = services.merchant_update(merchant=merchant, by=self.user, **plan.merchant_fields)
                    if plan.status is not None:
                        services.merchant_set_status(
                            merchant=merchant, status=plan.status[0], reason=plan.status[1], by=self.user
                        )
                except ValidationError as exc:
                    self.service_problem(row, exc, _MERCHANT_COLUMNS, CODE)
                    raise _Rollback from exc
        except _Rollback:
            return False
        return True

    def run(self, source: Any, filename: str, dry_run: bool) -> ImportResult:
        result = ImportResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        self.load(parsed)
        first_line: dict[str, int] = {}
        plans = [plan for row in parsed if (plan := self.plan(row, first_line)) is not None]
        try:
            with transaction.atomic():
                for plan in plans:
                    if not self.write(plan):
                        continue
                    if plan.merchant is None:
                        action = "create"
                        result.created += 1
                    elif plan.changes:
                        action = "update"
                        result.updated += 1
                    else:
                        action = "unchanged"
                        result.unchanged += 1
                    result.preview.append(
                        MerchantPreview(
                            plan.row.line,
                            action,
                            plan.row.values[CODE],
                            plan.row.values[NAME],
                            plan.district.name,
                            changes=plan.changes,
                        )
                    )
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.finish(result)


def import_merchants(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check a merchant list and, when every row is good (and not ``dry_run``), write it in one transaction.

    ``user``, when given, may only name business districts and shops it reaches; a district out of
    sight reads like one that does not exist, a shop code out of sight like a code already in use.
    """
    return _MerchantImport(user=user).run(source, filename, dry_run)


def export_merchants(queryset: QuerySet[Merchant], *, fmt: str, full: bool = False) -> bytes:
    """The merchants of ``queryset`` in the import's layout; ID numbers masked unless ``full``."""
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown merchant list format {fmt!r}")
    rows = (
        [
            m.shop.code,
            m.shop.name,
            m.shop.parent.code if m.shop.parent_id else "",
            m.licence_number,
            m.operator.name,
            m.operator.id_number if full else mask_id_number(m.operator.id_number),
            m.zone.name if m.zone_id else "",
            m.post,
            m.plaque_number,
            LABEL_BY_STATUS[m.status],
            m.status_reason,
        ]
        for m in queryset.select_related("shop", "shop__parent", "operator", "zone").iterator(chunk_size=2000)
    )
    return write_table(MERCHANT_COLUMNS, rows, fmt=fmt, title="党员经营户")
