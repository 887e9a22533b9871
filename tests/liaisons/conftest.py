"""Fixtures of the liaisons tests."""

import pytest

from tests.organizations.factories import district_tree
from tests.snapshots import instances_copied, instances_kept, written_once

from .factories import liaison_world


@pytest.fixture
def world():
    """The small district with pairings and a user for each role (see factories.liaison_world),
    written once per worker and copied back afterwards (tests/snapshots.py)."""
    return written_once(
        "liaison_world",
        lambda: liaison_world(district_tree()),
        remember=instances_kept,
        copied=instances_copied,
    )
