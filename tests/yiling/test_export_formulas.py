"""No export writes a live formula: every free-text field of every model holds a formula payload, every
export the admin and the portal offer is run in every format, and no cell of any file starts with
what a spreadsheet runs (``= + - @``, tab, carriage return) unless it is a real number.

The fields and the exports are discovered (the models' CharFields and TextFields, the admin site's
registry, the formats each admin offers), so a model, field, admin or format added later is covered
without touching this test.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import openpyxl
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from treebeard.mp_tree import MP_Node

from organizations import services
from organizations.models import OwnersCommittee, Role, Unit
from organizations.resources import OwnersCommitteeResource, UnitResource
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, user_with_role
from tests.organizations.test_governance_admin import governance_of
from yiling.admin import SpreadsheetAdminMixin
from yiling.spreadsheets import (
    CONTENT_TYPES,
    FORMULA_START,
    cell_text,
    escape_formula,
    unescape_formula,
    without_controls,
    write_table,
)

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
#: The project's own apps: every model an export may write lives in one of them.
PROJECT_APPS = ("yiling", "organizations", "members", "alliances", "merchants", "liaisons")
#: A real number, which CSV writes as text: "-5" opens as minus five, not as a formula.
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def free_text_fields(model: type[models.Model]) -> list[models.Field]:
    """The model's text fields a person types freely (no choices; not a tree path or password hash)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and not (issubclass(model, MP_Node) and f.name == "path")
        and not (model is get_user_model() and f.name == "password")
    ]


def payload(field: models.Field, variant: int, pk: int) -> str:
    """A payload for one field of one row, unique per row and within the field's length."""
    text, suffix = PAYLOADS[variant % len(PAYLOADS)], str(pk)
    limit = field.max_length or 200
    return text[: max(1, limit - len(suffix))] + suffix[: max(0, limit - 1)]


def plant_payloads() -> dict[str, list[str]]:
    """Every free-text field of every row of every project model gets a payload, written past the
    services (as a value typed anywhere would end up). Returns, per model, the fields the database
    refuses any payload for: those cannot carry one to an export."""
    refused: dict[str, list[str]] = {}
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model._meta.proxy or model.__name__.startswith("Historical"):
            continue
        fields = free_text_fields(model)
        for variant, pk in enumerate(model._base_manager.order_by("pk").values_list("pk", flat=True)):
            for offset, field in enumerate(fields):
                for attempt in range(len(PAYLOADS)):
                    try:
                        with transaction.atomic():
                            model._base_manager.filter(pk=pk).update(
                                **{field.attname: payload(field, variant + offset + attempt, pk)}
                            )
                        break
                    except IntegrityError:
                        continue
                else:
                    refused.setdefault(model.__name__, []).append(field.name)
    return refused


def cells(content: bytes, fmt: str) -> list:
    """Every cell of an export but its header row."""
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        found = []
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    assert cell.data_type != "f", f"a formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
                    found.append(cell.value)
        return found
    if fmt == "csv":
        return [
            value for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))[1:] for value in row
        ]
    raise AssertionError(f"an export format this test cannot read yet: {fmt}")


def check_export(name: str, content: bytes, fmt: str) -> set[str]:
    """Assert no cell of the file would run as a formula; return the payloads found escaped."""
    escaped = set()
    for value in cells(content, fmt):
        if not isinstance(value, str) or not value:
            continue
        if fmt == "csv" and NUMBER.fullmatch(value):
            continue
        assert not value.startswith(FORMULA_START), f"{name} ({fmt}) writes a live formula: {value!r}"
        escaped.update(p for p in PAYLOADS if value.startswith("'" + p[:2]))
    assert escaped, f"{name} ({fmt}) holds none of the payloads: the test would prove nothing"
    return escaped


def is_file(response) -> bool:
    return response.status_code == 200 and "attachment" in response.get("Content-Disposition", "")


def fetch(client, url: str, data: dict) -> bytes:
    """A download by GET; by POST (with the same parameters) where a full-data export refuses GET."""
    response = client.get(url, data)
    if not is_file(response):
        response = client.post(f"{url}?{urlencode(data)}", data)
    assert is_file(response), f"{url} {data}: {response.status_code}"
    return response.content


def library_exports(client, model_admin) -> list[tuple[str, bytes]]:
    """Every format the admin's django-import-export export offers, with every field selected."""
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_export")
    form = client.get(url).context["form"]
    selected = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    files = []
    for index, fmt in form.fields["format"].choices:
        if index == "":
            continue
        response = client.post(url, {"format": index, "resource": "0", **selected})
        assert is_file(response), f"{url} {fmt}: {response.status_code}"
        files.append((str(fmt).lower(), response.content))
    return files


@pytest.fixture
def tree():
    return district_tree()


def test_every_export_escapes_formulas_in_every_free_text_field(tree, client):
    governance_of(tree["compound_a"], "甲")
    governance_of(tree["compound_b"], "乙")
    make_member(home_organization=tree["compound_a"], residence=tree["compound_a"].unit, employer=tree["agency"])
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])  # an account for the accounts export
    # --- merchants (issue 11): a merchant for the merchant export ---
    from tests.merchants.factories import make_market, make_merchant

    make_merchant(make_market(tree["street_a"]))
    # --- end merchants ---
    # --- liaisons: a pairing, a problem, a contribution and a deliberation to export --------------
    from liaisons import services as liaison_services
    from tests.liaisons.factories import long_ago, raise_demand

    pairing = liaison_services.liaison_start(
        agency=tree["agency"], compound=tree["compound_a"].unit, started_on=long_ago(30), agency_contact="王科长"
    )
    demand = raise_demand(tree["compound_a"].unit)
    liaison_services.contribution_record(liaison=pairing, kind="goods", given_on=long_ago(1), description="物资")
    liaison_services.deliberation_record(
        compound=pairing.compound, held_on=long_ago(1), topic="议事", attendees="张三", attendance=1,
        decisions="同意", demands=[demand],
    )  # fmt: skip
    # --- end liaisons -----------------------------------------------------------------------------
    # --- alliances (issue 13): a row of every alliances model ---
    from tests.alliances.factories import alliance_rows

    alliance_rows(tree["street_a"])
    # --- end alliances ---
    refused = plant_payloads()
    # Only a value the database refuses whatever it is may escape the payloads (none today).
    assert refused == {}
    client.force_login(get_user_model().objects.create_superuser("auditor", "auditor@example.cn", "x" * 12))

    exported: dict[str, set[str]] = {}
    for model, model_admin in admin.site._registry.items():
        name = model.__name__
        if isinstance(model_admin, ExportMixin):
            for fmt, content in library_exports(client, model_admin):
                exported[f"{name} {fmt}"] = check_export(name, content, fmt)
        if isinstance(model_admin, SpreadsheetAdminMixin):
            url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_export")
            for fmt in CONTENT_TYPES:
                exported[f"{name} {fmt}"] = check_export(name, fetch(client, url, {"format": fmt}), fmt)
    for fmt in CONTENT_TYPES:
        content = fetch(client, reverse("organizations:fund-execution"), {"format": fmt})
        exported[f"fund execution {fmt}"] = check_export("fund execution", content, fmt)

    # --- dashboards (issue 14): the tables of the district dashboard name organizations -------------
    for key in ("level0", "level1", "funds"):
        content = fetch(client, reverse("dashboards:district"), {"export": key, "format": "xlsx"})
        exported[f"dashboard {key} xlsx"] = check_export(f"dashboard {key}", content, "xlsx")
    # --- end of dashboards ---------------------------------------------------------------------------

    # The exports this test knows exist are among those it found and ran.
    for known in ("Organization", "Unit", "PropertyCompany", "OwnersCommittee", "Member", "Compound", "fund execution"):
        assert {f"{known} xlsx", f"{known} csv"} <= exported.keys(), known
    assert {"Liaison xlsx", "Liaison csv"} <= exported.keys()  # liaisons: the pairings export
    # Every kind of payload came out, escaped, somewhere.
    assert set().union(*exported.values()) == set(PAYLOADS)


# --- the escaping itself, numbers, and the way back ------------------------------------------------


@pytest.mark.parametrize("text", PAYLOADS)
def test_text_that_would_run_gets_an_apostrophe_and_loses_it_on_the_way_back(text):
    assert escape_formula(text) == "'" + text
    assert unescape_formula(escape_formula(text)) == text
    # A lone carriage return is a control character, which every import drops (a tab stays).
    assert cell_text(escape_formula(text)) == without_controls(text)


@pytest.mark.parametrize("value", [Decimal("-5.00"), -3, -0.5, date(2024, 1, 1), None, "恒大物业", "'quoted", ""])
def test_numbers_dates_and_plain_text_are_left_as_they_are(value):
    assert escape_formula(value) == value


def test_negative_numbers_stay_numbers_and_text_that_looks_negative_is_escaped(tree):
    # No stored count may be negative; a row as an importer might hold it shows the rule all the same.
    unit = Unit(code="X-1", name="甲", households=-3, address="-2+3")
    resource = UnitResource(user=None)
    headers = resource.get_export_headers()

    as_text = dict(zip(headers, resource.export_resource(unit), strict=True))  # CSV: every cell is text
    native = dict(zip(headers, resource.export_resource(unit, force_native_type=True), strict=True))  # XLSX

    assert (as_text["户数"], as_text["地址"]) == ("-3", "'-2+3")
    assert (native["户数"], native["地址"]) == (-3, "'-2+3")
    content = write_table(["n", "text"], [[Decimal("-5.50"), "-2+3"]], fmt="xlsx", title="t")
    row = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2))]
    assert row == [-5.5, "'-2+3"]


def test_an_escaped_library_export_imports_back_unchanged(tree):
    staff = get_user_model().objects.get(pk=user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]).pk)
    services.owners_committee_record(
        compound=tree["compound_a"].unit, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 4, 30),
        notes='=HYPERLINK("http://x","y")',
    )  # fmt: skip
    for fmt in (CSV(), XLSX()):
        exported = fmt.export_data(OwnersCommitteeResource(user=staff).export())
        dataset = fmt.create_dataset(exported)
        assert dataset.dict[0]["备注"] == '\'=HYPERLINK("http://x","y")'

        result = OwnersCommitteeResource(user=staff).import_data(dataset, dry_run=False)

        assert not result.has_errors() and not result.has_validation_errors()
        assert result.totals["skip"] == 1
        assert OwnersCommittee.objects.get().notes == '=HYPERLINK("http://x","y")'
