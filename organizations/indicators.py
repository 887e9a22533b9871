"""Figures of the organization tree, for any subtree."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from yiling.indicators import indicator

from . import selectors
from .models import Organization, UnitType


@indicator("organizations", _("Party organizations"))
def organizations(scope: Organization | None) -> int:
    return selectors.organizations_within(scope).active().count()


@indicator("communities", _("Communities"))
def communities(scope: Organization | None) -> int:
    return selectors.units_within(scope).of_type(UnitType.COMMUNITY).count()


@indicator("streets", _("Streets"))
def streets(scope: Organization | None) -> int:
    return selectors.units_within(scope).of_type(UnitType.STREET).count()
