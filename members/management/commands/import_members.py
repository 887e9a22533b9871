"""Import party members from the roster organization departments keep in Excel (XLSX or CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from members.roster import import_roster
from organizations.models import Organization


class Command(BaseCommand):
    help = (
        "Import party members from a roster (.xlsx or .csv with the Chinese headers 姓名, 公民身份号码, ...). "
        "The whole file is checked first; nothing is written unless every row is good."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the roster, .xlsx or .csv")
        parser.add_argument("--dry-run", action="store_true", help="check the file and count, write nothing")
        parser.add_argument(
            "--organization",
            metavar="CODE",
            help="import into this organization's subtree: the default for rows without 所在党支部",
        )

    def handle(
        self, *args: Any, file: str, dry_run: bool = False, organization: str | None = None, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        org = None
        if organization:
            org = Organization.objects.filter(code=organization).first()
            if org is None:
                raise CommandError(_("No organization with code “%(code)s”.") % {"code": organization})
        with path.open("rb") as source:
            result = import_roster(source, filename=path.name, organization=org, dry_run=dry_run)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem.line())
            raise CommandError(
                _("%(n)d problems; nothing was imported. Correct the file and import it again.")
                % {"n": len(result.problems)}
            )
        if dry_run:
            self.stdout.write(_("Dry run: the file is good; nothing was written."))
        # The counts line, like the problem lines, is read by scripts: the same in every language.
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
