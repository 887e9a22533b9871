"""``seed_demo`` loads the park alliances of the case; the figures agree; a second run writes nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings

from alliances import selectors
from alliances.models import Alliance, JointMeeting
from members.models import Member
from organizations.models import Organization, UnitType
from tests.yiling.seeding import demo_loaded

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def tables() -> dict[str, int]:
    models = apps.get_app_config("alliances").get_models(include_auto_created=True)
    return {m._meta.label: m._default_manager.count() for m in models}


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        yield demo_loaded()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return _seeded_once


def test_figures_of_the_case(seeded):
    out = StringIO()
    call_command("indicators", "--format", "json", stdout=out)
    figures = json.loads(out.getvalue())
    assert {k: figures[k] for k in (
        "alliances", "alliance_member_enterprises", "enterprise_branches", "enterprise_branch_members",
        "demonstration_sites", "large_enterprises_with_instructor",
    )} == {
        "alliances": 2, "alliance_member_enterprises": 22, "enterprise_branches": 38,
        "enterprise_branch_members": 491, "demonstration_sites": 15, "large_enterprises_with_instructor": 44,
    }  # fmt: skip


def test_members_spread_over_all_38_branches_without_duplicates(seeded):
    branches = Organization.objects.filter(unit__unit_type=UnitType.ENTERPRISE)
    held = Member.objects.filter(home_organization__in=branches)
    per_branch = dict(
        held.values_list("home_organization").annotate(n=Count("pk")).values_list("home_organization", "n")
    )
    assert len(per_branch) == 38 and all(n > 0 for n in per_branch.values())
    assert held.values("id_number").distinct().count() == 491
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_park_secretary_lands_on_both_alliances_and_the_rotation(seeded, client):
    park = get_user_model().objects.get(username="park")
    assert {a.code for a in selectors.alliances_for(park)} == {"AL-KFQ", "AL-DSC"}
    kfq = Alliance.objects.get(code="AL-KFQ")
    assert selectors.upcoming_hosts(kfq, 1)[0].branch.code == "ORG-EN-YLGT"
    assert JointMeeting.objects.unminuted().filter(alliance=kfq).count() == 1
    client.force_login(park)
    page = client.get("/alliances/").content.decode()
    assert "夷陵电商产业城楼宇党建联盟" in page and "夷陵钢构公司党支部" in page


def test_second_run_writes_nothing(seeded):
    before = tables()
    second = seed()
    assert tables() == before
    assert "nothing changed" in second
