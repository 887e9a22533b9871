"""Run every notice rule as of a date, synchronously, and print what was created and skipped."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from yiling.notices import services


class Command(BaseCommand):
    help = (
        "Run every notice rule as of --date (default today), in this process. A notice already sent for "
        "the same rule, subject, recipient and period is skipped and counted. --dry-run writes and sends nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="the day to run the rules as of (default today)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be created; write nothing")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = timezone.localdate()
        if options["date"]:
            try:
                as_of = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(
                    _("--date must be a date written YYYY-MM-DD, not “%(value)s”.") % {"value": options["date"][:20]}
                ) from exc
        result = services.run_all(as_of=as_of, dry_run=options["dry_run"])
        if not options["dry_run"]:
            # The messages the run queued go out now, in this process, so that a laptop without a
            # worker (make run, no REDIS_URL) sends them too; a worker would skip what is sent.
            for pk in result.deliveries:
                services.delivery_send(delivery_id=pk)
        summary = result.as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        for name, counts in summary["by_rule"].items():
            self.stdout.write(f"{name}: created {counts['created']}, duplicates skipped {counts['duplicates_skipped']}")
        self.stdout.write(f"created {summary['created']}, duplicates skipped {summary['duplicates_skipped']}")
