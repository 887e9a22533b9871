"""Import party members from the roster organization departments keep in Excel (XLSX or CSV)."""

from __future__ import annotations

from typing import IO, Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from members.roster import RosterResult, import_roster
from organizations.models import Organization
from yiling.commands import SpreadsheetImportCommand


class Command(SpreadsheetImportCommand):
    help = (
        "Import party members from a roster (.xlsx or .csv with the Chinese headers 姓名, 公民身份号码, ...). "
        "The whole file is checked first; nothing is written unless every row is good."
    )
    file_help = "the roster, .xlsx or .csv"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--organization",
            metavar="CODE",
            help="import into this organization's subtree: the default for rows without 所在党支部",
        )

    def import_arguments(self, *, organization: str | None = None, **options: Any) -> dict[str, Any]:
        org = None
        if organization:
            org = Organization.objects.filter(code=organization).first()
            if org is None:
                raise CommandError(_("No organization with code “%(code)s”.") % {"code": organization})
        return {"organization": org}

    def import_file(self, source: IO[bytes], **arguments: Any) -> RosterResult:
        return import_roster(source, **arguments)
