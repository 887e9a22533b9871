"""The public board's cache: what a board shows, kept per merchant and cleared on commit when it changes.

The cache is a help, never a dependency: when it cannot be reached (Redis down) every read is a miss
and every write is dropped, so the board answers from the database and feedback is still taken.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

#: Seconds a board stays cached (it is cleared on every change anyway).
BOARD_TTL = 3600
PREFIX = "merchants:board:"


def key(board_code: str) -> str:
    return f"{PREFIX}{board_code}"


def get(board_code: str) -> Any | None:
    try:
        return cache.get(key(board_code))
    except Exception:
        logger.warning("board cache unreachable on read", exc_info=True)
        return None


def put(board_code: str, data: Any) -> None:
    try:
        cache.set(key(board_code), data, BOARD_TTL)
    except Exception:
        logger.warning("board cache unreachable on write", exc_info=True)


def clear_codes(codes: Iterable[str]) -> None:
    keys = [key(c) for c in codes]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("board cache unreachable on clear", exc_info=True)


def clear_now(merchant_ids: Iterable[int]) -> None:
    from .models import Merchant

    ids = [i for i in merchant_ids if i]
    if ids:
        clear_codes(Merchant.objects.filter(pk__in=ids).values_list("board_code", flat=True))


def clear_on_commit(merchant_ids: Iterable[int]) -> None:
    """Forget the boards of these merchants once the transaction that changed them commits."""
    ids = list(merchant_ids)
    if ids:
        transaction.on_commit(lambda: clear_now(ids))


# --- what other apps change that a board shows -------------------------------------------------------


def _unit_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A renamed shop or business district: its boards show the old name."""
    if created:
        return
    from .models import Merchant

    if instance.unit_type == "shop":
        ids = Merchant.objects.filter(shop_id=instance.pk).values_list("pk", flat=True)
    elif instance.unit_type == "business_district":
        ids = Merchant.objects.filter(shop__parent_id=instance.pk).values_list("pk", flat=True)
    else:
        return
    clear_on_commit(list(ids))


def _organization_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A renamed branch: the boards of the merchants whose membership it holds name it."""
    if created:
        return
    from .models import Merchant

    clear_on_commit(
        list(Merchant.objects.filter(operator__home_organization_id=instance.pk).values_list("pk", flat=True))
    )


def _member_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A member renamed or moved to another branch: the boards of his or her shops."""
    if created:
        return
    clear_on_commit(list(instance.merchant_shops.values_list("pk", flat=True)))


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_save

    post_save.connect(_unit_saved, sender=apps.get_model("organizations", "Unit"), dispatch_uid="merchants-board-unit")
    for proxy in ("Shop", "BusinessDistrict"):
        post_save.connect(
            _unit_saved, sender=apps.get_model("organizations", proxy), dispatch_uid=f"merchants-board-{proxy}"
        )
    post_save.connect(
        _organization_saved,
        sender=apps.get_model("organizations", "Organization"),
        dispatch_uid="merchants-board-organization",
    )
    post_save.connect(_member_saved, sender=apps.get_model("members", "Member"), dispatch_uid="merchants-board-member")
