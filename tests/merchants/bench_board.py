"""Benchmark: the public board's requests per second, cached and uncached, beside a trivial view.

Not a timed test (nothing fails on a slow machine): it prints the three rates measured in the same run,
so their ratios can be compared across machines. `make bench` runs it (`-m benchmark`, bench_*.py).
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from merchants import board_cache, services

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]

SECONDS = 3.0


def _rate(client: Client, url: str, before=None) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        if before is not None:
            before()
        response = client.get(url)
        assert response.status_code == 200
        done += 1
    return done / (time.perf_counter() - start)


def test_board_requests_per_second(market, capsys):
    merchant = market["m_a"]
    for i in range(20):
        feedback = services.feedback_submit(merchant=merchant, kind="praise", text=f"服务周到{i}")
        services.feedback_publish(feedback=feedback, by=None)
    client = Client()
    board = reverse("board:board", kwargs={"code": merchant.board_code})
    trivial = _rate(client, reverse("healthz"))
    uncached = _rate(client, board, before=lambda: board_cache.clear_codes([merchant.board_code]))
    client.get(board)
    cached = _rate(client, board)
    with capsys.disabled():
        print(
            f"\nboard requests/s: cached {cached:.0f}, uncached {uncached:.0f}, trivial view (/healthz) {trivial:.0f}; "
            f"cached/trivial {cached / trivial:.2f}, uncached/trivial {uncached / trivial:.2f}"
        )
    assert cached > 0 and uncached > 0
