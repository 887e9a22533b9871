"""The shared frame of the management commands that import a spreadsheet (import_members,
import_compounds)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from .spreadsheets import printable


class SpreadsheetImportCommand(BaseCommand):
    """Imports one file (.xlsx or .csv) through an importer, which checks the whole file first and
    writes nothing unless every row is good.

    Each problem is a ``row N, column X: reason`` line on stderr (the first
    ``ImportLimits.max_problems``, then a line counting the rest), and the command then fails (exit
    status 1); a good file ends with the line ``created N, updated N, unchanged N``. Scripts read
    both, so they are the same in every language.
    """

    #: Help of the ``file`` argument: what the file holds.
    file_help: str
    #: ``import_file(source, *, filename, dry_run, **arguments)``: the importer's result for the open
    #: file; ``arguments`` are :meth:`import_arguments`.
    import_file: Callable[..., Any]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--dry-run", action="store_true", help="check the file and count, write nothing")

    def import_arguments(self, **options: Any) -> dict[str, Any]:
        """The importer's keyword arguments from the command's own options (none here); raise
        ``CommandError`` for an option that names nothing."""
        return {}

    def handle(self, *args: Any, file: str, dry_run: bool = False, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        arguments = self.import_arguments(**options)
        with path.open("rb") as source:
            result = self.import_file(source, filename=path.name, dry_run=dry_run, **arguments)
        if not result.ok:
            # A cell's text is in the reasons: what it holds must not reach the terminal as control codes.
            for problem in result.problems:
                self.stderr.write(printable(problem.line()))
            if result.more_problems:
                self.stderr.write(result.more_problems_line())
            raise CommandError(
                _("%(n)d problems; nothing was imported. Correct the file and import it again.")
                % {"n": len(result.problems) + result.more_problems}
            )
        if dry_run:
            self.stdout.write(_("Dry run: the file is good; nothing was written."))
        # The counts line, like the problem lines, is read by scripts: the same in every language.
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
