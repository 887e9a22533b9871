"""The account import (姓名, 手机号, 角色, 组织或单位代码): all or nothing, problems named by row and
column in Chinese, no oracle on codes out of reach, and a second import of the same file a no-op."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from organizations.accounts_import import import_accounts
from organizations.models import Role, RoleAssignment

from .factories import user_with_role

pytestmark = pytest.mark.django_db
User = get_user_model()
HEADER = ["姓名", "手机号", "角色", "组织或单位代码"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def write(tmp_path, rows, name="accounts.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return path


def run(path, **kwargs):
    return import_accounts(str(path), filename=path.name, **kwargs)


def good_rows(tree):
    return [
        ["王芳", "13800001111", "社区书记", tree["comm_a"].code],
        ["王芳", "138-0000-1111", "compound_secretary", tree["compound_a"].code],
        ["李明", "13900002222", "小区党支部书记", tree["compound_b"].code],
    ]


def test_a_good_file_creates_the_accounts_with_their_roles_and_one_time_passwords(tree, tmp_path):
    clerk = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    result = run(write(tmp_path, good_rows(tree)), user=clerk)

    assert result.ok, [str(p) for p in result.problems]
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    wang = User.objects.get(phone="13800001111")
    assert (wang.full_name, wang.must_change_password) == ("王芳", True)
    assert set(RoleAssignment.objects.filter(user=wang).values_list("role", "organization")) == {
        (Role.COMMUNITY_SECRETARY, tree["comm_a"].pk),
        (Role.COMPOUND_SECRETARY, tree["compound_a"].pk),
    }
    created = {p.row: p for p in result.preview if p.action == "create"}
    assert sorted(created) == [2, 4]
    assert wang.check_password(created[2].password) and created[2].username == wang.username
    assert created[2].phone == "138****1111"
    assert wang.history.first().history_user == clerk


def test_importing_the_same_file_again_changes_nothing(tree, tmp_path):
    path = write(tmp_path, good_rows(tree))
    assert run(path).ok
    before = list(User.objects.order_by("pk").values_list("pk", "password", "full_name"))
    roles = RoleAssignment.objects.count()

    again = run(path)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert all(p.password == "" for p in again.preview)
    assert list(User.objects.order_by("pk").values_list("pk", "password", "full_name")) == before
    assert RoleAssignment.objects.count() == roles


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_written(tree, tmp_path):
    rows = [
        *good_rows(tree),
        ["", "13700003333", "社区书记", tree["comm_b"].code],
        ["赵四", "12345", "社区书记", tree["comm_b"].code],
        ["钱五", "13600004444", "书记", tree["comm_b"].code],
        ["孙六", "13500005555", "社区书记", "NO-SUCH"],
        ["周七", "13400006666", "社区书记", tree["compound_a"].code],
        ["吴八", "13900002222", "社区书记", tree["comm_b"].code],
    ]
    result = run(write(tmp_path, rows))

    assert [str(p) for p in result.problems] == [
        "第 5 行，姓名 列：请填写姓名。",
        "第 6 行，手机号 列：请输入以 1 开头的 11 位手机号码。",
        "第 7 行，角色 列：“书记”不是角色：请填写 区委组织部工作人员、街道（园区）工作人员、社区书记、"
        "小区党支部书记、单位联络员、党员商户、商圈党组织书记 之一。",
        "第 8 行，组织或单位代码 列：您的权限范围内没有代码为“NO-SUCH”的组织或单位。",
        "第 9 行，组织或单位代码 列：社区书记必须绑定到所在单位为社区的党组织。",
        "第 10 行，姓名 列：第 4 行已把这个手机号码给了李明：一个号码只能对应一个人。",
    ]
    assert not User.objects.filter(phone__startswith="1").exists()


def test_a_code_out_of_reach_reads_like_one_that_does_not_exist(tree, tmp_path):
    street = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    other_street = tree["comm_c"].code
    result = run(
        write(
            tmp_path, [["赵四", "13700003333", "社区书记", other_street], ["钱五", "13600004444", "社区书记", "ZZ-99"]]
        ),
        user=street,
    )
    messages = [p.reason.replace(other_street, "CODE").replace("ZZ-99", "CODE") for p in result.problems]
    assert len(messages) == 2 and messages[0] == messages[1]
    assert not User.objects.filter(full_name__in=["赵四", "钱五"]).exists()


def test_street_staff_import_inside_their_street_and_not_other_accounts(tree, tmp_path):
    street = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    outsider = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_c"], phone="13700007777")
    result = run(
        write(
            tmp_path,
            [
                ["王芳", "13800001111", "社区书记", tree["comm_b"].code],
                [outsider.full_name, "13700007777", "社区书记", tree["comm_b"].code],
                ["李明", "13900002222", "街道（园区）工作人员", tree["street_a"].code],
            ],
        ),
        user=street,
    )
    assert [(p.row, p.column) for p in result.problems] == [(3, "手机号"), (4, "角色")]
    assert not RoleAssignment.objects.filter(user=outsider, organization=tree["comm_b"]).exists()


def test_the_command_checks_prints_the_passwords_once_and_refuses_bad_files(tree, tmp_path):
    path = write(tmp_path, good_rows(tree))
    out = io.StringIO()
    call_command("import_accounts", str(path), "--dry-run", stdout=out)
    assert "created 2, updated 1, unchanged 0" in out.getvalue()
    assert not User.objects.filter(phone="13800001111").exists()

    out = io.StringIO()
    call_command("import_accounts", str(path), stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines() if line.startswith("new account")]
    wang = User.objects.get(phone="13800001111")
    assert [line[2:4] for line in lines][0][0] == "2" and lines[0][3] == wang.username
    assert wang.check_password(lines[0][4])

    bad = write(tmp_path, [["赵四", "12345", "社区书记", tree["comm_b"].code]], name="bad.csv")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_accounts", str(bad), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith("row 2, column 手机号: ")


@pytest.mark.parametrize("placeholder", ["无", "空", "—", "－", "-", "/", "／", "暂无", " 无 ", "\u3000－\u3000"])
def test_a_placeholder_in_a_cell_is_reported_as_missing_like_an_empty_one(tree, tmp_path, placeholder):
    """Every column of the account import is required: a placeholder (无, -, / …) is an empty cell."""
    good = ["赵四", "13700003333", "社区书记", tree["comm_b"].code]
    rows = [[*good[:i], cell, *good[i + 1 :]] for cell in ("", placeholder) for i in range(4)]
    for n, row in enumerate(rows):  # a phone of its own per row, unless the phone is the cell tried
        if row[1] == good[1]:
            row[1] = f"1370000{n:04d}"

    result = run(write(tmp_path, rows))

    lines = [(p.row, p.column, p.reason) for p in result.problems]
    by_empty = [(column, reason) for row, column, reason in lines if row < 6]
    by_placeholder = [(column, reason) for row, column, reason in lines if row >= 6]
    assert [column for column, _reason in by_empty] == HEADER
    assert by_placeholder == by_empty
    assert not User.objects.filter(phone__startswith="137").exists()
