import pytest

from .factories import park_tree


@pytest.fixture
def tree():
    return park_tree()
