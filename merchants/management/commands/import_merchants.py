"""Import the member merchants (党员经营户) from the business districts' list (XLSX or CSV)."""

from __future__ import annotations

from typing import IO, Any

from merchants.merchants_import import import_merchants
from yiling.commands import SpreadsheetImportCommand
from yiling.spreadsheets import ImportResult


class Command(SpreadsheetImportCommand):
    help = (
        "Import member merchants from a list (.xlsx or .csv with the Chinese headers 店铺编码, 店铺名称, 所属商圈, "
        "营业执照号, 经营党员, 经营党员身份证号, ...). The whole file is checked first; nothing is written unless "
        "every row is good."
    )
    file_help = "the merchant list, .xlsx or .csv"

    def import_file(self, source: IO[bytes], **arguments: Any) -> ImportResult:
        return import_merchants(source, **arguments)
