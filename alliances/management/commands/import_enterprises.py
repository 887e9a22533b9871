"""Import the enterprises of the parks (企业) from the district's list (XLSX or CSV)."""

from __future__ import annotations

from typing import IO, Any

from alliances.enterprises_import import import_enterprises
from yiling.commands import SpreadsheetImportCommand
from yiling.spreadsheets import ImportResult


class Command(SpreadsheetImportCommand):
    help = (
        "Import enterprises from a list (.xlsx or .csv with the Chinese headers 企业编码, 企业名称, 所属园区, ...). "
        "The whole file is checked first; nothing is written unless every row is good."
    )
    file_help = "the enterprise list, .xlsx or .csv"

    def import_file(self, source: IO[bytes], **arguments: Any) -> ImportResult:
        return import_enterprises(source, **arguments)
