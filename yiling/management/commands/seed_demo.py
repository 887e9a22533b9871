"""``manage.py seed_demo``: load the demo district (夷陵区) and, with DEBUG on, the demo accounts.

Each installed app contributes through its ``demo.py`` (see :mod:`yiling.demo`). Safe to run again:
a second run changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from yiling import demo


class Command(BaseCommand):
    help = "Load the Yiling demo district (idempotent); with DEBUG on also create demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-accounts",
            action="store_true",
            help="Load the data only; create no demo accounts even with DEBUG on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        create_accounts = bool(settings.DEBUG) and not options["no_accounts"]
        ctx = demo.DemoContext(
            stdout=self.stdout,
            style=self.style,
            create_accounts=create_accounts,
            verbosity=options["verbosity"],
        )
        started = time.perf_counter()
        modules = demo.demo_modules()
        logins = demo.load(ctx, modules)
        elapsed = time.perf_counter() - started

        for line in demo.summary_lines(ctx):
            self.stdout.write(line)
        if ctx.changed:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f} s."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Demo data already up to date: nothing changed (checked in {elapsed:.1f} s).")
            )

        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off: no demo accounts with known passwords were created "
                    "(the demo data was still loaded). Create real accounts with createsuperuser/the admin."
                )
            )
            return
        if not create_accounts:
            self.stdout.write(self.style.WARNING("--no-accounts: no demo accounts were created."))
            return

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts (DEBUG only; change before any real use):"))
        for line in demo.login_lines(logins):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f"Portal: {demo.PORTAL_URL}")
        self.stdout.write(f"Admin:  {demo.ADMIN_URL}")
