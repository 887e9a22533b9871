"""tests/snapshots.py: rows a helper wrote, copied back instead of written again."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import TransactionTestCase

from organizations.models import Organization
from tests.organizations.factories import _district_tree, district_tree, make_org
from tests.snapshots import _TAKEN, baseline_restored, emptied_to_the_baseline, instances_copied
from tests.yiling.seeding import row_counts
from yiling.validation import constraints_left_to_database

#: COPY is PostgreSQL's; elsewhere the helpers write every time.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def nodes(tree: dict) -> dict:
    return {name: (type(node), node.pk, node.name, node.code) for name, node in tree.items()}


def test_a_district_copied_back_is_the_district_written():
    with transaction.atomic(), constraints_left_to_database():
        first = _district_tree()  # written for real, whatever this process has copied before
        written = row_counts()
        transaction.set_rollback(True)
    with transaction.atomic():
        district_tree()  # the first in this process is written, and copied out
        transaction.set_rollback(True)
    assert Organization.objects.count() == 0

    copied = district_tree()

    assert copied["root"].pk == instances_copied(_TAKEN["district_tree"][0])["root"].pk  # copied back, not written
    assert row_counts() == written
    assert {name: (type(n), n.name) for name, n in copied.items()} == {
        name: (type(n), n.name) for name, n in first.items()
    }
    # As the services leave them: the tree's paths, each organization's unit, each unit's parent.
    assert [o.name for o in Organization.objects.get_tree()][:3] == ["区委", "甲街道党工委", "甲社区党委"]
    assert copied["compound_a"].unit.parent == copied["comm_a"].unit
    assert copied["bare_b"].organization == copied["comm_b"]


def test_on_a_database_with_other_rows_the_district_is_written_again():
    with transaction.atomic():
        taken = nodes(district_tree())
        transaction.set_rollback(True)
    # A row of the test's own first: the copy would not fit beside it (tree paths, keys), so the
    # district is written for real, under keys of its own.
    make_org(None, name="另一个区委")

    again = district_tree()

    assert set(again) == set(taken)
    assert all(again[name].pk != pk for name, (_, pk, _, _) in taken.items())
    assert Organization.objects.filter(depth=1).count() == 2


def test_what_a_test_does_to_the_nodes_it_got_does_not_reach_the_next_copy():
    _TAKEN.pop("district_tree", None)  # the next call writes for real and hands out its own dict
    with transaction.atomic():
        first = district_tree()
        first["root"] = first["shop"]
        first["extra"] = first["agency"]
        first["comm_a"].name = "改过的名字"
        transaction.set_rollback(True)

    copied = district_tree()

    assert copied["root"].name == "区委" and "extra" not in copied
    assert copied["comm_a"].name == "甲社区党委"


# --- the rows migrate leaves, after a flush ----------------------------------------------------------


def keyed_rows() -> dict[str, dict[int, tuple]]:
    """The rows migrate leaves, by key: content types, permissions, the beat's schedules."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django_celery_beat.models import PeriodicTask

    return {
        "content types": {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()},
        "permissions": {p.pk: (p.content_type_id, p.codename) for p in Permission.objects.all()},
        "schedules": {t.pk: (t.name, t.task, t.crontab_id, t.interval_id) for t in PeriodicTask.objects.all()},
    }


def test_after_a_flush_the_rows_migrate_left_are_back_under_their_first_keys():
    with transaction.atomic():
        taken = nodes(district_tree())
        before = keyed_rows()
        transaction.set_rollback(True)
    with transaction.atomic():
        # What a transactional test ends with: post_migrate writes the same rows again, under new
        # keys, and the copy would not fit.
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
        assert all(keyed_rows()[kind].keys().isdisjoint(rows) for kind, rows in before.items())

        baseline_restored()

        assert keyed_rows() == before
        assert nodes(district_tree()) == taken  # copied back, not written again
        transaction.set_rollback(True)


def test_emptied_to_the_baseline_is_a_flush_that_keeps_the_first_keys():
    before = keyed_rows()
    with transaction.atomic():
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
        flushed = row_counts()
        transaction.set_rollback(True)
    district_tree()
    make_org(None, name="另一个区委")

    assert emptied_to_the_baseline()

    assert row_counts() == flushed  # the same tables emptied, the same rows written again
    assert keyed_rows() == before  # under their first keys
    assert not Organization.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_ends_with_the_rows_migrate_left_under_their_first_keys():
    before = keyed_rows()
    make_org(None, name="提交的区委")  # committed: only the flush takes it away

    TransactionTestCase()._fixture_teardown()  # what pytest-django ends a transactional test with

    assert not Organization.objects.exists()
    assert keyed_rows() == before


def test_on_another_day_the_district_is_written_again(monkeypatch):
    """A helper's dates count from today: a run that crosses midnight in Yiling writes afresh."""
    from datetime import timedelta

    from django.utils import timezone

    with transaction.atomic():
        taken = nodes(district_tree())
        transaction.set_rollback(True)
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr("tests.snapshots.timezone.localdate", lambda: tomorrow)

    again = district_tree()

    assert all(again[name].pk != pk for name, (_, pk, _, _) in taken.items())
    assert _TAKEN["district_tree"][3] == tomorrow
