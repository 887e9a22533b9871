"""The rotating host as properties over random sequences of joins, leaves, swaps and hostings."""

from __future__ import annotations

import random

import pytest

from alliances.rotation import Rotation, RotationError


def test_next_host_follows_turn_order_and_rounds_restart():
    r = Rotation.of(["a", "b", "c"])
    assert r.next_host() == "a"
    r = r.host("a").host("b")
    assert r.next_host() == "c" and r.round == 1
    r = r.host("c")
    assert r.round == 2 and r.next_host() == "a" and not r.hosted


def test_leaving_member_passes_the_turn_on_and_can_close_the_round():
    r = Rotation.of(["a", "b", "c"]).host("a")
    assert r.leave("b").next_host() == "c"
    r = r.host("b").leave("c")
    assert r.round == 2 and r.next_host() == "a"


def test_joining_member_hosts_at_the_end_of_the_current_round():
    r = Rotation.of(["a", "b"]).host("a").join("z")
    assert r.upcoming(4) == [(1, "b"), (1, "z"), (2, "a"), (2, "b")]


def test_swap_exchanges_turns_of_due_members_only():
    r = Rotation.of(["a", "b", "c"])
    assert r.swap("a", "c").order == ("c", "b", "a")
    with pytest.raises(RotationError):
        r.host("a").swap("a", "b")
    with pytest.raises(RotationError):
        r.swap("a", "a")


def test_hosting_twice_in_a_round_counts_once():
    r = Rotation.of(["a", "b"]).host("a")
    assert r.host("a") == r


def _simulate(seed: int, steps: int = 200) -> None:
    """Random joins, leaves, swaps and hostings; every member present for a whole round hosts in it
    exactly once, nobody hosts twice in a round, and a round ends only when every current member hosted."""
    rng = random.Random(seed)
    r: Rotation[int] = Rotation.of(range(rng.randint(1, 5)))
    fresh = 100
    hosted_in_round: list[int] = []
    present_from_start = set(r.order)
    for _ in range(steps):
        op = rng.random()
        if op < 0.15:
            r = r.join(fresh)
            fresh += 1
        elif op < 0.28 and len(r.order) > 1:
            leaver = rng.choice(r.order)
            present_from_start.discard(leaver)
            before = r.round
            r = r.leave(leaver)
            if r.round != before:
                assert present_from_start <= set(hosted_in_round)
                hosted_in_round, present_from_start = [], set(r.order)
        elif op < 0.4 and len(r.due) > 1:
            a, b = rng.sample(r.due, 2)
            r = r.swap(a, b)
        else:
            host = r.next_host()
            assert host is not None
            # the proposed host is never one that already hosted in this round
            assert host not in hosted_in_round
            before = r.round
            due_before = len(r.due)
            r = r.host(host)
            hosted_in_round.append(host)
            if r.round != before:
                # the round closed exactly when the last due member hosted
                assert due_before == 1
                assert len(hosted_in_round) == len(set(hosted_in_round))
                assert present_from_start <= set(hosted_in_round)
                hosted_in_round, present_from_start = [], set(r.order)
        # invariants after every step
        assert len(set(r.order)) == len(r.order)
        assert r.hosted <= set(r.order)
        assert r.next_host() is None or r.next_host() in r.order
        assert set(r.upcoming(len(r.order))) == {(r.round, k) for k in r.due} | {
            (r.round + 1, k) for k in r.order[: len(r.order) - len(r.due)]
        }


@pytest.mark.parametrize("seed", range(300))
def test_every_current_member_hosts_exactly_once_per_round(seed):
    _simulate(seed)
