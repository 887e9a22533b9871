"""The indicator registry: named, translated figures each app computes for any subtree.

Each app declares its figures in an ``indicators.py`` with :func:`indicator`; the registry imports
those modules at start-up. A figure is a function of the organization whose subtree it covers
(None for the whole district). The ``indicators`` command, the dashboards, exports and progress
bulletins all read figures from here, so a figure is defined once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from organizations.models import Organization

Value = int | float | Decimal | dict[str, int] | None
Compute = Callable[["Organization | None"], Value]


@dataclass(frozen=True)
class Indicator:
    name: str
    label: Promise | str
    compute: Compute
    app_label: str
    #: For a figure broken down by key (a dict): the label of each key, for people to read.
    key_labels: Mapping[str, Promise | str] | None = None

    def display(self, value: Value) -> str:
        """The value as a person reads it: a breakdown as "label: n, label: n" in the key order."""
        if value is None:
            return "—"
        if isinstance(value, dict):
            labels = self.key_labels or {}
            parts = (_("%(label)s: %(count)s") % {"label": labels.get(k, k), "count": n} for k, n in value.items())
            return _(", ").join(parts)
        return str(value)


_REGISTRY: dict[str, Indicator] = {}


def indicator(
    name: str, label: Promise | str, *, key_labels: Mapping[str, Promise | str] | None = None
) -> Callable[[Compute], Compute]:
    """Register ``compute`` as the figure called ``name`` (unique across apps).

    A figure broken down by key returns a dict; ``key_labels`` names its keys for people.
    """

    def decorator(compute: Compute) -> Compute:
        if name in _REGISTRY and _REGISTRY[name].compute is not compute:
            existing = _REGISTRY[name]
            raise ValueError(f"indicator {name!r} is already registered by {existing.app_label}")
        app_label = compute.__module__.split(".")[0]
        _REGISTRY[name] = Indicator(name=name, label=label, compute=compute, app_label=app_label, key_labels=key_labels)
        return compute

    return decorator


def registered() -> list[Indicator]:
    """Every registered figure, in registration order (app order, then declaration order)."""
    return list(_REGISTRY.values())


def compute_all(scope: Organization | None = None) -> dict[str, Value]:
    """Every figure for the subtree of ``scope`` (the whole district when None)."""
    return {ind.name: ind.compute(scope) for ind in registered()}


def autodiscover() -> None:
    autodiscover_modules("indicators")
