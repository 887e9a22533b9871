"""The alliance members' list: an export imports back unchanged; rows add and end memberships through the
services (moving the rotation), all or nothing, within the user's reach."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from alliances.members_import import MEMBER_COLUMNS, export_memberships, import_memberships
from alliances.models import AllianceMembership
from alliances.selectors import upcoming_hosts

from .factories import make_alliance, park_secretary

pytestmark = pytest.mark.django_db


def xlsx(path: Path, rows: list[dict]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(MEMBER_COLUMNS)
    for row in rows:
        sheet.append([row.get(h) for h in MEMBER_COLUMNS])
    workbook.save(path)
    return path


def test_export_imports_back_unchanged_and_rows_add_and_end(tree, tmp_path):
    alliance = make_alliance(tree, members=3)
    a, b, c, d = tree["branches"]
    exported = tmp_path / "m.xlsx"
    exported.write_bytes(export_memberships(AllianceMembership.objects.all(), fmt="xlsx"))
    result = import_memberships(exported, filename="m.xlsx")
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 0, 0, 3)

    rows = [
        {"联盟编码": alliance.code, "支部编码": b.code, "加入日期": "2024-01-10", "退出日期": "2024-06-30"},
        {"联盟编码": alliance.code, "支部编码": d.code, "加入日期": "2024-07-01"},
    ]
    result = import_memberships(xlsx(tmp_path / "n.xlsx", rows), filename="n.xlsx")
    assert (result.ok, result.created, result.updated) == (True, 1, 1), [p.line() for p in result.problems]
    alliance.refresh_from_db()
    assert [t.branch for t in upcoming_hosts(alliance, 3)] == [a, c, d]
    assert AllianceMembership.objects.get(alliance=alliance, branch=b).left_on == date(2024, 6, 30)


def test_a_bad_row_writes_nothing(tree, tmp_path):
    alliance = make_alliance(tree, members=1)
    rows = [
        {"联盟编码": alliance.code, "支部编码": tree["branches"][1].code, "加入日期": "2024-07-01"},
        {"联盟编码": alliance.code, "支部编码": tree["street"].code, "加入日期": "2024-07-01"},
        {"联盟编码": "NOPE", "支部编码": tree["branches"][2].code, "加入日期": "昨天"},
    ]
    result = import_memberships(xlsx(tmp_path / "m.xlsx", rows), filename="m.xlsx")
    lines = [p.line() for p in result.problems]
    assert not result.ok and AllianceMembership.objects.count() == 1
    assert any(line.startswith("row 3, column 支部编码:") for line in lines), lines
    assert any(line.startswith("row 4, column 联盟编码:") for line in lines), lines
    assert any(line.startswith("row 4, column 加入日期:") for line in lines), lines


def test_an_alliance_out_of_reach_reads_like_none(tree, tmp_path):
    from alliances import services

    other = services.alliance_create(
        code="OUT",
        name="外园联盟",
        park=tree["other_park"].unit,
        committee=tree["other_park"],
        formed_on=date(2024, 1, 1),
    )
    rows = [{"联盟编码": other.code, "支部编码": tree["other_branch"].code, "加入日期": "2024-02-01"}]
    result = import_memberships(xlsx(tmp_path / "m.xlsx", rows), filename="m.xlsx", user=park_secretary(tree))
    assert not result.ok and not AllianceMembership.objects.exists()
    assert "外园" not in " ".join(p.line() for p in result.problems)
