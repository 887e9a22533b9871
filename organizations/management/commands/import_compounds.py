"""Import the compounds (物业小区) from the district's list (XLSX or CSV)."""

from __future__ import annotations

from typing import IO, Any

from organizations.compounds_import import import_compounds
from yiling.commands import SpreadsheetImportCommand
from yiling.spreadsheets import ImportResult


class Command(SpreadsheetImportCommand):
    help = (
        "Import compounds from a list (.xlsx or .csv with the Chinese headers 小区编码, 小区名称, 所属社区, ...). "
        "The whole file is checked first; nothing is written unless every row is good."
    )
    file_help = "the compound list, .xlsx or .csv"

    def import_file(self, source: IO[bytes], **arguments: Any) -> ImportResult:
        return import_compounds(source, **arguments)
