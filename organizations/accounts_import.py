"""Accounts from a spreadsheet (姓名, 手机号, 角色, 组织或单位代码): one row per person and role.

The import reads the file as people fill it in (see ``yiling.spreadsheets``), checks every row, and
writes nothing unless the whole file is good; every write goes through the account services, so the
rule of who may grant which role to whom is part of the check. An account is known by its mobile
number: a number not yet in use creates an account (a generated login name and a one-time password,
to be changed at first login), a number in use gives that account the role if it lacks it (and its
name if it changed). Importing the same file again changes nothing.

What the importing user may not grant in is never named: a code out of their reach gets the message
of a code that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from os import PathLike
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import override

from yiling.privacy import mask_phone
from yiling.spreadsheets import (
    BAD,
    ImportResult,
    Invalid,
    PreviewRow,
    Row,
    SheetImport,
    cell_text,
    header_key,
    plain_text,
    too_long,
)

from . import services
from .models import ORGANIZATION_ROLES, Organization, Role, RoleAssignment, Unit
from .selectors import granting_paths, managed_accounts

NAME, PHONE, ROLE, CODE = range(4)

#: The headers, in the order of the template file.
ACCOUNT_COLUMNS = ["姓名", "手机号", "角色", "组织或单位代码"]
HEADERS = dict(enumerate(ACCOUNT_COLUMNS))
_HEADER_ALIASES = {
    "名字": NAME,
    "手机号码": PHONE,
    "手机": PHONE,
    "联系电话": PHONE,
    "角色名称": ROLE,
    "组织代码": CODE,
    "单位代码": CODE,
    "组织或单位编码": CODE,
    "代码": CODE,
}
_HEADER_BY_KEY = {header_key(h): attr for h, attr in (*((h, a) for a, h in HEADERS.items()), *_HEADER_ALIASES.items())}
#: Other names people give the roles, besides their labels in Chinese and English and their values.
_ROLE_ALIASES = {
    "区级工作人员": Role.DISTRICT_STAFF,
    "街道工作人员": Role.STREET_STAFF,
    "园区工作人员": Role.STREET_STAFF,
    "社区党组织书记": Role.COMMUNITY_SECRETARY,
    "社区党委书记": Role.COMMUNITY_SECRETARY,
    "小区书记": Role.COMPOUND_SECRETARY,
    "小区支部书记": Role.COMPOUND_SECRETARY,
    "联络员": Role.AGENCY_CONTACT,
    "党员经营户": Role.MERCHANT,
    "商户": Role.MERCHANT,
}
#: Which column a service's complaint about a field belongs to.
_FIELD_COLUMNS = {"full_name": NAME, "phone": PHONE, "user": PHONE, "role": ROLE, "organization": CODE, "unit": CODE}


def _role_names() -> dict[str, str]:
    names: dict[str, str] = {header_key(k): v for k, v in _ROLE_ALIASES.items()}
    for role in Role:
        names[header_key(role.value)] = role.value
        for language in ("zh-hans", "en"):
            with override(language):
                names[header_key(str(role.label))] = role.value
    return names


@dataclass(slots=True)
class AccountPreview(PreviewRow):
    """A good row: the person, the role and where; after a real import the new account's login name and
    one-time password."""

    name: str
    phone: str  # masked
    role: str
    code: str
    username: str = ""
    password: str = ""


class _Rollback(Exception):
    """Raised inside a transaction so that everything written in it is undone."""


def unknown_code_message(code: str) -> str:
    """For a code that does not exist and one out of the user's reach alike."""
    return _("No organization or unit with the code “%(code)s” within your reach.") % {"code": code}


class _AccountImport(SheetImport):
    headers = HEADERS
    header_by_key = _HEADER_BY_KEY
    header_marks = (NAME, ROLE)
    required = (NAME, PHONE, ROLE, CODE)

    def __init__(self, *, user: Any) -> None:
        super().__init__(user=user)
        self.roles = _role_names()
        self.name_length = get_user_model()._meta.get_field("full_name").max_length

    def no_header_message(self) -> str:
        return _("No header row found: one of the first %(n)d rows must hold the headers 姓名 and 角色.") % {
            "n": self.header_scan_rows
        }

    # one row, cell by cell

    def parse(self, line: int, cells: tuple[Any, ...]) -> Row | None:
        cell = self.cells(cells)
        if self.is_blank(cells, cell):
            return None
        row = Row(line, {})
        name = self.take(row, NAME, plain_text, cell(NAME))
        if name == "":
            self.problem(row, NAME, _("The person's name is required."))
        elif len(name) > self.name_length:
            self.problem(row, NAME, too_long(self.name_length))
        self.take(row, PHONE, self.phone, cell(PHONE))
        self.take(row, ROLE, self.role, cell(ROLE))
        code = self.take(row, CODE, cell_text, cell(CODE))
        if code == "":
            self.problem(row, CODE, _("The code of the organization or unit is required."))
        return row

    def phone(self, value: Any) -> str:
        text = cell_text(value)
        if not text:
            raise Invalid(_("The mobile phone number is required: it is how the account is known."))
        try:
            return services.normalize_phone(text)
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc

    def role(self, value: Any) -> str:
        text = cell_text(value)
        role = self.roles.get(header_key(text))
        if role is None:
            labels = "、".join(str(r.label) for r in Role)
            raise Invalid(_("“%(value)s” is not a role: write one of %(roles)s.") % {"value": text, "roles": labels})
        return role

    # lookups, a fixed number of queries for the whole file

    def load_rows(self, rows: list[Row]) -> None:
        codes = {r.values[CODE] for r in rows if isinstance(r.values.get(CODE), str) and r.values[CODE]}
        phones = {r.values[PHONE] for r in rows if isinstance(r.values.get(PHONE), str)}
        organizations = Organization.objects.filter(code__in=codes).select_related("unit")
        units = Unit.objects.filter(code__in=codes).select_related("organization")
        paths = granting_paths(self.user) if self.user is not None else None
        if paths is not None:
            # Only where the user may grant: anything else reads as a code that does not exist.
            inside = reduce(or_, (Q(path__startswith=p) for p in paths), Q(pk__in=[]))
            organizations = organizations.filter(inside)
            units = units.filter(reduce(or_, (Q(organization__path__startswith=p) for p in paths), Q(pk__in=[])))
        self.organizations = {o.code: o for o in organizations}
        self.units = {u.code: u for u in units}
        user_model = get_user_model()
        self.accounts = {u.phone: u for u in user_model.objects.filter(phone__in=phones)}
        if self.user is None:
            self.managed = {u.pk for u in self.accounts.values()}
        else:
            self.managed = set(
                managed_accounts(by=self.user).filter(phone__in=phones).values_list("pk", flat=True).order_by()
            )
        self.held = set(
            RoleAssignment.objects.filter(user__phone__in=phones).values_list(
                "user_id", "role", "organization_id", "unit_id"
            )
        )

    # against the database

    def check(self, row: Row, first: dict[str, Row]) -> bool:
        values = row.values
        phone, role, code = values.get(PHONE), values.get(ROLE), values.get(CODE)
        if isinstance(phone, str):
            earlier = first.setdefault(phone, row)
            if earlier is not row and isinstance(values[NAME], str) and earlier.values[NAME] != values[NAME]:
                self.problem(
                    row,
                    NAME,
                    _("Row %(row)d gives this mobile number to %(name)s: one number, one person.")
                    % {"row": earlier.line, "name": earlier.values[NAME]},
                )
            account = self.accounts.get(phone)
            if account is not None and account.pk not in self.managed:
                self.problem(row, PHONE, _("This mobile number belongs to an account you may not change."))
            elif account is not None and not account.is_active:
                self.problem(row, PHONE, _("This mobile number belongs to a deactivated account: switch it on first."))
        if isinstance(code, str) and code:
            if role in ORGANIZATION_ROLES:
                target = self.organizations.get(code)
            elif role is BAD:
                target = self.organizations.get(code) or self.units.get(code)
            else:
                target = self.units.get(code)
            if target is None:
                self.problem(row, CODE, unknown_code_message(code))
            values["target"] = target
        return not row.bad

    def binding(self, row: Row) -> dict[str, Any]:
        if row.values[ROLE] in ORGANIZATION_ROLES:
            return {"organization": row.values["target"], "unit": None}
        return {"organization": None, "unit": row.values["target"]}

    def write(self, row: Row, made: dict[str, Any], result: ImportResult) -> None:
        values = row.values
        binding = self.binding(row)
        account = made.get(values[PHONE]) or self.accounts.get(values[PHONE])
        preview = AccountPreview(
            row.line,
            "unchanged",
            values[NAME],
            mask_phone(values[PHONE]),
            str(Role(values[ROLE]).label),
            values[CODE],
        )
        try:
            with transaction.atomic():
                if account is None:
                    account, password = services.account_create(
                        full_name=values[NAME], phone=values[PHONE], role=values[ROLE], by=self.user, **binding
                    )
                    made[values[PHONE]] = account
                    self.held.add(
                        (account.pk, values[ROLE], *(getattr(binding[k], "pk", None) for k in ("organization", "unit")))
                    )
                    preview.action, preview.username, preview.password = "create", account.username, password
                else:
                    key = (
                        account.pk,
                        values[ROLE],
                        *(getattr(binding[k], "pk", None) for k in ("organization", "unit")),
                    )
                    if account.full_name != values[NAME]:
                        services.account_update(user=account, full_name=values[NAME], by=self.user)
                        preview.changes.append(self.column(NAME))
                    if key not in self.held:
                        services.role_assign(user=account, role=values[ROLE], by=self.user, **binding)
                        self.held.add(key)
                        preview.changes.append(self.column(ROLE))
                    if preview.changes:
                        preview.action = "update"
                    preview.username = account.username
        except ValidationError as exc:
            self.service_problem(row, exc, _FIELD_COLUMNS, ROLE)
            return
        if preview.action == "create":
            result.created += 1
        elif preview.action == "update":
            result.updated += 1
        else:
            result.unchanged += 1
        result.preview.append(preview)

    def run(self, source: Any, filename: str, dry_run: bool) -> ImportResult:
        result = ImportResult()
        parsed = self.read(source, filename)
        if parsed is None:
            return self.finish(result)
        self.load_rows(parsed)
        first: dict[str, Row] = {}
        good = [row for row in parsed if self.check(row, first)]
        made: dict[str, Any] = {}
        try:
            with transaction.atomic():
                for row in good:
                    self.write(row, made, result)
                if self.problems or dry_run:
                    raise _Rollback
        except _Rollback:
            for preview in result.preview:
                preview.password = ""  # nothing was kept: no password to hand over
                if dry_run and preview.action == "create":
                    preview.username = ""
        return self.finish(result)


def import_accounts(
    source: str | PathLike[str] | IO[bytes], *, filename: str, user: Any = None, dry_run: bool = False
) -> ImportResult:
    """Check an account list and, when every row is good (and not ``dry_run``), write it in one transaction.

    ``user`` is the importing user, held to the grant rule (None: the command line, which may grant
    anything). The result's preview rows of new accounts carry their login names and one-time passwords
    (after a real import only): show them once, to the person who hands them over.
    """
    return _AccountImport(user=user).run(source, filename, dry_run)


def account_template(*, fmt: str) -> bytes:
    """An empty account list with the headers and one example row."""
    from yiling.spreadsheets import write_table

    example = ["王芳", "13800000000", str(Role.COMMUNITY_SECRETARY.label), "ORG-YL-XXT-XA"]
    return write_table(ACCOUNT_COLUMNS, [example], fmt=fmt, title="账号")
