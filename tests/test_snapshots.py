"""tests/snapshots.py: rows a helper wrote, copied back instead of written again."""

from __future__ import annotations

import pytest
from django.db import transaction

from organizations.models import Organization
from tests.organizations.factories import _district_tree, district_tree, make_org
from tests.snapshots import _TAKEN
from tests.yiling.seeding import row_counts
from yiling.validation import constraints_left_to_database

#: COPY is PostgreSQL's; elsewhere the helpers write every time.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def nodes(tree: dict) -> dict:
    return {name: (type(node), node.pk, node.name, node.code) for name, node in tree.items()}


def test_a_district_copied_back_is_the_district_written():
    with transaction.atomic(), constraints_left_to_database():
        first = _district_tree()  # written for real, whatever this process has copied before
        written = row_counts()
        transaction.set_rollback(True)
    with transaction.atomic():
        district_tree()  # the first in this process is written, and copied out
        transaction.set_rollback(True)
    assert Organization.objects.count() == 0

    copied = district_tree()

    assert copied["root"].pk == _TAKEN["district_tree"][0]["root"][1]  # copied back, not written
    assert row_counts() == written
    assert {name: (type(n), n.name) for name, n in copied.items()} == {
        name: (type(n), n.name) for name, n in first.items()
    }
    # As the services leave them: the tree's paths, each organization's unit, each unit's parent.
    assert [o.name for o in Organization.objects.get_tree()][:3] == ["区委", "甲街道党工委", "甲社区党委"]
    assert copied["compound_a"].unit.parent == copied["comm_a"].unit
    assert copied["bare_b"].organization == copied["comm_b"]


def test_on_a_database_with_other_rows_the_district_is_written_again():
    with transaction.atomic():
        taken = nodes(district_tree())
        transaction.set_rollback(True)
    # A row of the test's own first: the copy would not fit beside it (tree paths, keys), so the
    # district is written for real, under keys of its own.
    make_org(None, name="另一个区委")

    again = district_tree()

    assert set(again) == set(taken)
    assert all(again[name].pk != pk for name, (_, pk, _, _) in taken.items())
    assert Organization.objects.filter(depth=1).count() == 2


def test_what_a_test_does_to_the_nodes_it_got_does_not_reach_the_next_copy():
    _TAKEN.pop("district_tree", None)  # the next call writes for real and hands out its own dict
    with transaction.atomic():
        first = district_tree()
        first["root"] = first["shop"]
        first["extra"] = first["agency"]
        first["comm_a"].name = "改过的名字"
        transaction.set_rollback(True)

    copied = district_tree()

    assert copied["root"].name == "区委" and "extra" not in copied
    assert copied["comm_a"].name == "甲社区党委"
