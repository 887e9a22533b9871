"""Fixtures of the liaisons tests."""

import pytest

from tests.organizations.factories import district_tree

from .factories import liaison_world


@pytest.fixture
def world():
    """The small district with pairings and a user for each role (see factories.liaison_world)."""
    return liaison_world(district_tree())
