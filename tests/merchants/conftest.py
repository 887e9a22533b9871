import pytest

from organizations.models import Role
from tests.organizations.factories import district_tree, user_with_role
from tests.snapshots import forget_cached_pages, instances_copied, instances_kept, written_once

from .factories import make_market, make_merchant


@pytest.fixture
def market(db):
    """A district tree with two markets in street A and one in street B, each with merchants: written
    once per worker and copied back afterwards (tests/snapshots.py)."""
    return written_once("merchants_market", _market, remember=instances_kept, copied=_copied)


def _market() -> dict:
    tree = district_tree()
    tree["market_a"] = make_market(tree["street_a"], name="甲市场党总支")
    tree["market_a2"] = make_market(tree["street_a"], name="甲二市场党总支")
    tree["market_b"] = make_market(tree["street_b"], name="乙市场党总支")
    tree["m_a"] = make_merchant(tree["market_a"], name="张记粮油店", pledges="诚信经营\n明码标价")
    tree["m_a2"] = make_merchant(tree["market_a2"], name="红星五金店")
    tree["m_b"] = make_merchant(tree["market_b"], name="东城鲜肉铺")
    tree["secretary"] = user_with_role(Role.MARKET_SECRETARY, organization=tree["market_a"])
    tree["merchant_user"] = user_with_role(Role.MERCHANT, unit=tree["m_a"].shop)
    tree["street_user"] = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    return tree


def _copied(kept: bytes) -> dict:
    forget_cached_pages()  # the copied merchants keep their board codes
    return instances_copied(kept)
