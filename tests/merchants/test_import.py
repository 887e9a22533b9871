"""``import_merchants``: the importers' contract (every bad row named, nothing written, re-import a no-op)."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from merchants.merchants_import import MERCHANT_COLUMNS, export_merchants, import_merchants
from merchants.models import Merchant
from organizations.models import Role
from tests.members.factories import make_member
from tests.organizations.factories import user_with_role


def _csv(tmp_path, rows, name="merchants.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(MERCHANT_COLUMNS)
        writer.writerows(rows)
    return path


def _row(code, name, district, licence, member, **extra):
    return [
        code, name, district, licence, member.name, member.id_number,
        extra.get("zone", ""), extra.get("post", ""), extra.get("plaque", ""), extra.get("status", ""),
        extra.get("reason", ""),
    ]  # fmt: skip


@pytest.fixture
def operators(market):
    return [make_member(name=f"经营者{i}", home_organization=market["market_a"]) for i in range(2)]


def _run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_merchants", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_file_creates_and_reimport_changes_nothing(tmp_path, market, operators):
    district = market["market_a"].unit
    path = _csv(
        tmp_path,
        [
            _row("SH-T-01", "新开粮店", district.code, "LIC-0001", operators[0], plaque="CJ-001"),
            _row("SH-T-02", "新开茶行", district.name, "LIC-0002", operators[1], status="暂停公示", reason="装修"),
        ],
    )
    out, err = _run(path, "--dry-run")
    assert (
        out.strip().endswith("created 2, updated 0, unchanged 0")
        and not Merchant.objects.filter(shop__code="SH-T-01").exists()
    )
    out, _err = _run(path)
    assert out.strip() == "created 2, updated 0, unchanged 0"
    suspended = Merchant.objects.get(shop__code="SH-T-02")
    assert suspended.status == "suspended" and suspended.status_reason == "装修"
    assert suspended.shop.parent == district and suspended.shop.organization == market["market_a"]
    out, _err = _run(path)
    assert out.strip() == "created 0, updated 0, unchanged 2"


def test_bad_rows_are_named_and_nothing_is_written(tmp_path, market, operators):
    path = _csv(
        tmp_path,
        [
            _row("SH-T-01", "新开粮店", market["market_a"].unit.code, "LIC-0001", operators[0]),
            _row("SH-T-03", "", "没有的市场", "", operators[1], status="营业中"),
        ],
    )
    with pytest.raises(CommandError):
        _run(path)
    _out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_merchants", str(path), stdout=_out, stderr=err)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("row 3, column 店铺名称") for line in lines)
    assert any(line.startswith("row 3, column 所属商圈") for line in lines)
    assert any(line.startswith("row 3, column 营业执照号") for line in lines)
    assert any(line.startswith("row 3, column 状态") for line in lines)
    assert not Merchant.objects.filter(shop__code="SH-T-01").exists()


def test_unknown_member_reads_the_same_as_a_wrong_name(tmp_path, market, operators):
    member = operators[0]
    path = _csv(tmp_path, [_row("SH-T-01", "店", market["market_a"].unit.code, "L1", member)])
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    rows[1][4] = "别人"
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    result = import_merchants(str(path), filename="m.csv")
    assert [p.column for p in result.problems] == ["经营党员身份证号"]


def test_secretary_cannot_import_into_another_district(tmp_path, market, operators):
    secretary = market["secretary"]
    path = _csv(tmp_path, [_row("SH-T-09", "店", market["market_b"].unit.code, "L9", operators[0])])
    result = import_merchants(str(path), filename="m.csv", user=secretary)
    assert [p.column for p in result.problems] == ["所属商圈"]
    other_shop = market["m_b"].shop
    path = _csv(tmp_path, [_row(other_shop.code, "改名", market["market_a"].unit.code, "L9", operators[0])])
    result = import_merchants(str(path), filename="m.csv", user=secretary)
    assert not result.ok and result.problems[0].column == "店铺编码"
    other_shop.refresh_from_db()
    assert other_shop.name == "东城鲜肉铺"


def test_masked_export_imports_back_unchanged(tmp_path, market):
    content = export_merchants(Merchant.objects.filter(pk=market["m_a"].pk), fmt="csv")
    text = content.decode("utf-8-sig")
    assert market["m_a"].operator.id_number not in text and "****" in text
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    result = import_merchants(
        str(path), filename="export.csv", user=user_with_role(Role.DISTRICT_STAFF, organization=market["root"])
    )
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 1)
