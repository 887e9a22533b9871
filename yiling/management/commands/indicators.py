"""Print every registered figure for the whole district or one organization's subtree."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from organizations.models import Organization
from yiling import indicators


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class Command(BaseCommand):
    help = "Print every registered indicator for the district, or for the subtree of --scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", metavar="ORG_CODE", help="code of the organization whose subtree to count")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args: Any, scope: str | None = None, format: str = "table", **options: Any) -> None:
        org = None
        if scope:
            org = Organization.objects.filter(code=scope).first()
            if org is None:
                raise CommandError(_("No organization with code “%(code)s”.") % {"code": scope})
        values = indicators.compute_all(org)
        if format == "json":
            self.stdout.write(json.dumps(values, ensure_ascii=False, default=_json_default))
            return
        title = org.name if org else _("Whole district")
        self.stdout.write(title)
        rows = [(ind.name, str(ind.label), ind.display(values[ind.name])) for ind in indicators.registered()]
        width = max((len(r[0]) for r in rows), default=0)
        for name, label, value in rows:
            self.stdout.write(f"{name.ljust(width)}  {value:>10}  {label}")
