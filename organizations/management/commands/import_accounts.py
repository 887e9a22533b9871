"""Import accounts, each with a role, from a list (XLSX or CSV)."""

from __future__ import annotations

from typing import IO, Any

from organizations.accounts_import import import_accounts
from yiling.commands import SpreadsheetImportCommand
from yiling.spreadsheets import ImportResult


class Command(SpreadsheetImportCommand):
    help = (
        "Import accounts from a list (.xlsx or .csv with the Chinese headers 姓名, 手机号, 角色, 组织或单位代码). "
        "The whole file is checked first; nothing is written unless every row is good. Each new account's "
        "login name and one-time password are printed once, as 'new account ROW USERNAME PASSWORD' lines."
    )
    file_help = "the account list, .xlsx or .csv"

    def import_file(self, source: IO[bytes], **arguments: Any) -> ImportResult:
        result = import_accounts(source, **arguments)
        for row in result.preview:
            if row.password:
                self.stdout.write(f"new account {row.row} {row.username} {row.password}")
        return result
