"""Hostile spreadsheets against every importer: each is refused with a clear message, writes nothing,
and is read within the bounds of ``yiling.spreadsheets.ImportLimits`` (memory and time measured).

The files are made here: a zip bomb (a sheet that unpacks far past the limit), a sheet of more than a
million rows streamed and one of twenty million declared, a CSV over the size limit and one under it
with too many rows, a shared-strings bomb, and a small sheet whose cells all repeat one long shared
string. Each goes to the two commands, the two admin imports
with a preview (roster, compounds) and django-import-export's admin import (units, property
companies). Each run is measured in a forked child: its peak resident memory (``ru_maxrss``, which
starts afresh in the child) and its time.
"""

from __future__ import annotations

import csv
import html
import io
import os
import pickle
import resource
import select
import signal
import time
import traceback
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.urls import reverse
from django.utils import translation

from members.idnumbers import make_id_number
from members.models import Member
from merchants.merchants_import import MERCHANT_COLUMNS
from organizations.compounds_import import COMPOUND_COLUMNS
from organizations.models import Organization, PropertyCompany, Unit
from tests.members.test_roster import DEPT_HEADERS, roster_csv
from tests.organizations.factories import district_tree
from tests.organizations.test_import_compounds import compounds_csv, row_of
from yiling.spreadsheets import ImportLimits, xlsx_rows

pytestmark = pytest.mark.slow

LIMITS = ImportLimits()
MAX_MEGABYTES = 300
MAX_SECONDS = 60
#: A run still going after this is killed (and fails).
KILL_AFTER = 2 * MAX_SECONDS

#: The headers every importer needs, so that each reads on past the header row into the rows.
# merchants (issue 11): and the merchant list's headers
HEADERS = list(dict.fromkeys(["姓名", "小区编码", "代码", "名称", *DEPT_HEADERS, *COMPOUND_COLUMNS, *MERCHANT_COLUMNS]))

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


# --- files -----------------------------------------------------------------------------------------


def write_xlsx(
    path: Path, rows: Iterable[bytes], *, shared_strings: Iterable[bytes] | None = None, dimension: str = "A1:B2"
) -> Path:
    """A workbook written part by part, as a hostile tool would: the sheet's ``<row>`` elements and
    the shared strings' ``<si>`` elements as given, streamed into the zip."""
    strings = shared_strings is not None
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>' if strings else "")
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (
                f'<Relationship Id="rId2" Type="{DOC_REL}/sharedStrings" Target="sharedStrings.xml"/>'
                if strings
                else ""
            )
            + "</Relationships>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN_NS}"><dimension ref="{dimension}"/><sheetData>'.encode())
            for chunk in _batched(rows):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
        if strings:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                out.write(f'<sst xmlns="{MAIN_NS}">'.encode())
                for chunk in _batched(shared_strings):
                    out.write(chunk)
                out.write(b"</sst>")
    return path


def _batched(chunks: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    batch: list[bytes] = []
    length = 0
    for chunk in chunks:
        batch.append(chunk)
        length += len(chunk)
        if length >= size:
            yield b"".join(batch)
            batch, length = [], 0
    yield b"".join(batch)


def inline_row(line: int, values: Iterable[str]) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values)
    return f'<row r="{line}">{cells}</row>'.encode()


def header_row() -> bytes:
    return inline_row(1, HEADERS)


def zip_bomb(path: Path) -> Path:
    """A header, then 400 MB of rows of empty cells: about 400 KB packed."""
    row = b"<row>" + b"<c/>" * 1000 + b"</row>"
    return write_xlsx(path, [header_row(), *(row for _ in range(100_000))])


def streamed_rows(path: Path) -> Path:
    """A header and 1.2 million numbered rows (86 MB unpacked, 5 MB packed, under every size limit),
    behind a ``<dimension>`` that claims two rows."""

    def rows() -> Iterator[bytes]:
        yield header_row()
        for line in range(2, 1_200_000):
            yield b"<row><c><v>%d</v></c><c><v>%d</v></c><c><v>%d</v></c></row>" % (line, line, line)

    return write_xlsx(path, rows())


def declared_rows(path: Path) -> Path:
    """A header and one row numbered 20,000,000: the rows between are there as far as a reader knows."""
    return write_xlsx(path, [header_row(), inline_row(20_000_000, ["张三", "CP-1", "U-1"])])


def shared_strings_bomb(path: Path) -> Path:
    """A header, one row, and 200 MB of shared strings (200 KB packed)."""
    strings = (b"<si><t>" + b"x" * 1000 + b"</t></si>" for _ in range(200_000))
    rows = [header_row(), b'<row r="2"><c t="s"><v>0</v></c><c t="s"><v>0</v></c></row>']
    return write_xlsx(path, rows, shared_strings=strings)


def shared_strings_amplified(path: Path) -> Path:
    """One shared string of 32,000 characters, used by every cell of 2,000 rows: 20 bytes of sheet a
    cell, 1.7 billion characters if each cell were read as its text."""

    def rows() -> Iterator[bytes]:
        yield header_row()
        for line in range(2, 2_002):
            yield (
                b'<row r="%d">' % line
                + b"".join(b'<c r="%s%d" t="s"><v>0</v></c>' % (bytes([65 + column]), line) for column in range(26))
                + b"</row>"
            )

    return write_xlsx(path, rows(), shared_strings=[b"<si><t>" + "张".encode() * 32_000 + b"</t></si>"])


def big_csv(path: Path) -> Path:
    """About 10.5 MB of CSV: over the import's size limit, under the request-body limit (a larger upload
    is refused before it is read, with 413: tests/yiling/test_uploads.py)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        while out.tell() < LIMITS.max_file_bytes + 256 * 1024:
            writer.writerows([["张三", f"CP-{n}", f"U-{n}"] for n in range(10_000)])
    return path


def long_csv(path: Path) -> Path:
    """300,000 rows in 6 MB: under the size limit, over the row limit."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(["张三", f"CP-{n}", f"U-{n}"] for n in range(300_000))
    return path


#: Each hostile file, and what the refusal says (in Chinese).
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zip-bomb.xlsx": (zip_bomb, "xl/worksheets/sheet1.xml 解压后超过 100 MB"),
    "streamed-rows.xlsx": (streamed_rows, "表头下的数据超过 {rows} 行"),
    "declared-rows.xlsx": (declared_rows, "表头下的数据超过 {rows} 行"),
    "big.csv": (big_csv, "一次最多只能导入 10 MB"),
    "long.csv": (long_csv, "表头下的数据超过 {rows} 行"),
    "shared-strings-bomb.xlsx": (shared_strings_bomb, "xl/sharedStrings.xml 解压后超过 20 MB"),
    "shared-strings-amplified.xlsx": (shared_strings_amplified, "工作表中的文字超过 20,000,000 个字符"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("hostile")
    files = {name: make(directory / name) for name, (make, _message) in HOSTILE.items()}
    assert all(path.stat().st_size < LIMITS.max_file_bytes for name, path in files.items() if name != "big.csv")
    return files


def test_the_hostile_files_are_what_they_claim(hostile):
    with zipfile.ZipFile(hostile["zip-bomb.xlsx"]) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 3 * LIMITS.max_unpacked_bytes
    with zipfile.ZipFile(hostile["shared-strings-bomb.xlsx"]) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size > LIMITS.max_unpacked_bytes
    with zipfile.ZipFile(hostile["streamed-rows.xlsx"]) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        assert 0.5 * LIMITS.max_unpacked_bytes < sheet.file_size < LIMITS.max_unpacked_bytes
        assert sheet.file_size < LIMITS.max_compression_ratio * sheet.compress_size
    with zipfile.ZipFile(hostile["shared-strings-amplified.xlsx"]) as archive:
        assert sum(info.file_size for info in archive.infolist()) < 2 * 1024 * 1024
    assert hostile["big.csv"].stat().st_size > LIMITS.max_file_bytes
    with hostile["long.csv"].open(encoding="utf-8") as lines:
        assert sum(1 for _line in lines) > 2 * LIMITS.max_rows


# --- measuring -------------------------------------------------------------------------------------


@dataclass
class Measured:
    value: Any
    seconds: float
    megabytes: float


#: Connections a forked child inherited and must never close: their sockets are the parent's.
_inherited: list[Any] = []


def measured(run: Callable[[], Any]) -> Measured:
    """``run()`` in a forked child: what it returns, its time and how far its peak resident memory
    rose. The child may not take more than 1.5 GB of address space beyond its start, so a broken
    limit fails the test instead of exhausting the machine."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        try:
            for conn in connections.all(initialized_only=True):
                if conn.vendor != "sqlite" and conn.connection is not None:
                    # A server connection is shared with the parent: open our own (the test's data is
                    # committed, see transaction=True) and never close the inherited one.
                    _inherited.append(conn.connection)
                    conn.connection = None
            size = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (size + 1536 * 1024 * 1024, resource.RLIM_INFINITY))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.monotonic()
            with translation.override("zh-hans"):
                value = run()
            seconds = time.monotonic() - start
            rise = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            payload = ("ok", value, seconds, rise)
        except BaseException:  # anything, reported to the parent
            payload = ("error", traceback.format_exc(), 0.0, 0.0)
        with os.fdopen(writer, "wb") as out:
            pickle.dump(payload, out)
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as stream:
        ready, _w, _x = select.select([stream], [], [], KILL_AFTER)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"still running after {KILL_AFTER} s")
        status, value, seconds, megabytes = pickle.load(stream)
    os.waitpid(pid, 0)
    if status != "ok":
        pytest.fail(f"the run failed:\n{value}")
    return Measured(value, seconds, megabytes)


def written() -> tuple[int, ...]:
    return (Member.objects.count(), Unit.objects.count(), PropertyCompany.objects.count(), Organization.objects.count())


def within_bounds(result: Measured) -> None:
    assert result.megabytes < MAX_MEGABYTES, f"peak memory rose by {result.megabytes:.0f} MB"
    assert result.seconds < MAX_SECONDS, f"took {result.seconds:.1f} s"


# --- the importers ---------------------------------------------------------------------------------


def command(name: str) -> Callable[[Path, Any], dict[str, Any]]:
    def run(path: Path, client: Any) -> dict[str, Any]:
        before = written()
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(name, str(path), stdout=out, stderr=err)
            failure = ""
        except CommandError as exc:
            failure = str(exc)
        return {"said": err.getvalue() + failure, "out": out.getvalue(), "wrote": written() != before}

    return run


def preview(url_name: str) -> Callable[[Path, Any], dict[str, Any]]:
    def run(path: Path, client: Any) -> dict[str, Any]:
        before = written()
        with path.open("rb") as upload:
            response = client.post(reverse(url_name), {"file": upload})
        page = html.unescape(response.content.decode())
        return {"said": page, "status": response.status_code, "wrote": written() != before}

    return run


def library_import(model: str) -> Callable[[Path, Any], dict[str, Any]]:
    def run(path: Path, client: Any) -> dict[str, Any]:
        before = written()
        fmt = "0" if path.suffix == ".xlsx" else "1"  # the bounded formats: [xlsx, csv]
        with path.open("rb") as upload:
            response = client.post(
                reverse(f"admin:organizations_{model}_import"),
                {"resource": "0", "format": fmt, "import_file": upload},
            )
        page = html.unescape(response.content.decode())
        confirm = response.context.get("confirm_form") if response.context else None
        return {"said": page, "status": response.status_code, "wrote": written() != before, "confirm": confirm}

    return run


IMPORTERS = {
    "import_members": command("import_members"),
    "import_compounds": command("import_compounds"),
    "import_merchants": command("import_merchants"),  # merchants (issue 11)
    "roster preview": preview("admin:members_member_import"),
    "compound preview": preview("admin:organizations_compound_import"),
    "unit import": library_import("unit"),
    "property company import": library_import("propertycompany"),
}


LIBRARY_IMPORTERS = ("unit import", "property company import")


@pytest.fixture
def import_dirs(tmp_path, monkeypatch):
    monkeypatch.setattr("members.admin.MemberAdmin.import_dir", tmp_path / "members")
    monkeypatch.setattr("organizations.admin_compounds.CompoundAdmin.import_dir", tmp_path / "compounds")


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@yiling.invalid", "x"))
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("importer", IMPORTERS)
def test_every_importer_refuses_every_hostile_file_within_bounds(importer, hostile, import_dirs, superuser_client):
    district_tree()
    run = IMPORTERS[importer]
    rows = LIMITS.max_library_rows if importer in LIBRARY_IMPORTERS else LIMITS.max_rows
    for name, (_make, message) in HOSTILE.items():
        result = measured(lambda path=hostile[name]: run(path, superuser_client))

        said = result.value["said"]
        assert message.format(rows=rows) in said, f"{name}: {said[-3000:]}"
        assert not result.value["wrote"], name
        assert result.value.get("status", 200) == 200, name
        assert result.value.get("confirm") is None, name
        assert "created" not in result.value.get("out", ""), name
        within_bounds(result)


# --- the readers themselves ------------------------------------------------------------------------


def test_a_lying_dimension_and_padding_are_not_trusted(tmp_path):
    path = write_xlsx(tmp_path / "wide.xlsx", [inline_row(1, ["a", "b"])], dimension="A1:XFD1048576")

    assert list(xlsx_rows(path)) == [(1, ("a", "b"))]


def test_a_value_beyond_the_last_column_is_refused_and_empty_cells_there_are_not(tmp_path):
    from yiling.spreadsheets import FileProblem

    empty_far = write_xlsx(tmp_path / "a.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1" s="1"/></row>'])
    assert list(xlsx_rows(empty_far)) == [(1, (1,))]

    value_far = write_xlsx(tmp_path / "b.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c><c r="GS1"><v>2</v></c></row>'])
    with pytest.raises(FileProblem, match="最多只能导入 200 列"):
        list(xlsx_rows(value_far))


def test_a_cell_longer_than_excel_allows_is_refused_while_it_is_read(tmp_path):
    from yiling.spreadsheets import FileProblem

    path = write_xlsx(tmp_path / "long.xlsx", [inline_row(1, ["y" * (LIMITS.max_cell_chars + 1)])])

    with pytest.raises(FileProblem, match="超过 32767 个字符"):
        list(xlsx_rows(path))


def test_a_sheet_with_a_dtd_is_refused(tmp_path):
    from yiling.spreadsheets import FileProblem

    path = tmp_path / "dtd.xlsx"
    write_xlsx(path, [inline_row(1, ["a"])])
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/worksheets/sheet1.xml"] = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    with pytest.raises(FileProblem, match="XML 声明"):
        list(xlsx_rows(path))


def test_an_xml_part_read_whole_has_its_own_limit_and_a_picture_does_not(tmp_path):
    from yiling.spreadsheets import FileProblem

    picture = write_xlsx(tmp_path / "picture.xlsx", [inline_row(1, ["a"])])
    with zipfile.ZipFile(picture, "a") as archive:
        archive.writestr("xl/media/image1.png", os.urandom(LIMITS.max_part_bytes + 1))
    assert list(xlsx_rows(picture)) == [(1, ("a",))]

    styles = write_xlsx(tmp_path / "styles.xlsx", [inline_row(1, ["a"])])
    with zipfile.ZipFile(styles, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/styles.xml", b"<styleSheet>" + b" " * LIMITS.max_part_bytes + b"</styleSheet>")
    with pytest.raises(FileProblem, match="xl/styles.xml 解压后超过 5 MB"):
        list(xlsx_rows(styles))


def test_a_zip_of_too_many_parts_is_refused_before_they_are_listed(tmp_path):
    from yiling.spreadsheets import FileProblem

    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(LIMITS.max_parts + 1):
            archive.writestr(f"x/{n}", b"")

    with pytest.raises(FileProblem, match="1001 个部件"):
        list(xlsx_rows(path))


# --- problems, empty files, control characters -----------------------------------------------------


@pytest.fixture
def tree():
    return district_tree()


def person(org: Organization, n: int, **cells: str) -> dict[str, str]:
    """A good roster row with the ``n``-th ID number of one birthday (the factory's would move its
    sequence, on which other tests depend)."""
    return {
        "姓名": "张三",
        "公民身份号码": make_id_number("420506", date(1980, 5, 17), n),
        "入党日期": "2001-07-01",
        "转正日期": "2002-07-01",
        "人员类别": "在职党员",
        "所在党支部": org.code,
        **cells,
    }


def zh(*args: str) -> tuple[str, str]:
    """``call_command(*args)`` in Chinese: stdout, and stderr with the CommandError's message."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("zh-hans"):
        try:
            call_command(*args, stdout=out, stderr=err)
        except CommandError as exc:
            err.write(str(exc))
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_first_200_problems_are_listed_and_the_rest_counted(tree, tmp_path):
    rows = [person(tree["comm_a"], n, 入党日期=f"第{n}天") for n in range(250)]
    path = roster_csv(tmp_path / "roster.csv", rows)

    _out, err = zh("import_members", str(path))

    lines = err.splitlines()
    # The title row, the header row, then one problem per row, in file order.
    assert [line.split(":", 1)[0] for line in lines[:200]] == [f"row {n}, column 入党日期" for n in range(3, 203)]
    assert lines[200] == "…还有 50 个问题未列出"
    assert "250" in lines[201]
    assert len(lines) == 202
    assert Member.objects.count() == 0


def test_the_problems_kept_are_the_first_in_the_file_whatever_order_they_are_found_in(monkeypatch):
    """An importer may find a problem after ones further down the file (a check across rows): the
    200 listed are still the first by row and column, the rest counted, and only those 200 are
    written out (masked: ``redact``), not every problem of a file that has half a million."""
    from yiling import spreadsheets

    described = []
    redact = spreadsheets.redact
    monkeypatch.setattr(spreadsheets, "redact", lambda text: described.append(text) or redact(text))

    class Sheet(spreadsheets.SheetImport):
        headers = {0: "姓名", 1: "电话"}
        header_by_key = {"姓名": 0, "电话": 1}

    sheet = Sheet(user=None)
    sheet.columns = {0: 0, 1: 1}
    found = [(line, attr) for line in range(3, 1003) for attr in (1, 0)]
    for line, attr in [*reversed(found[:300]), *found[300:]]:
        sheet.problem(line, attr, f"第{line}行 13912345678")
    result = sheet.finish(spreadsheets.ImportResult())

    first = sorted(found)[:200]  # by row, then by column (姓名 is the file's first)
    assert [(p.row, p.column) for p in result.problems] == [(line, Sheet.headers[attr]) for line, attr in first]
    assert result.more_problems == len(found) - 200
    assert result.problems[0].reason == "第3行 139****5678"
    assert len(described) <= 300  # each problem that was among the first 200 when it was found


@pytest.mark.django_db
def test_a_file_over_the_row_limit_is_refused_before_any_row_is_checked(tree, tmp_path, monkeypatch):
    """The rows are all read before any is checked: a file one row over the limit gets the one reason
    that matters, at once, not the problems of the 50,000 rows before it."""
    from members import roster

    checked = []
    parse = roster._RosterImport.parse
    monkeypatch.setattr(roster._RosterImport, "parse", lambda self, *a: checked.append(a[0]) or parse(self, *a))
    rows = [person(tree["comm_a"], 1, 入党日期="第一天")] * (LIMITS.max_rows + 1)
    path = roster_csv(tmp_path / "roster.csv", rows)

    with translation.override("zh-hans"):
        result = roster.import_roster(path, filename="roster.csv", dry_run=True)

    assert [problem.reason for problem in result.problems] == [
        f"表头下的数据超过 {LIMITS.max_rows} 行，请拆分成每个不超过 {LIMITS.max_rows} 行的文件。"
    ]
    assert result.more_problems == 0
    assert checked == []
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_the_preview_lists_200_problems_and_counts_the_rest(tree, tmp_path, import_dirs, superuser_client):
    rows = [person(tree["comm_a"], n, 入党日期=f"第{n}天") for n in range(250)]
    path = roster_csv(tmp_path / "roster.csv", rows)

    with path.open("rb") as upload:
        response = superuser_client.post(reverse("admin:members_member_import"), {"file": upload})

    page = html.unescape(response.content.decode())
    listed = page.split('id="import-problems"', 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == 201
    assert "…还有 50 个问题未列出" in listed
    assert "250" in page.split('class="errornote"', 1)[1].split("</p>", 1)[0]


def _merchants_header_csv(path):
    from merchants.merchants_import import MERCHANT_COLUMNS

    path.write_text(",".join(MERCHANT_COLUMNS) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("command_name", "write"),
    [
        ("import_members", lambda path: roster_csv(path, [], titles=())),
        ("import_compounds", lambda path: compounds_csv(path, [])),
        ("import_merchants", lambda path: _merchants_header_csv(path)),  # merchants (issue 11)
    ],
)
def test_a_file_without_data_rows_is_an_error_not_created_0(tree, tmp_path, command_name, write):
    header_only = write(tmp_path / "header.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    blank_rows = tmp_path / "blank.csv"
    blank_rows.write_bytes(header_only.read_bytes() + b",,,\n\n,,\n")

    for path in (header_only, blank_rows):
        out, err = zh(command_name, str(path))
        assert "表头下没有数据行，没有可导入的内容。" in err
        assert "created" not in out
    out, err = zh(command_name, str(empty))
    assert "表头" in err and "created" not in out


@pytest.mark.django_db
def test_the_library_import_of_a_file_without_data_rows_is_an_error(tree, tmp_path, superuser_client):
    path = tmp_path / "units.csv"
    path.write_text("代码,名称,类型\n,,\n", encoding="utf-8")
    units = Unit.objects.count()

    with path.open("rb") as upload:
        response = superuser_client.post(
            reverse("admin:organizations_unit_import"), {"resource": "0", "format": "1", "import_file": upload}
        )

    assert "表头下没有数据行" in html.unescape(response.content.decode())
    assert not response.context.get("confirm_form")
    assert Unit.objects.count() == units


CONTROLS = "\x1b[2J\x1b]0;pwned\x07\r\x9b31m\u202e\u2066"


@pytest.mark.django_db
def test_control_characters_from_cells_never_reach_the_terminal(tree, tmp_path):
    rows = [
        person(tree["comm_a"], 1, 姓名=f"张{CONTROLS}三", 入党日期=f"2001{CONTROLS}13-01\n row 9, column 姓名: 伪造")
    ]
    path = roster_csv(tmp_path / "roster.csv", rows)

    out, err = zh("import_members", str(path))

    printed = out + err
    assert not any(ch in printed for ch in "\x1b\x07\r\x9b\u202e\u2066")
    problems = [line for line in err.splitlines() if line.startswith("row ")]
    assert len(problems) == 1 and problems[0].startswith("row 3, column 入党日期: ")
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_control_characters_are_not_stored(tree, tmp_path):
    compound = tree["compound_a"].unit
    path = compounds_csv(
        tmp_path / "compounds.csv", [row_of(compound, 小区名称=f"阳光{CONTROLS}花园", 地址="滨江路\r\n1号")]
    )

    out, _err = zh("import_compounds", str(path))

    assert out.strip().endswith("created 0, updated 1, unchanged 0")
    compound.refresh_from_db()
    assert (compound.name, compound.address) == ("阳光[2J]0;pwned31m花园", "滨江路\n1号")


@pytest.mark.django_db
def test_a_good_file_still_imports(tree, tmp_path):
    path = roster_csv(tmp_path / "roster.csv", [person(tree["comm_a"], 1)])

    out, err = zh("import_members", str(path))

    assert out.strip().endswith("created 1, updated 0, unchanged 0"), err


@pytest.mark.django_db(transaction=True)
def test_the_library_import_at_its_row_limit_lists_200_invalid_rows_within_bounds(tmp_path, superuser_client):
    district_tree()
    path = tmp_path / "units.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["代码", "名称", "类型", "负责党组织代码"])
        writer.writerows([f"BAD-{n:04d}", f"单位{n}", "机关", "NO-SUCH-ORG"] for n in range(LIMITS.max_library_rows))
    units = Unit.objects.count()

    def run() -> dict[str, Any]:
        with path.open("rb") as upload:
            response = superuser_client.post(
                reverse("admin:organizations_unit_import"), {"resource": "0", "format": "1", "import_file": upload}
            )
        return {"page": html.unescape(response.content.decode()), "units": Unit.objects.count()}

    result = measured(run)

    page = result.value["page"]
    listed = {n for n in range(LIMITS.max_library_rows) if f"BAD-{n:04d}" in page}
    assert listed == set(range(LIMITS.max_problems))
    assert f"…还有 {LIMITS.max_library_rows - LIMITS.max_problems} 个问题未列出" in page
    assert result.value["units"] == units
    within_bounds(result)
