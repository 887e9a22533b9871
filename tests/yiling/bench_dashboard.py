"""Benchmark: the district dashboard rendered on the demo district and on ten times the demo district.

Not part of `make test` (the `benchmark` marker is deselected there, and the file name is not
test_*.py); `make bench` runs it on PostgreSQL. It prints the render times and the query counts; the
only thing it asserts is that the number of queries is the same at 1× and at 10× (the times depend on
the machine and on what else runs on it).

10× the demo: every street and park subtree of the demo (streets, communities, compounds, enterprises,
shops, their organizations, members, committees and seats, posts, venues, activities, funds and
expenses, report-ins, floating records) copied nine times under the district, written in bulk.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.idnumbers import make_id_number
from members.models import CheckIn, FloatingRecord, Member, VolunteerPost
from organizations.models import (
    Activity,
    Allowance,
    BranchPost,
    CommitteeSeat,
    Expense,
    FundAllocation,
    Organization,
    OwnersCommittee,
    Unit,
    UnitType,
    Venue,
)
from tests.yiling.seeding import FAST_HASHERS, seed

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]

ROUNDS = 3
#: Rows that hang below the copied organizations and units, in the order they can be written.
DEPENDENTS: list[type[models.Model]] = [
    Member,
    OwnersCommittee,
    CommitteeSeat,
    BranchPost,
    Venue,
    Activity,
    FundAllocation,
    Expense,
    Allowance,
    CheckIn,
    VolunteerPost,
    FloatingRecord,
]


def _fk_fields(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def _copy_rows(model: type[models.Model], maps: dict[type, dict[int, int]], copy: int) -> None:
    """Copy every row of ``model`` that points at a copied row, pointing the copy at the copies."""
    links = [f for f in _fk_fields(model) if f.related_model in maps]
    anchor = Q()
    for f in links:
        anchor |= Q(**{f"{f.attname}__in": list(maps[f.related_model])})
    rows = list(model._default_manager.filter(anchor).order_by("pk"))
    old_pks = [r.pk for r in rows]
    for index, row in enumerate(rows):
        row.pk = None
        for f in links:
            old = getattr(row, f.attname)
            if old in maps[f.related_model]:
                setattr(row, f.attname, maps[f.related_model][old])
        if model is Member:
            # A fresh, valid, unique ID number: a region code of its own per copy.
            row.id_number = make_id_number(f"43{copy:02d}{index // 1000:02d}", row.birth_date, index % 1000)
    created = model._default_manager.bulk_create(rows, batch_size=1000)
    maps[model] = {old: new.pk for old, new in zip(old_pks, created, strict=True)}


def multiply_demo(times: int) -> None:
    """Copy each street and park subtree of the demo ``times - 1`` more times under the district."""
    root = Organization.objects.get(depth=1)
    tops = list(Organization.objects.filter(depth=2, unit__unit_type__in=[UnitType.STREET, UnitType.PARK]))
    last_path = Organization.objects.filter(depth=2).order_by("-path").values_list("path", flat=True)[0]
    for copy in range(1, times):
        maps: dict[type, dict[int, int]] = {}
        org_rows, org_old = [], []
        for top in tops:
            last_path = Organization._get_path(
                root.path, 2, Organization._str2int(last_path[-Organization.steplen :]) + 1
            )
            for org in Organization.objects.filter(path__startswith=top.path).order_by("path"):
                org_old.append(org.pk)
                org.pk = None
                org.path = last_path + org.path[len(top.path) :]
                org.code = f"{org.code}-X{copy}"
                org_rows.append(org)
        created = Organization.objects.bulk_create(org_rows, batch_size=1000)
        maps[Organization] = {old: new.pk for old, new in zip(org_old, created, strict=True)}
        units = list(Unit.objects.filter(organization_id__in=list(maps[Organization])).order_by("pk"))
        unit_old = [u.pk for u in units]
        for u in units:
            u.pk = None
            u.code = f"{u.code}-X{copy}"
            u.organization_id = maps[Organization][u.organization_id]
        new_units = Unit.objects.bulk_create(units, batch_size=1000)
        maps[Unit] = {old: new.pk for old, new in zip(unit_old, new_units, strict=True)}
        for u in new_units:
            if u.parent_id in maps[Unit]:
                u.parent_id = maps[Unit][u.parent_id]
        Unit.objects.bulk_update(new_units, ["parent"], batch_size=1000)
        copies = list(Organization.objects.filter(pk__in=list(maps[Organization].values())))
        for org in copies:
            if org.unit_id in maps[Unit]:
                org.unit_id = maps[Unit][org.unit_id]
        Organization.objects.bulk_update(copies, ["unit"], batch_size=1000)
        for model in DEPENDENTS:
            _copy_rows(model, maps, copy)
    Organization.objects.filter(pk=root.pk).update(numchild=Organization.objects.filter(depth=2).count())


def render(client: Client, url: str) -> tuple[float, int]:
    """The median time of ``ROUNDS`` renders (after one warm-up) and the queries of one."""
    client.get(url)
    times = []
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times), len(captured)


def sizes() -> dict[str, Any]:
    return {
        "compounds": Unit.objects.filter(unit_type=UnitType.COMPOUND).count(),
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "seats": CommitteeSeat.objects.count(),
        "expenses": Expense.objects.count(),
    }


def test_district_dashboard_at_1x_and_10x_the_demo(settings, capsys):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    seed()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "bench@example.cn", "x" * 12))
    url = reverse("dashboards:district")

    results = {}
    results["1x"] = (*render(client, url), sizes())
    started = time.perf_counter()
    multiply_demo(10)
    copied = time.perf_counter() - started
    results["10x"] = (*render(client, url), sizes())

    load = os.getloadavg()[0]
    with capsys.disabled():
        where = f"{connection.vendor}, median of {ROUNDS}, load {load:.2f} on {os.cpu_count()} cores"
        print(f"\ndistrict dashboard ({where})")
        for scale, (seconds, queries, counted) in results.items():
            rows = ", ".join(f"{k} {v:,}" for k, v in counted.items())
            print(f"  {scale:>3}: {seconds * 1000:7.1f} ms, {queries} queries  ({rows})")
        print(f"  (the 9 copies took {copied:.1f} s to write)")
    assert results["10x"][2]["compounds"] == 10 * results["1x"][2]["compounds"]
    assert results["10x"][1] == results["1x"][1]
