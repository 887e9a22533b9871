"""``manage.py seed_demo`` loads the members of the Yiling case; a second run writes nothing."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from members import demo, selectors, services
from members.idnumbers import birth_date_of, is_male, validate_id_number
from members.models import (
    Category,
    CheckIn,
    FloatingRecord,
    Gender,
    Member,
    MembershipTransfer,
    PostKind,
    VolunteerPost,
)
from organizations.models import Organization, Unit, UnitType
from tests.yiling.seeding import demo_loaded

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def indicators(*args: str) -> dict:
    out = StringIO()
    call_command("indicators", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def compound(name: str) -> Unit:
    return Unit.objects.get(unit_type=UnitType.COMPOUND, name=name)


def members_tables() -> dict[str, int]:
    """Row counts of every table of the members app, history tables included."""
    models = apps.get_app_config("members").get_models(include_auto_created=True)
    return {m._meta.label: m._default_manager.count() for m in models}


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the whole module (the first run takes seconds), rolled back at its end.

    Each test's own transaction nests inside this one as a savepoint, so what a test writes is
    undone after it and every test starts from the freshly seeded district.
    """
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        output = demo_loaded()  # DEBUG on: the demo accounts (and their groups) exist only then
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db) -> str:
    return _seeded_once


def test_enterprise_branches_hold_491_members(seeded):
    held = Member.objects.filter(home_organization__unit__unit_type=UnitType.ENTERPRISE)
    assert held.count() == 491
    branches = Organization.objects.filter(unit__unit_type=UnitType.ENTERPRISE)
    assert set(held.values_list("home_organization", flat=True)) == set(branches.values_list("pk", flat=True))
    in_service = held.filter(category=Category.IN_SERVICE).select_related("employer")
    assert in_service.count() > 400
    # employed by the firm itself, or by a firm of the joint branch (电商产业城)
    assert all(m.employer.organization_id == m.home_organization_id for m in in_service)
    assert all(m.employer.unit_type == UnitType.ENTERPRISE for m in in_service)
    reported = CheckIn.objects.filter(member__in=held, status=CheckIn.Status.CONFIRMED)
    assert reported.values("unit").distinct().count() > 30  # across the ordinary compounds


def test_pinghu_international(seeded):
    pinghu = compound("平湖国际")
    residents = Member.objects.filter(residence=pinghu)
    assert residents.count() == 155
    assert indicators("--scope", "ORG-CP-013")["members"] == 155
    categories = Counter(residents.values_list("category", flat=True))
    assert categories[Category.RETIRED] and categories[Category.IN_SERVICE] and categories[Category.FLOATING]
    in_service = residents.filter(category=Category.IN_SERVICE).select_related("employer")
    assert {m.employer.unit_type for m in in_service} == {UnitType.AGENCY}
    # held by the agency's own branch, or (agency without one) by the compound branch
    for member in in_service:
        agency_branch = Organization.objects.filter(unit=member.employer).first()
        assert member.home_organization == (agency_branch or pinghu.organization)
    statuses = Counter(CheckIn.objects.filter(unit=pinghu).values_list("status", flat=True))
    assert statuses == {
        CheckIn.Status.CONFIRMED: demo.PINGHU_IN_SERVICE - demo.PINGHU_PENDING,
        CheckIn.Status.PENDING: demo.PINGHU_PENDING,
    }
    assert CheckIn.objects.filter(unit=pinghu).count() == in_service.count()

    secretary = get_user_model().objects.get(username="compound")
    waiting = selectors.pending_checkins(user=secretary, unit=pinghu)
    assert len(waiting) == demo.PINGHU_PENDING

    board = {row["post"]: row["holders"] for row in selectors.post_board(compound=pinghu)}
    filled = {post for post, holders in board.items() if holders}
    assert filled == set(demo.PINGHU_POSTS)
    assert 0 < len(filled) < len(PostKind)


def test_jinxiu_xingcheng_fills_the_six_posts(seeded):
    jinxiu = compound("锦绣星城")
    residents = Member.objects.filter(residence=jinxiu)
    assert residents.count() == 229
    assert all(row["holders"] for row in selectors.post_board(compound=jinxiu))
    holders = VolunteerPost.objects.active().filter(compound=jinxiu).values("member")
    assert residents.filter(pk__in=holders).count() == 229
    in_service = residents.filter(category=Category.IN_SERVICE)
    confirmed = CheckIn.objects.filter(unit=jinxiu, status=CheckIn.Status.CONFIRMED)
    assert confirmed.count() == in_service.count() > 0


def test_dizhi_huayuan_retired_members(seeded):
    dizhi = compound("地质花苑")
    residents = Member.objects.filter(residence=dizhi)
    assert residents.count() == demo.DIZHI_RETIRED
    assert set(residents.values_list("category", flat=True)) == {Category.RETIRED}
    assert set(residents.values_list("home_organization", flat=True)) == {dizhi.organization_id}
    assert all(m.birth_date.year < 1965 for m in residents)


def test_floating_members_and_transfers(seeded):
    outgoing = FloatingRecord.objects.filter(direction=FloatingRecord.Direction.OUTGOING).select_related("member")
    incoming = FloatingRecord.objects.filter(direction=FloatingRecord.Direction.INCOMING).select_related("member")
    assert outgoing.count() == len(demo.OUTGOING) and incoming.count() == len(demo.INCOMING)
    assert {"广东省深圳市", "湖北省武汉市"} <= set(outgoing.values_list("place", flat=True))
    assert all(r.member.home_organization_id and r.member.category == Category.FLOATING for r in outgoing)
    for record in incoming:
        assert record.member.home_organization_id is None and record.member.external_organization
        assert record.local_unit_id == record.member.residence_id

    transfers = MembershipTransfer.objects.select_related("member", "to_organization")
    assert transfers.count() == 2
    for transfer in transfers:
        assert transfer.member.home_organization == transfer.to_organization
        assert transfer.to_organization.unit_id == transfer.member.residence_id


def test_personal_data_is_well_formed(seeded):
    members = list(Member.objects.all())
    assert len({m.id_number for m in members}) == len(members)
    for m in members:
        validate_id_number(m.id_number)
        assert m.id_number[:4] == "4205" or m.category == Category.FLOATING
        assert birth_date_of(m.id_number) == m.birth_date
        assert is_male(m.id_number) == (m.gender == Gender.MALE)
        assert re.fullmatch(r"1[3-9]\d{9}", m.phone)
        assert m.joined_on >= date(m.birth_date.year + 18, m.birth_date.month, m.birth_date.day)
        if m.full_member_on is None:
            assert m.status == "probationary" and m.joined_on.year == 2025
        else:
            assert m.full_member_on == date(m.joined_on.year + 1, m.joined_on.month, m.joined_on.day)
        if m.category == Category.RETIRED:
            assert 1940 <= m.birth_date.year <= 1964
        elif m.category == Category.IN_SERVICE:
            assert 1965 <= m.birth_date.year <= 1998
    assert Member.objects.filter(status="probationary").exists()
    assert len({m.education for m in members}) >= 5
    assert len({m.name for m in members}) > 0.9 * len(members)


def test_indicators_print_the_members_figures(seeded):
    figures = indicators()
    assert figures["members"] == Member.objects.count() > 491 + 155 + 229
    assert sum(figures["members_by_category"].values()) == figures["members"]
    confirmed = CheckIn.objects.filter(status=CheckIn.Status.CONFIRMED, member__category=Category.IN_SERVICE)
    assert figures["in_service_reported_in"] == confirmed.count() > 0
    assert figures["volunteer_posts_filled"] >= 229
    assert figures["floating_members"] == len(demo.OUTGOING) + len(demo.INCOMING)


def test_demo_groups_get_the_members_permissions(seeded):
    users = get_user_model().objects
    district, street = users.get(username="district"), users.get(username="street")
    for perm in ("view_member", "add_member", "change_member", "delete_member", "view_personal_data"):
        assert district.has_perm(f"members.{perm}"), perm
    for perm in ("view_member", "add_member", "change_member", "view_checkin", "change_volunteerpost"):
        assert street.has_perm(f"members.{perm}"), perm
    assert not street.has_perm("members.view_personal_data")
    assert not street.has_perm("members.delete_member")
    assert not services.can_see_personal_data(street) and services.can_see_personal_data(district)


def test_second_run_writes_nothing(seeded):
    before = members_tables()
    assert before["members.HistoricalMember"] >= before["members.Member"] > 0
    assert before["members.HistoricalCheckIn"] > before["members.CheckIn"] > 0
    stamps = dict(Member.objects.values_list("pk", "updated_at"))

    second = seed()

    assert members_tables() == before
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps
    for label in ("members", "checkins", "volunteer posts", "floating records", "transfers"):
        assert f"{label}: 0 created, 0 updated" in second
    assert "nothing changed" in second


def test_rerun_repairs_fields_and_keeps_what_users_did(seeded):
    pinghu = compound("平湖国际")
    pending = CheckIn.objects.filter(unit=pinghu, status=CheckIn.Status.PENDING).order_by("pk")
    services.checkin_confirm(checkin=pending.first(), by=None)
    member = Member.objects.filter(residence=pinghu).order_by("pk").first()
    phone = member.phone
    services.member_update(member=member, phone="13000000000")

    output = seed()

    assert "members: 0 created, 1 updated" in output, output
    assert "checkins: 0 created, 0 updated" in output
    member.refresh_from_db()
    assert member.phone == phone
    assert pending.count() == demo.PINGHU_PENDING - 1
