"""`manage.py import_pairings FILE [--dry-run]` and the pairings admin's import and export: the same
all-or-nothing import as every importer, re-import a no-op, the export importing back."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from liaisons.models import Liaison
from liaisons.pairings_import import PAIRING_COLUMNS, export_pairings, import_pairings
from organizations.models import Role
from tests.organizations.factories import grant_admin, user_with_role

from .factories import long_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def csv_file(path, rows, headers=PAIRING_COLUMNS):
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_pairings", *args, stdout=out, stderr=err)
    finally:
        run.last = (out.getvalue(), err.getvalue())
    return out.getvalue(), err.getvalue()


def test_a_good_file_pairs_and_says_the_counts(world, tmp_path):
    start = long_ago(10).isoformat()
    path = csv_file(
        tmp_path / "p.csv",
        [
            [
                world["agency"].code,
                "",
                world["compound_b_unit"].code,
                "",
                long_ago(200).isoformat(),
                long_ago(100).isoformat(),
                "王科长",
                "",
                "",
            ],
            [
                "",
                "区人大办",
                "",
                world["compound_a_unit"].name,
                long_ago(200).isoformat(),
                long_ago(120).isoformat(),
                "",
                "李书记",
                "往年",
            ],
        ],
    )
    out, err = run(path, "--dry-run")
    assert out.splitlines() == ["Dry run: the file is good; nothing was written.", "created 2, updated 0, unchanged 0"]
    assert Liaison.objects.count() == 3
    out, err = run(path)
    assert out.strip() == "created 2, updated 0, unchanged 0" and err == ""
    assert Liaison.objects.count() == 5
    out, _ = run(path)
    assert out.strip() == "created 0, updated 0, unchanged 2"
    assert start


def test_a_bad_file_names_row_and_column_and_writes_nothing(world, tmp_path):
    path = csv_file(
        tmp_path / "p.csv",
        [
            [
                world["agency"].code,
                "",
                world["compound_b_unit"].code,
                "",
                long_ago(200).isoformat(),
                long_ago(100).isoformat(),
                "",
                "",
                "",
            ],
            ["AG-NONE", "", world["compound_b_unit"].code, "", "2020-13-01", "", "", "", ""],
            # Overlaps the agency's pairing with 甲小区 (row 2 is good, and rolled back with the rest).
            [world["agency"].code, "", world["bare_b"].code, "", long_ago(5).isoformat(), "", "", "", ""],
        ],
    )
    with pytest.raises(CommandError):
        run(path)
    _, err = run.last
    lines = err.splitlines()
    assert lines[0].startswith("row 3, column 单位编码: ")
    assert any(line.startswith("row 3, column 联系开始日期: ") for line in lines)
    assert any(line.startswith("row 4, column ") and "overlap" in line for line in lines)
    assert Liaison.objects.count() == 3


def test_ending_a_pairing_by_the_file(world, tmp_path):
    liaison = world["liaison_a"]
    row = [world["agency"].code, "", world["compound_a_unit"].code, "", liaison.started_on.isoformat()]
    path = csv_file(tmp_path / "p.csv", [[*row, timezone.localdate().isoformat(), "王科长", "", ""]])
    out, _ = run(path)
    assert out.strip() == "created 0, updated 1, unchanged 0"
    liaison.refresh_from_db()
    assert liaison.ended_on == timezone.localdate()


def test_the_export_imports_back_unchanged(world, tmp_path):
    content = export_pairings(Liaison.objects.all(), fmt="xlsx")
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    result = import_pairings(str(path), filename="export.xlsx")
    assert result.ok, [str(p) for p in result.problems]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


def test_a_street_user_may_name_only_compounds_in_reach(world, tmp_path):
    user = world["users"]["other_street"]
    path = csv_file(
        tmp_path / "p.csv",
        [
            [
                world["agency"].code,
                "",
                world["compound_b_unit"].code,
                "",
                long_ago(200).isoformat(),
                long_ago(100).isoformat(),
                "",
                "",
                "",
            ]
        ],
    )
    result = import_pairings(path, filename="p.csv", user=user)
    assert not result.ok
    assert "No compound with the code" in str(result.problems[0])


def test_admin_import_previews_then_confirms_and_export_is_scoped(world, client, tmp_path):
    staff = user_with_role(Role.STREET_STAFF, organization=world["street_a"], password=None)
    grant_admin(staff, Liaison)
    client.force_login(staff)
    export = client.get(reverse("admin:liaisons_liaison_export") + "?format=csv")
    text = export.content.decode("utf-8-sig")
    assert world["compound_a_unit"].name in text and world["bare_b"].name in text
    assert world["compound_b_unit"].name in text  # the ended pairing, in the street's reach
    other = user_with_role(Role.STREET_STAFF, organization=world["street_b"], password=None)
    grant_admin(other, Liaison)
    client.force_login(other)
    export = client.get(reverse("admin:liaisons_liaison_export") + "?format=csv")
    assert world["compound_a_unit"].name not in export.content.decode("utf-8-sig")
    client.force_login(staff)
    path = csv_file(
        tmp_path / "p.csv",
        [
            [
                world["agency"].code,
                "",
                world["compound_b_unit"].code,
                "",
                long_ago(200).isoformat(),
                long_ago(100).isoformat(),
                "",
                "",
                "",
            ]
        ],
    )
    with open(path, "rb") as upload:
        preview = client.post(reverse("admin:liaisons_liaison_import"), {"file": upload})
    assert preview.status_code == 200 and preview.context["token"]
    assert Liaison.objects.count() == 3
    done = client.post(reverse("admin:liaisons_liaison_import"), {"token": preview.context["token"]})
    assert done.status_code == 302
    assert Liaison.objects.count() == 4
