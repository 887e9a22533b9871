"""What only PostgreSQL shows: the named constraints in the catalog and the path index serving a
whole subtree in one query."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from organizations.models import Organization
from organizations.selectors import organizations_within
from tests.organizations.factories import district_tree, make_org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NAMED_CONSTRAINTS = {
    "organizations_organization_unique_code": ("organizations_organization", "u"),
    "organizations_organization_kind_valid": ("organizations_organization", "c"),
    "organizations_unit_compound_type_only_community": ("organizations_unit", "c"),
    "organizations_roleassignment_bound_to_organization_or_unit": ("organizations_roleassignment", "c"),
}


def test_named_constraints_exist_in_the_catalog():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT con.conname, rel.relname, con.contype
            FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
            WHERE con.conname = ANY(%s)
            """,
            [list(NAMED_CONSTRAINTS)],
        )
        found = {name: (table, kind) for name, table, kind in cursor.fetchall()}
    assert found == NAMED_CONSTRAINTS


def test_subtree_is_fetched_in_one_query(django_assert_num_queries):
    tree = district_tree()
    for i in range(10):
        make_org(tree["comm_c"], name=f"增补支部{i}")
    street_b = Organization.objects.get(pk=tree["street_b"].pk)

    with django_assert_num_queries(1) as captured:
        names = [o.name for o in organizations_within(street_b)]

    assert names[:2] == ["乙街道党工委", "丙社区党委"]
    assert len(names) == 2 + 10
    sql = captured.captured_queries[0]["sql"]
    assert "LIKE" in sql and "path" in sql


def test_subtree_query_can_use_the_path_index():
    tree = district_tree()
    with connection.cursor() as cursor:
        # On a table this small the planner prefers a scan; forbid it to see whether an index serves.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = organizations_within(tree["street_a"]).explain()
    # Django adds a varchar_pattern_ops ("..._like") index beside the unique one: it serves LIKE 'prefix%'.
    assert re.search(r"Index[\w ]* (using|on) organizations_organization_path\w*", plan), plan
