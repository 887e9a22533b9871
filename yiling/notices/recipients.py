"""Who receives a rule's notices: the people holding a role at an organization, read once per run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps

SECRETARIES = ("compound_secretary", "community_secretary")
STREET_STAFF = "street_staff"
DISTRICT_STAFF = "district_staff"


class Directory:
    """Every active account's organization-bound roles, and the streets of the tree (two queries)."""

    def __init__(self) -> None:
        assignment = apps.get_model("organizations", "RoleAssignment")
        organization = apps.get_model("organizations", "Organization")
        self.by_org: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self.by_path: dict[str, list[tuple[int, str]]] = defaultdict(list)
        rows = assignment.objects.filter(organization__isnull=False, user__is_active=True).values_list(
            "user_id", "role", "organization_id", "organization__path"
        )
        for user_id, role, org_id, path in rows.order_by("user_id"):
            self.by_org[org_id].append((user_id, role))
            self.by_path[path].append((user_id, role))
        self.streets: dict[str, tuple[int, int | None]] = {
            path: (org_id, unit_id)
            for path, org_id, unit_id in organization.objects.filter(unit__unit_type="street").values_list(
                "path", "pk", "unit_id"
            )
        }

    def at(self, organization_id: int, roles: Iterable[str] = SECRETARIES) -> list[int]:
        wanted = set(roles)
        return sorted({user for user, role in self.by_org.get(organization_id, ()) if role in wanted})

    def above(self, path: str, roles: Iterable[str]) -> list[int]:
        """Holders of ``roles`` at the organization with ``path`` or any organization above it."""
        wanted = set(roles)
        found: set[int] = set()
        for cut in range(4, len(path) + 1, 4):
            found.update(user for user, role in self.by_path.get(path[:cut], ()) if role in wanted)
        return sorted(found)

    def district_staff(self) -> list[int]:
        return sorted({user for holders in self.by_org.values() for user, role in holders if role == DISTRICT_STAFF})

    def street_of(self, path: str) -> tuple[int, int | None] | None:
        """(organization id, unit id) of the street above (or at) ``path``."""
        for cut in range(len(path), 0, -4):
            street = self.streets.get(path[:cut])
            if street is not None:
                return street
        return None
