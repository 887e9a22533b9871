"""The admin import page of the tree's own importers (organizations, units, property companies, owners'
committees: django-import-export's page) as district staff meet it with a wrong file: every refusal
in Chinese, a refused cell named by its column header, no traceback, nothing written."""

from __future__ import annotations

import html
import io
import logging
import re

import pytest
from django.db import IntegrityError
from django.urls import reverse

from organizations import services
from organizations.models import Organization, OwnersCommittee, PropertyCompany, Role, Unit, UnitType
from organizations.resources import UnitResource
from tests.organizations.test_resources import admin_upload, unit_type_label

from .factories import grant_admin, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"], full_name="王组织员")
    grant_admin(user, Organization, Unit, PropertyCompany, OwnersCommittee)
    client.force_login(user)
    return user


def written() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Organization, Unit, PropertyCompany, OwnersCommittee))


def upload(client, model: str, text: str) -> str:
    """Upload ``text`` as a CSV file to the model's admin import; the page, as the user reads it."""
    data = io.BytesIO(text.encode("utf-8-sig"))
    data.name = "名单.csv"
    response = client.post(
        reverse(f"admin:organizations_{model}_import"),
        {"resource": "0", "format": "1", "import_file": data},  # the bounded formats: [xlsx, csv]
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def unit_row(tree, code: str, households: str) -> str:
    compound = unit_type_label(UnitType.COMPOUND)
    return f"{code},新小区,{compound},{tree['comm_c'].unit.code},{tree['comm_c'].code},{households}\n"


UNIT_HEADER = "代码,名称,类型,所属单位代码,负责党组织代码,户数\n"


@pytest.mark.parametrize(
    ("model", "missing"),
    [
        ("organization", "“代码”"),
        ("unit", "“代码”"),
        ("propertycompany", "“代码”"),
        ("ownerscommittee", "“小区编码”、“成立日期”"),
    ],
    ids=["organization", "unit", "propertycompany", "ownerscommittee"],
)
def test_a_file_without_the_column_that_finds_each_row_is_refused_in_chinese(tree, staff, client, model, missing):
    before = written()

    page = upload(client, model, "名称,备注\n甲,乙\n")

    assert f"表头中没有{missing}列：请以导出的表格为模板填写。" in page
    assert "Traceback" not in page and "import_id_fields" not in page and ".py" not in page
    assert written() == before


def test_a_refused_cell_is_named_by_its_column_header(tree, staff, client):
    before = written()

    page = upload(client, "unit", UNIT_HEADER + unit_row(tree, "U-N1", "abc") + unit_row(tree, "U-N2", "1.5"))

    assert "以下行没有通过检查，未导入任何数据" in page
    labels = re.findall(r'<span class="validation-error-field-label">([^<]*)</span>', page)
    assert labels == ["户数", "户数"]
    assert "“abc”不是整数。" in page and "“1.5”不是整数。" in page
    assert "ConversionSyntax" not in page
    assert written() == before


def test_counts_read_with_or_without_thousands_separators(tree, staff):
    headers = ["代码", "名称", "类型", "所属单位代码", "负责党组织代码", "户数", "人数"]
    compound = unit_type_label(UnitType.COMPOUND)
    parent, org = tree["comm_c"].unit.code, tree["comm_c"].code
    rows = [
        ["U-C1", "大小区", compound, parent, org, "1,234", "3，500"],
        ["U-C2", "小小区", compound, parent, org, 86, ""],
    ]

    result = UnitResource(user=staff).import_data(admin_upload(headers, rows, "xlsx"), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert dict(Unit.objects.filter(code__startswith="U-C").values_list("code", "households")) == {
        "U-C1": 1234,
        "U-C2": 86,
    }
    assert Unit.objects.get(code="U-C1").residents == 3500


def test_an_unforeseen_error_is_shown_only_as_such_and_logged(tree, staff, client, monkeypatch, caplog):
    def refused(**values):
        raise IntegrityError('duplicate key value violates unique constraint "x" DETAIL: Key (phone)=(13912345678)')

    monkeypatch.setattr(services, "unit_create", refused)
    before = written()

    with caplog.at_level(logging.ERROR, logger="yiling.resources"):
        page = upload(client, "unit", UNIT_HEADER + unit_row(tree, "U-N1", "12"))

    assert "导入因意外错误而中止，未导入任何数据；错误已记入日志。请告知区委组织部。" in page
    assert "13912345678" not in page and "IntegrityError" not in page and "Traceback" not in page
    assert written() == before
    [record] = [r for r in caplog.records if r.name == "yiling.resources"]
    assert isinstance(record.exc_info[1], IntegrityError)
