"""Import the agency–compound pairings (单位联小区) from a list (XLSX or CSV)."""

from __future__ import annotations

from typing import IO, Any

from liaisons.pairings_import import import_pairings
from yiling.commands import SpreadsheetImportCommand
from yiling.spreadsheets import ImportResult


class Command(SpreadsheetImportCommand):
    help = (
        "Import agency–compound pairings from a list (.xlsx or .csv with the Chinese headers 单位编码, 单位名称, "
        "小区编码, 小区名称, 联系开始日期, ...). The whole file is checked first; nothing is written unless every "
        "row is good."
    )
    file_help = "the pairing list, .xlsx or .csv"

    def import_file(self, source: IO[bytes], **arguments: Any) -> ImportResult:
        return import_pairings(source, **arguments)
