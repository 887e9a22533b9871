"""Import the compounds (物业小区) from the district's list (XLSX or CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from organizations.compounds_import import import_compounds


class Command(BaseCommand):
    help = (
        "Import compounds from a list (.xlsx or .csv with the Chinese headers 小区编码, 小区名称, 所属社区, ...). "
        "The whole file is checked first; nothing is written unless every row is good."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the compound list, .xlsx or .csv")
        parser.add_argument("--dry-run", action="store_true", help="check the file and count, write nothing")

    def handle(self, *args: Any, file: str, dry_run: bool = False, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        with path.open("rb") as source:
            result = import_compounds(source, filename=path.name, dry_run=dry_run)
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
