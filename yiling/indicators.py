"""The indicator registry: named, translated figures each app computes for any subtree.

Each app declares its figures in an ``indicators.py`` with :func:`indicator`; the registry imports
those modules at start-up. A figure is a function of the organization whose subtree it covers
(None for the whole district). The ``indicators`` command, the dashboards, exports and progress
bulletins all read figures from here, so a figure is defined once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, IntegerField, QuerySet, When
from django.db.models import Value as V
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from organizations.models import Organization

Value = int | float | Decimal | dict[str, int] | None
Compute = Callable[["Organization | None"], Value]
#: The same figure for several subtrees at once, keyed by organization pk, in a number of queries
#: that does not grow with the number of subtrees (for rankings and drill-down tables).
PerSubtree = Callable[[Sequence["Organization"]], dict[int, Value]]
#: Where the list behind a figure is: a URL name, or a function of the scope returning a URL.
Link = str | Callable[["Organization | None"], str]


class Kind:
    """How a figure reads: a count, a percentage, an amount of yuan, a breakdown by key."""

    COUNT = "count"
    PERCENT = "percent"
    MONEY = "money"
    BREAKDOWN = "breakdown"


@dataclass(frozen=True)
class Indicator:
    name: str
    label: Promise | str
    compute: Compute
    app_label: str
    #: For a figure broken down by key (a dict): the label of each key, for people to read.
    key_labels: Mapping[str, Promise | str] | None = None
    #: What the figure counts, in one short sentence for people.
    definition: Promise | str = ""
    #: ``Kind``; guessed from the label and the keys when not given.
    kind: str = Kind.COUNT
    #: For a rate: the names of the registered figures it divides (part / whole).
    numerator: str = ""
    denominator: str = ""
    #: The list behind the figure.
    link: Link | None = None
    #: Who may open that list (``opens_for(user)``), when not everyone who sees the figure may: a
    #: page links the figure only for them.
    opens_for: Callable[[Any], bool] | None = field(default=None, compare=False)
    #: Optional: the figure for many subtrees at once (see ``PerSubtree``).
    per_subtree: PerSubtree | None = field(default=None, compare=False)

    @property
    def is_rate(self) -> bool:
        return self.kind == Kind.PERCENT

    def url(self, scope: Organization | None = None) -> str:
        """The address of the list behind the figure; "" when it has none."""
        if self.link is None:
            return ""
        if callable(self.link):
            return self.link(scope)
        return reverse(self.link)

    def compute_per_subtree(
        self, scopes: Sequence[Organization], memo: dict[Any, dict[int, Value]] | None = None
    ) -> dict[int, Value]:
        """The figure for each of ``scopes`` (by pk): grouped when the app says how, one by one
        otherwise; a rate from its parts. ``memo`` keeps what was computed for the same scopes, so a
        page whose columns share a part (two rates over the same compounds) counts it once."""
        if not scopes:
            return {}
        key = (self.name, tuple(s.pk for s in scopes))
        if memo is not None and key in memo:
            return memo[key]
        if self.per_subtree is not None:
            result = self.per_subtree(scopes)
        elif self.numerator and self.denominator:
            parts = _REGISTRY[self.numerator].compute_per_subtree(scopes, memo)
            wholes = _REGISTRY[self.denominator].compute_per_subtree(scopes, memo)
            result = {s.pk: percent(parts[s.pk] or 0, wholes[s.pk] or 0) for s in scopes}
        else:
            result = {scope.pk: self.compute(scope) for scope in scopes}
        if memo is not None:
            memo[key] = result
        return result

    @property
    def groups_in_one_go(self) -> bool:
        """Whether ``compute_per_subtree`` costs the same few queries for any number of subtrees."""
        if self.per_subtree is not None:
            return True
        if self.numerator and self.denominator:
            parts = (self.numerator, self.denominator)
            return all(p in _REGISTRY and _REGISTRY[p].groups_in_one_go for p in parts)
        return False

    def readable(self, value: Value) -> str:
        """The value as people write it: thousands separators, a rate with %, money with two decimals
        and 元, a breakdown with its labels. (``display`` stays the plain form the command prints.)"""
        if value is None:
            return "—"
        if isinstance(value, dict):
            labels = self.key_labels or {}
            parts = (
                _("%(label)s: %(count)s") % {"label": labels.get(k, k), "count": f"{n:,}"} for k, n in value.items()
            )
            return _(", ").join(parts)
        if self.kind == Kind.PERCENT:
            return f"{Decimal(value):,.1f}%"
        if self.kind == Kind.MONEY:
            return _("%(amount)s yuan") % {"amount": f"{Decimal(value):,.2f}"}
        if isinstance(value, int):
            return f"{value:,}"
        return f"{value:,}"

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
    name: str,
    label: Promise | str,
    *,
    key_labels: Mapping[str, Promise | str] | None = None,
    definition: Promise | str = "",
    kind: str = "",
    numerator: str = "",
    denominator: str = "",
    link: Link | None = None,
    opens_for: Callable[[Any], bool] | None = None,
) -> Callable[[Compute], Compute]:
    """Register ``compute`` as the figure called ``name`` (unique across apps).

    A figure broken down by key returns a dict; ``key_labels`` names its keys for people.
    ``definition`` says in a sentence what it counts; a rate names the registered figures it divides
    (``numerator`` / ``denominator``), so a page can show "42% = 28 / 66"; ``link`` is the list behind
    it, and ``opens_for(user)`` says who may open that list when not everyone may. Only ``name`` and
    ``label`` are needed: a figure declared without the rest still works.
    """
    if bool(numerator) != bool(denominator):
        raise ValueError(f"indicator {name!r}: a rate names both its numerator and its denominator")

    def decorator(compute: Compute) -> Compute:
        if name in _REGISTRY and _REGISTRY[name].compute is not compute:
            existing = _REGISTRY[name]
            raise ValueError(f"indicator {name!r} is already registered by {existing.app_label}")
        app_label = compute.__module__.split(".")[0]
        guessed = kind or (
            Kind.BREAKDOWN
            if key_labels is not None
            else Kind.PERCENT
            if numerator or "%" in str(label) or name.endswith("_rate")
            else Kind.COUNT
        )
        _REGISTRY[name] = Indicator(
            name=name,
            label=label,
            compute=compute,
            app_label=app_label,
            key_labels=key_labels,
            definition=definition,
            kind=guessed,
            numerator=numerator,
            denominator=denominator,
            link=link,
            opens_for=opens_for,
        )
        return compute

    return decorator


def per_subtree(name: str) -> Callable[[PerSubtree], PerSubtree]:
    """Register how the figure ``name`` (already registered) is computed for many subtrees at once."""

    def decorator(function: PerSubtree) -> PerSubtree:
        existing = _REGISTRY[name]
        _REGISTRY[name] = Indicator(**{**existing.__dict__, "per_subtree": function})
        return function

    return decorator


def get(name: str) -> Indicator:
    return _REGISTRY[name]


def subtree_bucket(lookup: str, scopes: Sequence[Organization]) -> Case:
    """An expression naming, for each row, which of ``scopes`` (disjoint subtrees) it falls in, by the
    path reached through ``lookup`` (e.g. ``"organization__path"``); for grouping in one query."""
    return Case(
        *(When(**{f"{lookup}__startswith": s.path}, then=V(s.pk)) for s in scopes),
        default=None,
        output_field=IntegerField(),
    )


def aggregate_per_subtree(
    qs: QuerySet[Any], lookup: str, scopes: Sequence[Organization], aggregate: Any, default: Any = 0
) -> dict[int, Any]:
    """``aggregate`` (e.g. ``Sum("amount")``) over the rows of ``qs`` in each of ``scopes`` (by pk),
    in one query; ``default`` for a subtree without rows."""
    if not scopes:
        return {}
    lengths = {len(s.path) for s in scopes}
    if len(lengths) == 1:
        # Scopes of one depth: a row's subtree is the head of its path, so the query groups by that
        # head (one expression, whatever the number of scopes) instead of testing every scope in turn.
        by_path = {s.path: s.pk for s in scopes}
        head = Substr(lookup, 1, lengths.pop())
        rows = (
            qs.order_by()
            .annotate(_head=head)
            .filter(_head__in=list(by_path))
            .values("_head")
            .annotate(_v=aggregate)
            .values_list("_head", "_v")
        )
        found = {by_path[path]: v for path, v in rows}
    else:
        rows = (
            qs.order_by()
            .annotate(_bucket=subtree_bucket(lookup, scopes))
            .filter(_bucket__isnull=False)
            .values("_bucket")
            .annotate(_v=aggregate)
            .values_list("_bucket", "_v")
        )
        found = dict(rows)
    return {s.pk: found.get(s.pk) if found.get(s.pk) is not None else default for s in scopes}


def count_per_subtree(
    qs: QuerySet[Any], lookup: str, scopes: Sequence[Organization], *, distinct: str = ""
) -> dict[int, int]:
    """How many rows of ``qs`` fall in each of ``scopes`` (by pk), in one query; ``distinct``: count
    distinct values of that field instead of rows."""
    counted = Count(distinct, distinct=True) if distinct else Count("pk")
    return aggregate_per_subtree(qs, lookup, scopes, counted)


def percent(part: Any, whole: Any) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def missing_parts() -> list[str]:
    """Rates naming a numerator or denominator no app registers (a test keeps this empty)."""
    names = set(_REGISTRY)
    return [
        f"{ind.name}: {part}"
        for ind in _REGISTRY.values()
        for part in (ind.numerator, ind.denominator)
        if part and part not in names
    ]


def registered() -> list[Indicator]:
    """Every registered figure, in registration order (app order, then declaration order)."""
    return list(_REGISTRY.values())


def compute_all(scope: Organization | None = None) -> dict[str, Value]:
    """Every figure for the subtree of ``scope`` (the whole district when None)."""
    return {ind.name: ind.compute(scope) for ind in registered()}


def autodiscover() -> None:
    autodiscover_modules("indicators")
