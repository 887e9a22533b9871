"""Fixtures of the liaisons tests."""

import pytest

from tests.organizations.factories import TREE_RELATED, district_tree
from tests.snapshots import fetched_again, keys_of, written_once

from .factories import liaison_world


@pytest.fixture
def world():
    """The small district with pairings and a user for each role (see factories.liaison_world),
    written once per worker and copied back afterwards (tests/snapshots.py)."""
    return written_once(
        "liaison_world",
        lambda: liaison_world(district_tree()),
        remember=keys_of,
        copied=lambda kept: fetched_again(kept, TREE_RELATED),
    )
