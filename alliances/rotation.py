"""The rotating host (活动承办制度) as a pure value: no database, so its rules can be tested as properties.

A rotation is the current members in their turn order, the members that have already hosted in the
current round, and the round's number. The rules:

* the next host is the first member in turn order that has not hosted in this round;
* when every current member has hosted, the round is over and the next one starts with nobody hosted;
* a member that leaves drops out of the order (and out of the round), so the turn passes on without a
  gap; if everyone left has hosted, the round is over;
* a member that joins goes to the end of the order: it hosts at the end of the current round;
* a secretary may swap the turns of two members that have not yet hosted in this round;
* a member hosting out of turn (again in the same round, or before its turn) hosts at most once per
  round: its turn is spent, the others keep theirs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class RotationError(ValueError):
    """A change the rotation rules refuse (e.g. swapping a turn already taken)."""


@dataclass(frozen=True)
class Rotation(Generic[K]):
    order: tuple[K, ...] = ()
    hosted: frozenset[K] = field(default_factory=frozenset)
    round: int = 1

    @classmethod
    def of(cls, order: Iterable[K], hosted: Iterable[K] = (), round: int = 1) -> Rotation[K]:
        order = tuple(order)
        if len(set(order)) != len(order):
            raise RotationError("a member appears twice in the turn order")
        return cls(order=order, hosted=frozenset(hosted) & frozenset(order), round=round)._closed()

    def _closed(self) -> Rotation[K]:
        """Start the next round when everyone has hosted in this one."""
        if self.order and all(k in self.hosted for k in self.order):
            return Rotation(order=self.order, hosted=frozenset(), round=self.round + 1)
        return self

    @property
    def due(self) -> tuple[K, ...]:
        """Members still to host in this round, in turn order."""
        return tuple(k for k in self.order if k not in self.hosted)

    def next_host(self) -> K | None:
        due = self.due
        return due[0] if due else None

    def upcoming(self, n: int) -> list[tuple[int, K]]:
        """The next ``n`` turns as (round, member): the rest of this round, then the rounds after it."""
        turns: list[tuple[int, K]] = [(self.round, k) for k in self.due]
        later = self.round + 1
        while len(turns) < n and self.order:
            turns += [(later, k) for k in self.order]
            later += 1
        return turns[:n]

    def host(self, member: K) -> Rotation[K]:
        """``member`` hosted; a second turn in the same round counts for nothing."""
        if member not in self.order:
            raise RotationError("only a current member hosts in the rotation")
        if member in self.hosted:
            return self
        return Rotation(order=self.order, hosted=self.hosted | {member}, round=self.round)._closed()

    def join(self, member: K) -> Rotation[K]:
        if member in self.order:
            raise RotationError("already a member")
        return Rotation(order=(*self.order, member), hosted=self.hosted, round=self.round)

    def leave(self, member: K) -> Rotation[K]:
        if member not in self.order:
            raise RotationError("not a member")
        order = tuple(k for k in self.order if k != member)
        return Rotation(order=order, hosted=self.hosted - {member}, round=self.round)._closed()

    def swap(self, a: K, b: K) -> Rotation[K]:
        """Exchange the turns of ``a`` and ``b``, both still due in this round."""
        if a == b:
            raise RotationError("a turn is swapped with another member's")
        if a not in self.order or b not in self.order:
            raise RotationError("only current members swap turns")
        if a in self.hosted or b in self.hosted:
            raise RotationError("a turn already taken in this round cannot be swapped")
        order = tuple(b if k == a else a if k == b else k for k in self.order)
        return Rotation(order=order, hosted=self.hosted, round=self.round)
