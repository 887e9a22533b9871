"""The to-do registry: what is waiting for a user, declared once by each app in its ``todos.py``.

Same shape as the indicator registry (``yiling.indicators``): an app registers an item with
:func:`todo`; the registry imports every app's ``todos`` module at start-up; the work page lists
whatever is registered, so an app that lands adds its items to every secretary's page by itself.

An item is a function of the user returning the places where something waits (``Entry``: where, how
many, the link to act on it), read in a fixed number of queries whatever the number of rows, and
limited to what the user may act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from yiling.scoping import UserLike


@dataclass(frozen=True)
class Entry:
    """Something waiting at one place: ``count`` of it at ``where``, handled at ``url``."""

    where: str
    count: int
    url: str


Collect = Callable[["UserLike"], list[Entry]]


@dataclass(frozen=True)
class TodoItem:
    name: str
    label: Promise | str
    collect: Collect
    app_label: str
    #: What the item asks the user to do, in one sentence.
    definition: Promise | str = ""
    #: Where the item stands on the work page among the others (lower first).
    order: int = 100


@dataclass
class Waiting:
    """One item as the work page shows it: its declaration and where it waits."""

    item: TodoItem
    entries: list[Entry]

    @property
    def total(self) -> int:
        return sum(e.count for e in self.entries)


_REGISTRY: dict[str, TodoItem] = {}


def todo(
    name: str, label: Promise | str, *, definition: Promise | str = "", order: int = 100
) -> Callable[[Collect], Collect]:
    """Register ``collect`` as the to-do item called ``name`` (unique across apps)."""

    def decorator(collect: Collect) -> Collect:
        if name in _REGISTRY and _REGISTRY[name].collect is not collect:
            raise ValueError(f"to-do item {name!r} is already registered by {_REGISTRY[name].app_label}")
        app_label = collect.__module__.split(".")[0]
        _REGISTRY[name] = TodoItem(
            name=name, label=label, collect=collect, app_label=app_label, definition=definition, order=order
        )
        return collect

    return decorator


def registered() -> list[TodoItem]:
    """Every registered item by its ``order``, then in registration order."""
    return sorted(_REGISTRY.values(), key=lambda item: item.order)


def waiting_for(user: UserLike) -> list[Waiting]:
    """Every registered item with what waits for ``user``: those with something waiting first, then
    the others (count 0), each group in the items' order."""
    waiting = [Waiting(item=item, entries=item.collect(user)) for item in registered()]
    return sorted(waiting, key=lambda w: w.total == 0)


def autodiscover() -> None:
    autodiscover_modules("todos")
    # The notice inbox lives in yiling.notices, a package of the yiling app, not an app of its own.
    import_module("yiling.notices.todos")
