"""Merchants for tests, written through the services as the portal writes them."""

from __future__ import annotations

import itertools

from merchants import services
from merchants.models import Merchant
from organizations.models import OrgKind, UnitType
from tests.members.factories import make_member
from tests.organizations.factories import make_org, make_unit

_seq = itertools.count(1)


def make_market(street_org, *, name: str | None = None, demonstration: bool = False):
    """A business district with an organization of its own under ``street_org``; returns the organization."""
    org = make_org(
        street_org,
        name=name or f"市场{next(_seq)}党总支",
        kind=OrgKind.GENERAL_BRANCH,
        unit_type=UnitType.BUSINESS_DISTRICT,
        unit_parent=street_org.unit,
    )
    services.district_profile_set(unit=org.unit, kind="market", is_demonstration=demonstration)
    return org


def make_merchant(market_org, *, name: str | None = None, operator=None, pledges: str = "", **fields) -> Merchant:
    n = next(_seq)
    shop = make_unit(UnitType.SHOP, market_org, name=name or f"商铺{n}", parent=market_org.unit)
    operator = operator or make_member(home_organization=market_org)
    merchant = services.merchant_create(
        shop=shop, operator=operator, licence_number=fields.pop("licence_number", f"92420506MA{n:08d}"), **fields
    )
    if pledges:
        services.pledge_approve(pledge=services.pledge_propose(merchant=merchant, text=pledges), by=None)
    return merchant
