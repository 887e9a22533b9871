import pytest

from tests.snapshots import instances_copied, instances_kept, written_once

from .factories import park_tree


@pytest.fixture
def tree():
    """park_tree(), written once per worker and copied back afterwards (tests/snapshots.py)."""
    return written_once("park_tree", park_tree, remember=instances_kept, copied=instances_copied)
