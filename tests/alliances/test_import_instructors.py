"""The instructors' list: an export imports back unchanged; rows send and end instructors through the
services; a party member is found by name among those the user sees; all or nothing."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from alliances.instructors_import import INSTRUCTOR_COLUMNS, export_instructors, import_instructors
from alliances.models import InstructorAssignment
from tests.members.factories import make_member

from .factories import make_enterprise, park_secretary

pytestmark = pytest.mark.django_db


def xlsx(path: Path, rows: list[dict]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(INSTRUCTOR_COLUMNS)
    for row in rows:
        sheet.append([row.get(h) for h in INSTRUCTOR_COLUMNS])
    workbook.save(path)
    return path


def test_rows_send_and_end_instructors_and_an_export_imports_back(tree, tmp_path):
    firms = [make_enterprise(tree, name=f"企业{i}") for i in range(2)]
    member = make_member(name="李指导", home_organization=tree["park"])
    rows = [
        {"企业编码": firms[0].code, "指导员姓名": "李指导", "是否本区党员": "是", "派驻日期": "2024-03-01"},
        {"企业编码": firms[1].code, "指导员姓名": "王顾问", "是否本区党员": "否", "派驻日期": "2024-03-01",
         "结束日期": "2024-12-31"},
    ]  # fmt: skip
    result = import_instructors(xlsx(tmp_path / "i.xlsx", rows), filename="i.xlsx", user=park_secretary(tree))
    assert (result.ok, result.created) == (True, 2), [p.line() for p in result.problems]
    assert InstructorAssignment.objects.get(enterprise=firms[0]).member == member
    assert InstructorAssignment.objects.get(enterprise=firms[1]).ended_on.isoformat() == "2024-12-31"
    exported = tmp_path / "e.csv"
    exported.write_bytes(export_instructors(InstructorAssignment.objects.all(), fmt="csv"))
    result = import_instructors(exported, filename="e.csv")
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 0, 0, 2)


def test_a_member_out_of_sight_or_a_bad_row_writes_nothing(tree, tmp_path):
    firm = make_enterprise(tree)
    make_member(name="外街党员", home_organization=tree["street"])
    rows = [
        {"企业编码": firm.code, "指导员姓名": "外街党员", "是否本区党员": "是", "派驻日期": "2024-03-01"},
        {"企业编码": "EN-NONE", "指导员姓名": "某人", "派驻日期": "不详"},
    ]
    result = import_instructors(xlsx(tmp_path / "i.xlsx", rows), filename="i.xlsx", user=park_secretary(tree))
    lines = [p.line() for p in result.problems]
    assert not result.ok and not InstructorAssignment.objects.exists()
    assert any(line.startswith("row 2, column 指导员姓名:") for line in lines), lines
    assert any(line.startswith("row 3, column 企业编码:") for line in lines), lines
    assert any(line.startswith("row 3, column 派驻日期:") for line in lines), lines
