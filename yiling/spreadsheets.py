"""Reading and writing the spreadsheets people keep in Excel: the shared, tolerant part of every importer.

Files come as people fill them in: title rows above the headers, headers with stray spaces or
full-width letters, dates written a dozen ways, numbers Excel stored as floats. The pieces here read
such a file row by row and turn cells into clean values, and ``SheetImport`` is the frame of an
importer: it finds the header row, reads the rows and collects their problems, while each importer
(the roster, the compounds) decides what its columns mean. Problems are reported as
``row N, column X: reason`` lines.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from .privacy import redact

Rows = Iterator[tuple[int, tuple[Any, ...]]]

SPACE_RE = re.compile(r"\s+")
_TIME_SUFFIX_RE = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_DATE_RES = (
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})"),
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?\.?"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})(?:月(?:(?P<d>\d{1,2})[日号]?)?)?"),
)
#: A spreadsheet runs a cell starting with one of these as a formula (a leading tab or carriage
#: return may be dropped, and what follows run). See ``escape_formula``.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The formats ``write_table`` writes, with their content types.
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class RowProblem:
    """Something wrong in one cell. ``row`` is the row as the user sees it (sheet row, CSV line);
    ``row`` 0 is the file as a whole."""

    row: int
    column: str
    reason: str

    def line(self) -> str:
        """The command's output line. ``row N, column X: reason`` is a contract scripts read, so the
        frame stays as it is in every language; only the reason is translated."""
        if not self.row:
            return self.reason
        return f"row {self.row}, column {self.column}: {self.reason}"

    def __str__(self) -> str:
        if not self.row:
            return self.reason
        return _("row %(row)s, column %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


class Invalid(Exception):
    """A cell's value is unusable; the message is the reason shown to the user."""


class FileProblem(Exception):
    """The file as a whole cannot be imported; the message says why."""


# --- cells -----------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: NFKC (full-width digits and letters to ASCII), stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # The exports protect text that Excel would take for a formula with a leading apostrophe.
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def plain_text(value: Any) -> str:
    """A cell as text as written, stripped: for names and addresses, where full-width punctuation
    ("恒大绿洲（一期）") is part of the name and must come back as it was exported."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def header_key(text: str) -> str:
    """How a header is matched: without any space, lower case."""
    return SPACE_RE.sub("", text).lower()


def parse_date(value: Any) -> date | None:
    """A date cell as people write it (2021-05-01, 2021.5.1, 20210501, 2021年5月1日, an Excel date);
    None when empty. A month alone ("2001.07") is the first of the month."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and not value.is_integer():
        text = repr(value)
        # Excel keeps 2001.10 typed as a number as 2001.1: October and January look the same.
        if re.fullmatch(r"\d{4}\.1", text):
            raise Invalid(
                _("“%(value)s” could be January or October: write the date as text, e.g. 2001.01 or 2001.10.")
                % {"value": text}
            )
    text = cell_text(value)
    if not text:
        return None
    compact = SPACE_RE.sub("", _TIME_SUFFIX_RE.sub("", text))
    for pattern in _DATE_RES:
        match = pattern.fullmatch(compact)
        if match:
            try:
                parts = match.groupdict()
                return date(int(parts["y"]), int(parts["m"]), int(parts.get("d") or 1))
            except ValueError:
                break
    raise Invalid(
        _("“%(value)s” is not a date: write it like 2001-07-01, 2001.07 or 2001年7月1日.") % {"value": redact(text)}
    )


# --- files -----------------------------------------------------------------------------------------


def xlsx_rows(source: Any) -> Rows:
    """(sheet row number, cell values) for every row of the first sheet; a missing row comes as ()."""
    from openpyxl import load_workbook

    workbook = load_workbook(source, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        try:
            rows = quick_sheet_rows(workbook, sheet)
        except (ImportError, AttributeError):  # an openpyxl without these internals: its public, slower way
            # openpyxl fills in rows missing from the file, so the count is the sheet's row number.
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        yield from rows
    finally:
        workbook.close()


def quick_sheet_rows(workbook: Any, sheet: Any) -> Rows:
    """The sheet's rows through openpyxl's own parser, without its per-row padding and with quick
    inline strings (what openpyxl and many exporters write): nearly twice as fast as iter_rows."""
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    text_tag, run_tag, inline_tag = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("t", "r", "is"))

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            if element.get("t") != "inlineStr":
                return super().parse_cell(element)
            coordinate = element.get("r")
            if coordinate:
                self.col_counter = column_index_from_string(coordinate.rstrip("0123456789"))
            else:
                self.col_counter += 1
            inline = element.find(inline_tag)
            value = None
            if inline is not None:  # like openpyxl's Text.content: the text and its rich-text runs
                value = (inline.findtext(text_tag) or "") + "".join(
                    run.findtext(text_tag) or "" for run in inline.iterfind(run_tag)
                )
            return {"column": self.col_counter, "value": value}

    parser = Parser(
        sheet._get_source(),
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    return _padded(parser)


def _padded(parser: Any) -> Rows:
    expected = 1
    try:
        for line, cells in parser.parse():
            for missing in range(expected, line):
                yield missing, ()
            values: list[Any] = [None] * max((cell["column"] for cell in cells), default=0)
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            yield line, tuple(values)
            expected = line + 1
    finally:
        parser.source.close()


def csv_rows(source: Any) -> Rows:
    """(line number, cells) of a CSV file in UTF-8 (with or without BOM) or GB18030."""
    data = Path(source).read_bytes() if isinstance(source, str | PathLike) else source.read()
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")  # what Excel on a Chinese Windows saves as "CSV"
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for cells in reader:
        yield line, tuple(cells)
        line = reader.line_num + 1  # a quoted cell may span lines


def reader_for(filename: str) -> Callable[[Any], Rows] | None:
    """The row reader for a file by its name (.xlsx/.xlsm or .csv); None for anything else."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return xlsx_rows
    if suffix == ".csv":
        return csv_rows
    return None


def guarded(rows: Rows) -> Rows:
    """The reader's own failures (not a workbook, not text, broken CSV) as a problem with the file."""
    try:
        yield from rows
    except Exception as exc:  # openpyxl, zipfile, csv and the codecs each fail their own way
        raise FileProblem(_("The file cannot be read: %(error)s") % {"error": redact(str(exc))}) from exc


def escape_formula(value: Any) -> Any:
    """``value`` as a cell of an export: text a spreadsheet would run as a formula (``=HYPERLINK(…)``,
    ``+1+1``, ``-2+3``, ``@SUM(A1)``, a leading tab or carriage return) gets a leading apostrophe and
    stays text; anything else, numbers (negative ones too) and dates among them, is left as it is.

    Every export goes through this one function: ``write_table`` and the import-export resources
    (``yiling.resources.FormulaSafeResourceMixin``). The importers take the apostrophe off again
    (``unescape_formula``, ``cell_text``, ``plain_text``), so an exported file imports back unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    """The text ``escape_formula`` wrote, without its apostrophe; anything else as it is."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def write_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, fmt: str, title: str) -> bytes:
    """A header row and ``rows`` as an XLSX workbook (one sheet named ``title``) or a CSV file (UTF-8
    with BOM, which Excel opens as such). Text that a spreadsheet would run as a formula stays text
    (``escape_formula``)."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(headers)
        for values in rows:
            writer.writerow([escape_formula(v) for v in values])
        return out.getvalue().encode("utf-8-sig")
    if fmt != "xlsx":
        raise ValueError(f"unknown spreadsheet format {fmt!r}")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append(list(headers))
    for values in rows:
        sheet.append([escape_formula(v) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(content: bytes, *, fmt: str, name: str) -> HttpResponse:
    """A file ``write_table`` wrote in ``fmt``, as the download ``name.fmt``."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- importers -------------------------------------------------------------------------------------


class Marker:
    """A value no cell holds, put where a row's value is yet to be decided."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: A value the file does not give: what exists keeps its own, something new gets the default.
KEEP = Marker("KEEP")
#: A cell that could not be read (its problem is already recorded).
BAD = Marker("BAD")


class Row:
    """One row as an importer reads it: its line, its values by attribute, and whether it has a problem."""

    __slots__ = ("line", "values", "bad")

    def __init__(self, line: int, values: Any) -> None:
        self.line = line
        self.values = values
        self.bad = False


@dataclass(slots=True)
class PreviewRow:
    """What an import does (or would do) with one good row; each importer adds what names the row."""

    row: int
    action: str  # "create" | "update" | "unchanged"
    #: What changes, as the user knows it (headers, field names).
    changes: list[str] = field(default_factory=list, kw_only=True)


@dataclass
class ImportResult:
    """What an import did or, on a dry run, would do."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    #: One entry per good row, in file order (rows with problems have none).
    preview: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def outside_message() -> str:
    return _("This is outside your part of the organization tree.")


def too_long(limit: int) -> str:
    return _("At most %(n)d characters.") % {"n": limit}


def ambiguous(text: str, codes: Iterable[str]) -> str:
    return _("More than one has the name “%(value)s”: use the code (%(codes)s).") % {
        "value": text,
        "codes": "、".join(sorted(codes)),
    }


class SheetImport:
    """The frame of an importer: the header row, the rows, and their problems, sorted as the file has them.

    A column is known by an attribute (a small int, the same for every spelling of its header). A
    subclass says which headers it knows (:attr:`headers`, :attr:`header_by_key`), which mark the
    header row (:attr:`header_marks`) and which the file must have (:attr:`required`), and reads a
    row in :meth:`parse`.
    """

    #: attribute → its header as the export writes it.
    headers: dict[int, str]
    #: ``header_key`` of every header the import reads (aliases too) → attribute.
    header_by_key: dict[str, int]
    #: The attributes whose headers mark the header row; a row without any of them is empty.
    header_marks: tuple[int, ...]
    #: The attributes a file cannot do without.
    required: tuple[int, ...]
    #: How far down the sheet the header row may sit (below title rows).
    header_scan_rows = 10

    def __init__(self, *, user: Any) -> None:
        self.user = user
        #: Whether the user's reach limits what the file may touch (None is the command line).
        self.scoped_user = user is not None and not (user.is_active and getattr(user, "is_superuser", False))
        self.problems: list[tuple[int, int, RowProblem]] = []
        self.header_line = 0
        self.columns: dict[int, int] = {}  # attribute → column index in the file
        self.header_text: dict[int, str] = {}  # attribute → header as written in the file

    #: Why the header row was not found, naming the headers that mark it.
    no_header_message: Callable[[], str]
    #: The row read from its cells; None for a row to pass over (see :meth:`is_blank`).
    parse: Callable[[int, tuple[Any, ...]], Row | None]

    def wrong_type_message(self) -> str:
        return _("Save the file as an Excel workbook (.xlsx) or as CSV.")

    # problems

    def column(self, attr: int) -> str:
        """The column as the user knows it: its header as written in the file, else as exported."""
        return self.header_text.get(attr, self.headers[attr])

    def problem(self, row: Row | int, attr: int, reason: str) -> None:
        """Record a problem in a column of a row (or of the header row, by line)."""
        line = row if isinstance(row, int) else row.line
        if not isinstance(row, int):
            row.bad = True
        order = self.columns.get(attr, len(self.headers) + attr)
        self.problems.append((line, order, RowProblem(line, self.column(attr), redact(str(reason)))))

    def take(self, row: Row, attr: int, parse: Callable[..., Any], *args: Any) -> Any:
        """``parse(*args)`` as the row's value of ``attr``. What it refuses (``Invalid``) is recorded as
        the cell's problem, and the value is BAD."""
        try:
            row.values[attr] = parse(*args)
        except Invalid as exc:
            self.problem(row, attr, str(exc))
            row.values[attr] = BAD
        return row.values[attr]

    def file_problem(self, reason: str) -> None:
        """The file as a whole cannot be imported: the one problem reported."""
        self.problems = [(0, 0, RowProblem(0, "", reason))]

    def finish(self, result: ImportResult) -> ImportResult:
        self.problems.sort(key=lambda item: (item[0], item[1]))
        result.problems = [problem for _line, _order, problem in self.problems]
        return result

    # reading

    def cells(self, cells: tuple[Any, ...]) -> Callable[[int], Any]:
        """The cell of a row under an attribute's column (None where the row or the file has none)."""
        width = len(cells)
        columns = self.columns

        def cell(attr: int) -> Any:
            index = columns.get(attr)
            return cells[index] if index is not None and index < width else None

        return cell

    def is_blank(self, cells: tuple[Any, ...], cell: Callable[[int], Any]) -> bool:
        """An empty row, or a note under the table (制表人：…)."""
        return not any(cell_text(cell(attr)) for attr in self.header_marks) and (
            sum(1 for c in cells if cell_text(c)) <= 1
        )

    def find_header(self, rows: Rows) -> None:
        for line, cells in rows:
            columns: dict[int, int] = {}
            texts: dict[int, str] = {}
            for index, cell in enumerate(cells):
                text = cell_text(cell)
                attr = self.header_by_key.get(header_key(text).strip("*"))
                if attr is not None and attr not in columns:
                    columns[attr] = index
                    texts[attr] = text
            if all(attr in columns for attr in self.header_marks):
                self.header_line, self.columns, self.header_text = line, columns, texts
                return
            if line >= self.header_scan_rows:
                break
        raise FileProblem(self.no_header_message())

    def read(self, source: Any, filename: str) -> list[Row] | None:
        """The rows of the file, parsed; None when the file cannot be imported at all (its problems
        are recorded): not a spreadsheet, unreadable, no header row, a required column missing."""
        reader = reader_for(filename)
        if reader is None:
            self.file_problem(self.wrong_type_message())
            return None
        try:
            rows = guarded(reader(source))
            self.find_header(rows)
            missing = [attr for attr in self.required if attr not in self.columns]
            for attr in missing:
                self.problem(self.header_line, attr, _("This column is missing from the header row."))
            if missing:
                return None
            self.load_lookups()
            return self.parse_rows(rows)
        except FileProblem as exc:
            self.file_problem(str(exc))
            return None

    def load_lookups(self) -> None:
        """Once the header is known, before the rows are read: what the rows are checked against."""

    def parse_rows(self, rows: Rows) -> list[Row]:
        return [row for line, cells in rows if (row := self.parse(line, cells)) is not None]
