"""`manage.py import_enterprises FILE [--dry-run]` and the enterprise list export: all or nothing, every
problem named by row and column, an export imports back unchanged, and the user's reach is kept."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from alliances.enterprises_import import ENTERPRISE_COLUMNS, export_enterprises, import_enterprises
from alliances.models import EnterpriseProfile, FormationMode, Sector
from organizations.models import Unit, UnitType
from tests.organizations.factories import user_with_role

from .factories import park_secretary

pytestmark = pytest.mark.django_db


def xlsx(path: Path, rows: list[dict], *, title: str = "园区企业台账") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.append(ENTERPRISE_COLUMNS)
    for row in rows:
        sheet.append([row.get(h) for h in ENTERPRISE_COLUMNS])
    workbook.save(path)
    return path


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_enterprises", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def good_rows(tree) -> list[dict]:
    branch = tree["branches"][0]
    return [
        {"企业编码": branch.unit.code, "企业名称": "娃哈哈饮料", "所属园区": tree["park"].unit.code, "行业": "食品饮料",
         "职工人数": "1,200", "规模以上企业": "是", "党建示范点": "是", "党员人数": 35, "组建方式": "单独建",
         "所在党组织": branch.code},
        {"企业编码": "EN-NEW", "企业名称": "新建电商公司", "所属园区": tree["park"].unit.name, "行业": "电商",
         "职工人数": 40, "规模以上企业": "否", "党建示范点": "否", "党员人数": 2, "组建方式": "挂靠建",
         "所在党组织": tree["park"].code},
    ]  # fmt: skip


def test_good_file_creates_and_updates_then_reimport_is_a_no_op(tree, tmp_path):
    path = xlsx(tmp_path / "e.xlsx", good_rows(tree))
    out, _err = run(path, "--dry-run")
    assert out.strip().endswith("created 1, updated 1, unchanged 0")
    assert not EnterpriseProfile.objects.exists()
    out, _err = run(path)
    assert out.strip() == "created 1, updated 1, unchanged 0"
    new = EnterpriseProfile.objects.get(unit__code="EN-NEW")
    assert (new.sector, new.formation_mode, new.branch, new.unit.parent) == (
        Sector.E_COMMERCE, FormationMode.ATTACHED, tree["park"], tree["park"].unit,
    )  # fmt: skip
    assert EnterpriseProfile.objects.get(unit=tree["branches"][0].unit).staff == 1200
    assert run(path)[0].strip() == "created 0, updated 0, unchanged 2"


def test_export_imports_back_unchanged(tree, tmp_path):
    run(xlsx(tmp_path / "e.xlsx", good_rows(tree)))
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(export_enterprises(EnterpriseProfile.objects.all(), fmt="xlsx"))
    assert run(exported)[0].strip() == "created 0, updated 0, unchanged 2"


def test_one_bad_row_writes_nothing_and_names_row_and_column(tree, tmp_path):
    rows = good_rows(tree)
    rows[1].update({"规模以上企业": "大概", "组建方式": "随便建", "所在党组织": ""})
    rows.append({"企业编码": "bad code!", "企业名称": ""})
    with pytest.raises(CommandError):
        run(xlsx(tmp_path / "e.xlsx", rows))
    assert not EnterpriseProfile.objects.exists() and not Unit.objects.filter(code="EN-NEW").exists()
    _out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_enterprises", str(tmp_path / "e.xlsx"), stderr=err)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("row 4, column 规模以上企业:") for line in lines), lines
    assert any(line.startswith("row 4, column 组建方式:") for line in lines), lines
    assert any(line.startswith("row 5, column 企业编码:") for line in lines), lines


def test_a_mode_without_its_organization_is_refused_by_the_service(tree, tmp_path):
    rows = good_rows(tree)[:1]
    rows[0]["所在党组织"] = ""
    with pytest.raises(CommandError):
        run(xlsx(tmp_path / "e.xlsx", rows))
    assert not EnterpriseProfile.objects.exists()


def test_a_park_secretary_touches_only_their_park(tree, tmp_path):
    outsider_firm = tree["other_branch"].unit
    rows = [{"企业编码": outsider_firm.code, "企业名称": "外园企业", "组建方式": "未建"}]
    result = import_enterprises(xlsx(tmp_path / "e.xlsx", rows), filename="e.xlsx", user=park_secretary(tree))
    assert not result.ok
    assert "外园企业党支部" not in " ".join(p.line() for p in result.problems)
    assert result.problems[0].line().endswith("已被使用：请换一个编码。")
    street = user_with_role("street_staff", organization=tree["street"])
    rows = [{"企业编码": "EN-X", "企业名称": "某企业", "所属园区": tree["park"].unit.code}]
    result = import_enterprises(xlsx(tmp_path / "f.xlsx", rows), filename="f.xlsx", user=street)
    assert not result.ok and not Unit.objects.filter(code="EN-X", unit_type=UnitType.ENTERPRISE).exists()
