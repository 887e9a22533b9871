"""Fixtures shared by the organization tests."""

import pytest

from .factories import district_tree


@pytest.fixture
def tree():
    """A small district (see factories.district_tree), built through the services."""
    return district_tree()
