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
import heapq
import io
import os
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._reader import _cast_number
from openpyxl.xml.constants import SHARED_STRINGS

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

#: Blank markers: what people write in a cell that has nothing to say ("none", "empty", a dash, a slash), compared
#: after NFKC (so the full-width －, ／ and spaces count too). Such a cell reads as an empty one, in
#: every column: an optional cell is blank, a required cell is missing (with the empty cell's
#: message), and free text (an address, a note) holding only a blank marker is blank as well.
BLANK_MARKERS = frozenset({"无", "空", "暂无", "—", "——", "–", "-", "--", "/"})


def is_blank_marker(value: Any) -> bool:
    """Whether a cell holds only a blank marker (see :data:`BLANK_MARKERS`)."""
    if not isinstance(value, str) or len(value) > 20:
        return False
    text = unicodedata.normalize("NFKC", value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text in BLANK_MARKERS


def cell_text(value: Any) -> str:
    """A cell as text: NFKC (full-width digits and letters to ASCII), stripped; a blank marker
    (无, -, / …, see :data:`BLANK_MARKERS`) is empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = without_controls(unicodedata.normalize("NFKC", str(value))).strip()
    # The exports protect text that Excel would take for a formula with a leading apostrophe.
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return "" if text in BLANK_MARKERS else text


def plain_text(value: Any) -> str:
    """A cell as text as written, stripped: for names and addresses, where full-width punctuation
    ("恒大绿洲（一期）") is part of the name and must come back as it was exported. A blank marker
    is empty, as in :func:`cell_text`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = without_controls(str(value)).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return "" if is_blank_marker(text) else text


def header_key(text: str) -> str:
    """How a header is matched: without any space, lower case."""
    return SPACE_RE.sub("", text).lower()


def parse_date(value: Any) -> date | None:
    """A date cell as people write it (2021-05-01, 2021.5.1, 20210501, 2021年5月1日, an Excel date);
    None when empty or a blank marker (无, -, /). A month alone ("2001.07") is the first of the month."""
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


# --- limits ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLimits:
    """How much of an untrusted file an import reads before refusing it.

    Every importer reads through the readers below, so each gets these bounds: whatever a file
    declares, reading it stays within a few hundred megabytes and a minute. A setting
    ``SPREADSHEET_IMPORT_LIMITS`` (a dict of these names) changes them; see :func:`import_limits`.
    """

    #: The file itself (an upload, an .xlsx, a .csv).
    max_file_bytes: int = 10 * 1024 * 1024
    #: An .xlsx unpacked: in all, and each part of it.
    max_unpacked_bytes: int = 100 * 1024 * 1024
    #: The shared strings, which openpyxl holds in memory all at once (the sheet itself is streamed).
    max_shared_strings_bytes: int = 20 * 1024 * 1024
    #: Every other XML part, which openpyxl reads whole (workbook, styles, relationships, theme).
    max_part_bytes: int = 5 * 1024 * 1024
    #: Parts of an .xlsx (Excel writes about a dozen).
    max_parts: int = 1000
    #: How much more a part may unpack to than it takes packed (checked on parts above 1 MB).
    max_compression_ratio: int = 200
    #: Rows under the header row (empty rows count): a whole district's roster (see the benchmark),
    #: which imports in well under a minute; 100,000 valid rows took 84 s on a busy host.
    max_rows: int = 50_000
    #: Rows a django-import-export import takes (see ``yiling.resources.LimitedImportMixin``): it keeps
    #: every row's result and renders every row, about 15 KB and 1.5 ms a row.
    max_library_rows: int = 5_000
    #: Columns holding a value.
    max_columns: int = 200
    #: Characters in one cell (Excel's own limit is 32,767).
    max_cell_chars: int = 32_767
    #: Characters of text in the cells of a sheet, a shared string counted each time a cell uses it
    #: (a sheet of 20 bytes a cell could otherwise make each cell 32,767 characters): three times a
    #: whole district's roster.
    max_text_chars: int = 20_000_000
    #: Characters in one line of a CSV file.
    max_line_chars: int = 100_000
    #: Problems listed; the rest are counted.
    max_problems: int = 200


def import_limits() -> ImportLimits:
    """The limits, with what ``settings.SPREADSHEET_IMPORT_LIMITS`` changes."""
    from django.conf import settings

    return ImportLimits(**getattr(settings, "SPREADSHEET_IMPORT_LIMITS", {}))


_MB = 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / _MB:.1f}".removesuffix(".0")


def too_big_message(size: int) -> str:
    limit = import_limits().max_file_bytes
    return _("The file is %(size)s MB; at most %(limit)s MB can be imported at once. Split it into smaller files.") % {
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


def too_many_rows_message(limit: int) -> str:
    return _(
        "The file has more than %(limit)d rows under the header: split it into files of at most %(limit)d rows."
    ) % {"limit": limit}


def no_rows_message() -> str:
    return _("The file has no data rows under the header row: there is nothing to import.")


def _file_size(source: Any) -> int:
    if isinstance(source, str | PathLike):
        return os.stat(source).st_size
    position = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(position)
    return size


def check_file_size(source: Any) -> None:
    """Refuse a file over the size limit, before reading any of it."""
    size = _file_size(source)
    if size > import_limits().max_file_bytes:
        raise FileProblem(too_big_message(size))


# --- control characters ----------------------------------------------------------------------------

# C0 and C1 controls (ESC starts the terminal's escape sequences, 0x9B is the one-byte CSI) and the
# bidirectional overrides, which make text read in another order than it is stored.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL_RE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_LINE_BREAK_RE = re.compile("\r\n?|[\t\n\x0b\x0c\x85\u2028\u2029]")


def without_controls(text: str) -> str:
    """Text as a cell may keep it: control characters and direction overrides removed, line breaks
    (``\\n``) and tabs kept."""
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n"))


def printable(text: str) -> str:
    """Text safe to print on a terminal, on one line: what a file put in it cannot move the cursor,
    recolour the screen, ring the bell or start a new line that looks like another message."""
    return _CONTROL_RE.sub("", _LINE_BREAK_RE.sub(" ", text))


# --- files -----------------------------------------------------------------------------------------


def check_workbook_archive(source: Any) -> None:
    """Refuse an .xlsx whose parts would unpack to too much, from the zip's directory alone.

    Python's zipfile never unpacks more than a part's declared size (a part that lies fails its
    checksum), so the declared sizes bound what reading can unpack. The number of parts is read from
    the end record before zipfile builds its list of them.
    """
    limits = import_limits()
    check_file_size(source)
    if isinstance(source, str | PathLike):
        with open(source, "rb") as stream:
            _check_archive(stream, limits)
        return
    position = source.tell()
    try:
        _check_archive(source, limits)
    finally:
        source.seek(position)


def _not_a_workbook() -> FileProblem:
    return FileProblem(
        _("The file cannot be read: %(error)s")
        % {"error": _("it is not an Excel workbook (.xlsx); open it in Excel and save it as .xlsx again.")}
    )


def _check_archive(stream: Any, limits: ImportLimits) -> None:
    size = stream.seek(0, os.SEEK_END)
    tail_size = min(size, 22 + 0xFFFF)  # the end record, after at most a 64 KB comment
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise _not_a_workbook()
    # The entries of the central directory, and its size: zipfile reads as many entries as that holds.
    parts, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if directory_size > limits.max_parts * 1024:  # no entry of a workbook needs a kilobyte
        raise _not_a_workbook()
    if parts > limits.max_parts:  # 0xFFFF: a zip64 archive, which no workbook of this size needs
        raise FileProblem(
            _("The workbook holds %(n)d parts, more than the %(limit)d a spreadsheet may have: it cannot be imported.")
            % {"n": parts, "limit": limits.max_parts}
        )
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _not_a_workbook() from exc
    with archive:
        members = archive.infolist()
    if len(members) > limits.max_parts:
        raise FileProblem(
            _("The workbook holds %(n)d parts, more than the %(limit)d a spreadsheet may have: it cannot be imported.")
            % {"n": len(members), "limit": limits.max_parts}
        )
    total = 0
    for member in members:
        name = member.filename
        lower = name.lower()
        if lower.endswith("sharedstrings.xml"):
            limit = limits.max_shared_strings_bytes
        elif lower.endswith((".xml", ".rels", ".vml")) and "worksheets/" not in lower:
            limit = limits.max_part_bytes
        else:  # a sheet (streamed), or what openpyxl never reads (pictures, macros)
            limit = limits.max_unpacked_bytes
        if member.file_size > limit:
            raise _part_too_big(name, limit)
        if member.file_size > _MB and member.file_size > limits.max_compression_ratio * max(member.compress_size, 1):
            raise FileProblem(
                _(
                    "Part %(part)s of the workbook unpacks to %(ratio)d times its packed size, more than a "
                    "spreadsheet does: the file cannot be imported."
                )
                % {"part": name, "ratio": member.file_size // max(member.compress_size, 1)}
            )
        total += member.file_size
        if total > limits.max_unpacked_bytes:
            raise FileProblem(
                _("The workbook unpacks to more than %(limit)s MB: it cannot be imported.")
                % {"limit": _megabytes(limits.max_unpacked_bytes)}
            )


def _part_too_big(name: str, limit: int) -> FileProblem:
    return FileProblem(
        _("Part %(part)s of the workbook unpacks to more than %(limit)s MB: the file cannot be imported.")
        % {"part": name, "limit": _megabytes(limit)}
    )


def xlsx_rows(source: Any) -> Rows:
    """(sheet row number, cell values) for every row of the first sheet; a missing row comes as ().

    The file is checked first (:func:`check_workbook_archive`); the sheet is then streamed, never
    held whole, and refused as soon as it breaks a limit (:class:`ImportLimits`).
    """
    check_workbook_archive(source)
    reader = _WorkbookReader(source, read_only=True, data_only=True)
    reader.read()
    workbook = reader.wb
    try:
        yield from quick_sheet_rows(workbook, workbook.worksheets[0])
    finally:
        workbook.close()


class _WorkbookReader(ExcelReader):
    """openpyxl's reader of a workbook, with the shared strings read by :class:`_StringsParser`."""

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName.removeprefix("/")) as source:
                self.shared_strings = _StringsParser(import_limits()).strings(source)


def _expat(handler: Any) -> Any:
    """An expat parser calling ``handler``'s start, end and data, refusing what no part of a
    spreadsheet has: a DTD, whose entities could only be there to expand."""
    from xml.parsers import expat

    def refuse(*args: Any) -> None:
        raise FileProblem(_("The workbook holds XML declarations that no spreadsheet has: it cannot be imported."))

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _cell_too_long(row: int, limit: int) -> FileProblem:
    return FileProblem(
        _("A cell in row %(row)d holds more than %(limit)d characters: it cannot be imported.")
        % {"row": row, "limit": limit}
    )


class _StringsParser:
    """The shared strings, streamed through expat: openpyxl's own reader keeps an element for each of
    them until the end, three times the memory, and takes ten times as long."""

    def __init__(self, limits: ImportLimits) -> None:
        self.limit = limits.max_cell_chars
        self.found: list[str] = []
        self.parts: list[str] = []
        self.text: list[str] | None = None
        self.chars = 0
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "si":
            self.parts = []
            self.chars = 0
        elif tag == "t" and not self.phonetic:
            self.text = self.parts
        elif tag == "rPh":
            self.phonetic = True

    def data(self, text: str) -> None:
        if self.text is not None:
            self.chars += len(text)
            if self.chars > self.limit:
                raise FileProblem(
                    _("A text in the workbook holds more than %(limit)d characters: it cannot be imported.")
                    % {"limit": self.limit}
                )
            self.text.append(text)

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "t":
            self.text = None
        elif tag == "rPh":
            self.phonetic = False
        elif tag == "si":
            self.found.append("".join(self.parts).replace("x005F_", ""))  # as openpyxl reads them

    def strings(self, source: Any) -> list[str]:
        parser = _expat(self)
        while chunk := source.read(64 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
        return self.found


class _SheetParser:
    """A worksheet's XML, streamed through expat, cell by cell.

    openpyxl's own reader (and ElementTree's iterparse) keeps a row's cells until the row ends and a
    cell's text until the cell ends, so one row of millions of cells or one cell of 100 MB is held
    whole; here every cell is taken as it ends, and a cell's text is counted as it comes. Values are
    read as openpyxl reads them with ``data_only=True``.
    """

    def __init__(self, workbook: Any, sheet: Any, limits: ImportLimits) -> None:
        self.shared = sheet._shared_strings
        self.date_styles = workbook._date_formats
        self.timedelta_styles = workbook._timedelta_formats
        self.epoch = workbook.epoch
        self.limits = limits
        self.text_chars = 0
        self.ready: list[tuple[int, tuple[Any, ...]]] = []
        self.line = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.cell_type = "n"
        self.style = 0
        self.text: list[str] | None = None  # the cell's text while inside <v> or an inline <t>
        self.chars = 0
        self.parts: list[str] = []
        self.inline = self.has_inline = False
        self.phonetic = False
        self.parser = _expat(self)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "c":
            self.cell_type = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            reference = attrs.get("r")
            if reference:
                self.column = column_index_from_string(reference.rstrip("0123456789"))
            else:
                self.column += 1
            self.parts = []
            self.chars = 0
            self.inline = self.has_inline = False
        elif tag == "v":
            self.text = self.parts
        elif tag == "t" and self.inline and not self.phonetic:
            self.text = self.parts
        elif tag == "is":
            self.inline = self.has_inline = True
        elif tag == "rPh":
            self.phonetic = True
        elif tag == "row":
            number = attrs.get("r")
            self.line = int(number) if number else self.line + 1
            self.cells = {}
            self.column = 0

    def data(self, text: str) -> None:
        if self.text is not None:
            self.chars += len(text)
            if self.chars > self.limits.max_cell_chars:
                raise _cell_too_long(self.line, self.limits.max_cell_chars)
            self.text.append(text)

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "t"):
            self.text = None
        elif tag == "c":
            value = self.value()
            if isinstance(value, str):
                self.text_chars += len(value)
                if self.text_chars > self.limits.max_text_chars:
                    raise FileProblem(
                        _(
                            "The sheet holds more than %(limit)s characters of text (text a cell repeats from "
                            "elsewhere counted each time): it cannot be imported."
                        )
                        % {"limit": f"{self.limits.max_text_chars:,}"}
                    )
            if value is not None:
                if self.column > self.limits.max_columns:
                    raise FileProblem(
                        _("Row %(row)d has a value in column %(column)d; at most %(limit)d columns can be imported.")
                        % {"row": self.line, "column": self.column, "limit": self.limits.max_columns}
                    )
                self.cells[self.column] = value
        elif tag == "rPh":
            self.phonetic = False
        elif tag == "is":
            self.inline = False
        elif tag == "row":
            values: list[Any] = [None] * max(self.cells, default=0)
            for column, value in self.cells.items():
                values[column - 1] = value
            self.ready.append((self.line, tuple(values)))

    def value(self) -> Any:
        kind = self.cell_type
        if kind == "inlineStr":
            return "".join(self.parts) if self.has_inline else None
        text = "".join(self.parts) or None
        if text is None:
            return None
        if kind == "n":
            number = _cast_number(text)
            if self.style in self.date_styles:
                try:
                    return from_excel(number, self.epoch, timedelta=self.style in self.timedelta_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.shared[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        return text  # "str" (a formula's text), "e" (an error such as #N/A)

    def rows(self, source: Any) -> Rows:
        try:
            while chunk := source.read(64 * 1024):
                self.parser.Parse(chunk, False)
                yield from self.ready
                self.ready.clear()
            self.parser.Parse(b"", True)
            yield from self.ready
        finally:
            source.close()


def quick_sheet_rows(workbook: Any, sheet: Any) -> Rows:
    """The sheet's rows, streamed (see :class:`_SheetParser`), without openpyxl's per-row padding:
    a row is as wide as its last value. Rows missing from the file come as ()."""
    parser = _SheetParser(workbook, sheet, import_limits())
    return _padded(parser.rows(sheet._get_source()))


def _padded(rows: Iterable[tuple[int, tuple[Any, ...]]]) -> Rows:
    expected = 1
    for line, values in rows:
        for missing in range(expected, line):
            yield missing, ()
        yield line, values
        expected = line + 1


def csv_rows(source: Any) -> Rows:
    """(line number, cells) of a CSV file in UTF-8 (with or without BOM) or GB18030.

    A file over the size limit is refused before it is read, a line over the line limit as it comes;
    empty cells at the end of a line do not count towards the column limit.
    """
    limits = import_limits()
    if isinstance(source, str | PathLike):
        with open(source, "rb") as stream:
            data = stream.read(limits.max_file_bytes + 1)
    else:
        data = source.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise FileProblem(too_big_message(_file_size(source)))
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")  # what Excel on a Chinese Windows saves as "CSV"
    del data
    reader = csv.reader(_short_lines(io.StringIO(text, newline=""), limits.max_line_chars))
    del text
    line = 1
    for cells in reader:
        width = len(cells)
        while width and not cells[width - 1]:
            width -= 1
        if width > limits.max_columns:
            raise FileProblem(
                _("Row %(row)d has a value in column %(column)d; at most %(limit)d columns can be imported.")
                % {"row": line, "column": width, "limit": limits.max_columns}
            )
        yield line, tuple(cells)
        line = reader.line_num + 1  # a quoted cell may span lines


def _short_lines(lines: Iterable[str], limit: int) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if len(line) > limit:
            raise FileProblem(
                _("Line %(line)d of the CSV file is longer than %(limit)d characters: it cannot be imported.")
                % {"line": number, "limit": limit}
            )
        yield line


def reader_for(filename: str) -> Callable[[Any], Rows] | None:
    """The row reader for a file by its name (.xlsx/.xlsm or .csv); None for anything else."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return xlsx_rows
    if suffix == ".csv":
        return csv_rows
    return None


def guarded(rows: Rows) -> Rows:
    """The reader's own failures (not a workbook, not text, broken CSV) as a problem with the file;
    a limit the file breaks (``FileProblem``) as it is."""
    try:
        yield from rows
    except FileProblem:
        raise
    except Exception as exc:  # openpyxl, zipfile, expat, csv and the codecs each fail their own way
        raise FileProblem(_("The file cannot be read: %(error)s") % {"error": redact(printable(str(exc)))}) from exc


def _taken_in_order(rows: list[tuple[int, tuple[Any, ...]]]) -> Rows:
    """The rows of ``rows`` in order, each dropped from the list as it is handed over."""
    rows.reverse()
    while rows:
        yield rows.pop()


def limited_rows(rows: Rows, limit: int | None = None) -> Rows:
    """``rows`` (those under the header row) up to ``limit`` (the row limit unless given); one more is
    a problem with the file."""
    if limit is None:
        limit = import_limits().max_rows
    count = 0
    for line, cells in rows:
        count += 1
        if count > limit:
            raise FileProblem(too_many_rows_message(limit))
        yield line, cells


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


#: The number format of a date cell in an export.
DATE_FORMAT = "yyyy-mm-dd"
#: Rows whose contents set the columns' widths (the file is written as the rows come).
WIDTH_SAMPLE_ROWS = 500
_MAX_WIDTH = 60


def text_width(value: Any) -> int:
    """How wide ``value`` shows in a spreadsheet, in the width of a digit: a CJK (wide) character
    counts two; a date ten."""
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def column_widths(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[float]:
    """The width of each column that shows its header and the ``rows`` given whole, within bounds."""
    widths = [text_width(h) for h in headers]
    for values in rows:
        for i, value in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], text_width(value))
    return [min(max(w, 4) + 2, _MAX_WIDTH) for w in widths]


def write_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, fmt: str, title: str) -> bytes:
    """A header row and ``rows`` as an XLSX workbook (one sheet named ``title``) or a CSV file (UTF-8
    with BOM, which Excel opens as such). Text that a spreadsheet would run as a formula stays text
    (``escape_formula``). In XLSX a date is a date cell (``DATE_FORMAT``), and the columns are as wide
    as their header and the first rows' contents (CJK characters counting double); in CSV a date is
    written YYYY-MM-DD."""
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
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    rows = iter(rows)
    sample = [list(values) for _n, values in zip(range(WIDTH_SAMPLE_ROWS), rows, strict=False)]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    for index, width in enumerate(column_widths(headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def cells(values: Sequence[Any]) -> list[Any]:
        row: list[Any] = []
        for value in values:
            if isinstance(value, date) and not isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = DATE_FORMAT
                row.append(cell)
            else:
                row.append(escape_formula(value))
        return row

    sheet.append(list(headers))
    for values in sample:
        sheet.append(cells(values))
    for values in rows:
        sheet.append(cells(values))
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
    #: The first problems (``ImportLimits.max_problems``), in file order.
    problems: list[RowProblem] = field(default_factory=list)
    #: How many more problems the file has than are listed.
    more_problems: int = 0
    #: One entry per good row, in file order (rows with problems have none).
    preview: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def more_problems_line(self) -> str:
        """The line that ends a capped list of problems; empty when every problem is listed."""
        return more_problems_line(self.more_problems)


def more_problems_line(count: int) -> str:
    """What ends a list of problems that leaves ``count`` out; empty when it leaves none."""
    if not count:
        return ""
    return _("… and %(n)d more problems not listed") % {"n": count}


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
        #: The first problems by (line, column order), as a heap whose top is the last of them.
        self.problems: list[tuple[int, int, int, RowProblem]] = []
        self.problem_count = 0
        self.max_problems = import_limits().max_problems
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
        self.problem_count += 1
        # Only the first problems are kept: a file of a million bad cells must not fill the memory,
        # and a problem that is only counted is not written out (its count is unique, so the order
        # is decided before the problem itself is compared).
        key = (-line, -order, -self.problem_count)
        if len(self.problems) < self.max_problems:
            heapq.heappush(self.problems, (*key, self._described(line, attr, reason)))
        elif key > self.problems[0][:3]:
            heapq.heapreplace(self.problems, (*key, self._described(line, attr, reason)))

    def _described(self, line: int, attr: int, reason: str) -> RowProblem:
        return RowProblem(line, self.column(attr), redact(str(reason)))

    def service_problem(self, row: Row, exc: ValidationError, columns: dict[str, int], fallback: int) -> None:
        """What a service refused for ``row``, each message in the column of the field it names
        (``columns``: model field to column), the rest in ``fallback``."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                attr = columns.get(name, fallback) if name != NON_FIELD_ERRORS else fallback
                for message in ValidationError(errors).messages:
                    self.problem(row, attr, message)
        else:
            for message in exc.messages:
                self.problem(row, fallback, message)

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
        self.problems = [(0, 0, 0, RowProblem(0, "", reason))]
        self.problem_count = 1

    def finish(self, result: ImportResult) -> ImportResult:
        kept = sorted(self.problems, reverse=True)
        result.problems = [problem for *_order, problem in kept]
        result.more_problems = self.problem_count - len(kept)
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
            # Every row is read before any is checked, so a file over the row limit is refused at
            # once instead of after checking the 50,000 rows before the limit (seconds of work whose
            # problems the refusal made moot). Each row is let go of as it is checked.
            parsed = self.parse_rows(_taken_in_order(list(limited_rows(rows))))
            if not parsed:
                raise FileProblem(no_rows_message())
            return parsed
        except FileProblem as exc:
            self.file_problem(str(exc))
            return None

    def load_lookups(self) -> None:
        """Once the header is known, before the rows are read: what the rows are checked against."""

    def parse_rows(self, rows: Rows) -> list[Row]:
        return [row for line, cells in rows if (row := self.parse(line, cells)) is not None]
