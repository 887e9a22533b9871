"""Fixtures shared by the member tests."""

import pytest

from tests.organizations.factories import district_tree


@pytest.fixture
def tree():
    """A small district (see tests.organizations.factories.district_tree)."""
    return district_tree()
