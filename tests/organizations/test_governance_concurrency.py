"""Two secretaries spending the same balance at the same moment, on PostgreSQL: the allocation row lock
lets one of them through and refuses the other, so the fund is never overdrawn."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from organizations import services
from organizations.models import Expense, FundSource
from organizations.services import governance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

YEAR = timezone.localdate().year
TIMEOUT = 20  # seconds; a healthy run takes a fraction of one


def waiting_for_a_lock(pid: int) -> bool:
    """Whether the backend ``pid`` is blocked waiting for a lock another transaction holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [pid])
        return cursor.fetchone()[0]


def test_two_expenses_at_once_cannot_overdraw(monkeypatch, tree):
    fund = services.fund_allocation_create(
        organization=tree["compound_a"],
        year=YEAR,
        source=FundSource.ACTIVITY_FUND,
        amount=Decimal("1000.00"),
        granted_on=date(YEAR, 1, 1),
    )
    start = threading.Barrier(2, timeout=TIMEOUT)
    first_has_read = threading.Event()
    second_has_read = threading.Event()
    pids: dict[str, int] = {}
    outcome: dict[str, object] = {}
    real_spent = governance.allocation_spent

    def spent_then_hold(allocation):
        """The balance check of expense_record, after its lock is taken (or would have been).

        The first secretary reads the balance, then holds her transaction open until the second is
        either blocked behind her lock or (without a lock) has read the same, unspent balance."""
        spent = real_spent(allocation)
        if threading.current_thread().name == "first":
            first_has_read.set()
            deadline = time.monotonic() + TIMEOUT
            while not (second_has_read.is_set() or waiting_for_a_lock(pids["second"])):
                if time.monotonic() > deadline:
                    raise TimeoutError("the second expense neither waited for the lock nor read the balance")
                time.sleep(0.01)
        else:
            second_has_read.set()
        return spent

    monkeypatch.setattr(governance, "allocation_spent", spent_then_hold)

    def spend(name: str) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[name] = cursor.fetchone()[0]
            start.wait()
            if name == "second" and not first_has_read.wait(TIMEOUT):
                raise TimeoutError("the first expense never read the balance")
            services.expense_record(
                allocation=fund,
                amount=Decimal("600.00"),
                spent_on=date(YEAR, 1, 1),
                purpose=f"{name} 慰问",
                receipt_number=name,
            )
            outcome[name] = "spent"
        except ValidationError as exc:
            outcome[name] = exc.message_dict
        except Exception as exc:  # reported in the assertion below, not lost in the thread
            outcome[name] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(name,), name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * TIMEOUT)

    assert not any(thread.is_alive() for thread in threads)
    assert outcome == {
        "first": "spent",
        "second": {"amount": ["这笔 600.00 元的支出超出党建活动经费余额：仅剩 400.00 元。"]},
    }
    assert list(Expense.objects.values_list("receipt_number", "amount")) == [("first", Decimal("600.00"))]
    assert services.allocation_spent(fund) == Decimal("600.00")
