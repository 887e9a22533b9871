import pytest

from tests.organizations.factories import TREE_RELATED
from tests.snapshots import fetched_again, keys_of, written_once

from .factories import park_tree


@pytest.fixture
def tree():
    """park_tree(), written once per worker and copied back afterwards (tests/snapshots.py)."""
    return written_once("park_tree", park_tree, remember=keys_of, copied=lambda kept: fetched_again(kept, TREE_RELATED))
