"""What a dashboard shows for one node of the tree: its figures, grouped by the app that declares them,
and tables of the nodes below it (ranked by a rate), all read from the indicator registry.

Every query here is per figure or per table, never per row: the number of queries does not grow with
the number of streets, communities, compounds or members.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization, UnitType
from yiling import indicators
from yiling.indicators import Indicator, Kind, Value

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from yiling.scoping import UserLike

#: The levels of the drill-down, top to bottom (a park sits where a street does).
HEADLINE_KEY = "headline"
LEVELS: list[tuple[str, ...]] = [
    (UnitType.STREET, UnitType.PARK),
    (UnitType.COMMUNITY,),
    (UnitType.COMPOUND,),
]
LEVEL_TITLES: list[Promise] = [_("Streets and parks"), _("Communities"), _("Compounds")]
#: The case's headline figures, in the order the case gives them: shown first on the dashboards, with
#: a chart, as soon as the app that registers each has landed (a name nobody registers is left out).
HEADLINE = (
    "demonstration_business_districts",
    "alliances",
    "compound_party_organizations",
    "owners_committees",
    "venues",
    "enterprise_branches",
    "enterprise_branch_members",
    "merchants_displaying",
    "agencies",
    "compounds",
    "demonstration_sites",
    "large_enterprises_with_instructor",
    "alliance_member_enterprises",
)


@dataclass
class Figure:
    """One figure as a page shows it."""

    indicator: Indicator
    value: Value
    text: str
    url: str
    #: For a rate: the readable numerator and denominator with their labels.
    parts: tuple[str, Promise | str, str, Promise | str] | None = None

    @property
    def name(self) -> str:
        return self.indicator.name


@dataclass
class Section:
    key: str
    title: Promise | str
    figures: list[Figure]


@dataclass
class Row:
    organization: Organization
    values: dict[str, Value]
    #: (column label, readable value) for each figure of the table.
    cells: list[tuple[Any, str]] = field(default_factory=list)


@dataclass
class Table:
    """Nodes below the scope with some figures each; exported and charted as it is shown."""

    key: str
    title: Promise | str
    figures: list[Indicator]
    rows: list[Row]
    ranked_by: Indicator | None = None

    def chart(self) -> dict[str, Any]:
        """The data a bar chart of the table draws: the ranked figure (else the first) per row."""
        shown = self.ranked_by or (self.figures[0] if self.figures else None)
        if shown is None:
            return {}
        return {
            "title": str(shown.label),
            "labels": [r.organization.name for r in self.rows],
            "values": [_number(r.values.get(shown.name)) for r in self.rows],
            "kind": shown.kind,
        }


@dataclass
class Board:
    scope: Organization | None
    sections: list[Section]
    tables: list[Table]
    computed_at: datetime
    rank_choices: list[Indicator]
    ranked_by: Indicator | None

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def headline_chart(self) -> dict[str, Any]:
        """The headline counts (else the first counts shown), as a bar chart."""
        headline = [s for s in self.sections if s.key == HEADLINE_KEY]
        shown = headline or self.sections
        counts = [f for s in shown for f in s.figures if f.indicator.kind == Kind.COUNT][:13]
        return {
            "title": str(_("Headline figures")),
            "labels": [str(f.indicator.label) for f in counts],
            "values": [_number(f.value) for f in counts],
            "kind": Kind.COUNT,
        }


def _number(value: Value) -> float | int | None:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    return None


def _app_title(app_label: str) -> Promise | str:
    try:
        return apps.get_app_config(app_label).verbose_name
    except LookupError:
        return app_label


def figures_for(
    scope: Organization | None,
    registry: Sequence[Indicator] | None = None,
    *,
    headline: Sequence[str] = (),
    user: UserLike | None = None,
) -> list[Section]:
    """Every registered figure for the subtree of ``scope``, grouped by the app that declares it, a
    rate with its numerator and denominator; the figures named in ``headline`` first, in a section of
    their own (and not again in their app's). Given the ``user``, a figure links to its list only if
    the user may open it (``Indicator.opens_for``)."""
    registry = list(registry if registry is not None else indicators.registered())
    may_open: dict[Any, bool] = {}

    def url_of(ind: Indicator) -> str:
        if user is not None and ind.opens_for is not None:
            if ind.opens_for not in may_open:
                may_open[ind.opens_for] = ind.opens_for(user)
            if not may_open[ind.opens_for]:
                return ""
        return ind.url(scope)

    values = {ind.name: ind.compute(scope) for ind in registry}
    by_name = {ind.name: ind for ind in registry}
    sections: dict[str, Section] = {}
    figures: dict[str, Figure] = {}
    for ind in registry:
        parts = None
        if ind.numerator in values and ind.denominator in values:
            num, den = by_name[ind.numerator], by_name[ind.denominator]
            parts = (num.readable(values[num.name]), num.label, den.readable(values[den.name]), den.label)
        figure = Figure(
            indicator=ind, value=values[ind.name], text=ind.readable(values[ind.name]), url=url_of(ind), parts=parts
        )
        figures[ind.name] = figure
        if ind.name not in headline:
            sections.setdefault(
                ind.app_label, Section(key=ind.app_label, title=_app_title(ind.app_label), figures=[])
            ).figures.append(figure)
    first = [figures[name] for name in headline if name in figures]
    top = [Section(key=HEADLINE_KEY, title=_("Headline figures"), figures=first)] if first else []
    return top + list(sections.values())


def rankable() -> list[Indicator]:
    """The rates a table of nodes can rank by (those counted for many subtrees in one go)."""
    return [ind for ind in indicators.registered() if ind.kind == Kind.PERCENT and ind.groups_in_one_go]


def money_figures() -> list[Indicator]:
    """Fund execution: the amounts, and the rates that divide amounts."""
    registered = indicators.registered()
    money = {ind.name for ind in registered if ind.kind == Kind.MONEY and ind.groups_in_one_go}
    return [
        ind
        for ind in registered
        if ind.name in money or (ind.kind == Kind.PERCENT and ind.denominator in money and ind.groups_in_one_go)
    ]


def level_of(scope: Organization | None) -> int:
    """-1 for the district, else the index in LEVELS of the scope's unit type (None: no level)."""
    if scope is None:
        return -1
    unit_type = scope.unit.unit_type if scope.unit_id else ""
    for index, types in enumerate(LEVELS):
        if unit_type in types:
            return index
    return len(LEVELS)


def nodes_at(user: UserLike, scope: Organization | None, level: int) -> list[Organization]:
    """The active organizations of one level below ``scope`` that ``user`` may see: one query."""
    qs = (
        Organization.objects.visible_to(user)
        .within(scope)
        .active()
        .filter(unit__unit_type__in=LEVELS[level])
        .select_related("unit")
        .order_by("path")
    )
    if scope is not None:
        qs = qs.exclude(pk=scope.pk)
    return list(qs)


def _table(
    key: str,
    title: Promise | str,
    figures: list[Indicator],
    nodes: list[Organization],
    ranked_by: Indicator | None,
    memo: dict[Any, Any],
) -> Table:
    columns = {ind.name: ind.compute_per_subtree(nodes, memo) for ind in figures}
    rows = [Row(organization=n, values={name: col[n.pk] for name, col in columns.items()}) for n in nodes]
    if ranked_by is not None and ranked_by.name in columns:
        # Highest first; a node without the figure (no denominator) last, then by tree order.
        rows.sort(key=lambda r: (r.values[ranked_by.name] is None, -(r.values[ranked_by.name] or 0)))
    for row in rows:
        row.cells = [(ind.label, ind.readable(row.values[ind.name])) for ind in figures]
    return Table(key=key, title=title, figures=figures, rows=rows, ranked_by=ranked_by)


def board(*, user: UserLike, scope: Organization | None, rank: str = "") -> Board:
    """The dashboard of ``scope`` (the district for None) as ``user`` sees it. The caller has checked
    that the user may see ``scope``; the tables list only the nodes the user may see."""
    choices = rankable()
    ranked_by = next((r for r in choices if r.name == rank), choices[0] if choices else None)
    sections = figures_for(scope, headline=HEADLINE, user=user)
    level = level_of(scope)
    tables = []
    memo: dict[Any, Any] = {}
    wanted = [level + 1] + ([level + 2] if scope is None else [])
    for index in wanted:
        if 0 <= index < len(LEVELS):
            nodes = nodes_at(user, scope, index)
            tables.append(_table(f"level{index}", LEVEL_TITLES[index], choices, nodes, ranked_by, memo))
    if tables:
        # The nodes of the first table in tree order: the same list its columns were counted for.
        nodes = sorted((r.organization for r in tables[0].rows), key=lambda o: o.path)
        tables.append(_table("funds", _("Fund execution"), money_figures(), nodes, None, memo))
    return Board(
        scope=scope,
        sections=sections,
        tables=tables,
        computed_at=timezone.now(),
        rank_choices=choices,
        ranked_by=ranked_by,
    )
