"""The agency contact's reach, one rule in the registry: the compounds paired with the agency while the
pairing lasts, and what hangs off them; nothing once the pairing has ended. Secretaries and staff see
the pairings and problems of their subtree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from liaisons import services
from liaisons.models import Contribution, Deliberation, Demand, DemandStep, Liaison
from members.models import Member
from organizations.models import Organization, Unit
from tests.members.factories import make_member
from yiling.scoping import visible

from .factories import long_ago, raise_demand

pytestmark = pytest.mark.django_db

LIAISON_MODELS = (Liaison, Demand, DemandStep, Contribution, Deliberation)


@pytest.fixture
def rows(world):
    """A problem, a contribution and a deliberation on each of 甲小区 (paired with the agency) and
    乙社区无支部小区 (paired with agency B), and one problem of 乙小区 (B's pairing has ended)."""
    a, bare = world["compound_a_unit"], world["bare_b"]
    made = {"a": raise_demand(a, title="甲问题"), "bare": raise_demand(bare, title="乙无支部问题")}
    for key, liaison, compound in (("a", world["liaison_a"], a), ("bare", world["liaison_bare"], bare)):
        services.contribution_record(
            liaison=liaison, kind="goods", given_on=timezone.localdate(), description=f"{key}物资"
        )
        services.deliberation_record(
            compound=compound,
            held_on=timezone.localdate(),
            topic=f"{key}议事",
            attendees="张三",
            attendance=1,
            decisions="同意",
            demands=[made[key]],
        )
    return made


def compounds_of(user, model) -> set[int]:
    path = {
        Liaison: "compound_id",
        Demand: "compound_id",
        DemandStep: "demand__compound_id",
        Contribution: "liaison__compound_id",
        Deliberation: "compound_id",
    }[model]
    return set(visible(model, user).values_list(path, flat=True))


@pytest.mark.parametrize("model", LIAISON_MODELS)
def test_agency_contact_reaches_exactly_its_paired_compound(world, rows, model):
    assert compounds_of(world["users"]["contact"], model) == {world["compound_a_unit"].pk}
    # Agency B reaches its compound without a branch, not the compound its ended pairing was with.
    assert compounds_of(world["users"]["other_contact"], model) == {world["bare_b"].pk}


@pytest.mark.parametrize("model", LIAISON_MODELS)
def test_nothing_once_the_pairing_has_ended(world, rows, model):
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    assert compounds_of(world["users"]["contact"], model) == set()


def test_a_pairing_not_yet_started_reaches_nothing(world):
    services.liaison_end(liaison=world["liaison_a"], ended_on=long_ago(1))
    future = timezone.localdate() + timedelta(days=3)
    services.liaison_start(agency=world["agency"], compound=world["compound_b_unit"], started_on=future)
    assert not visible(Unit, world["users"]["contact"]).filter(unit_type="compound").exists()


def test_agency_contact_still_reaches_its_own_agency_and_the_paired_compound_and_branch(world):
    contact = world["users"]["contact"]
    units = set(visible(Unit, contact).values_list("pk", flat=True))
    assert units == {world["agency"].pk, world["compound_a_unit"].pk}
    assert list(visible(Organization, contact)) == [world["compound_a"]]


def test_agency_contact_reaches_the_residents_of_a_paired_compound_without_a_branch(world):
    resident = make_member(home_organization=world["comm_b"], residence=world["bare_b"])
    elsewhere = make_member(home_organization=world["comm_b"], residence=world["comm_b"].unit)
    seen = set(visible(Member, world["users"]["other_contact"]).values_list("pk", flat=True))
    assert resident.pk in seen and elsewhere.pk not in seen


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("compound_secretary", {"compound_a_unit"}),
        ("community_secretary", {"compound_a_unit"}),
        ("street_staff", {"compound_a_unit", "bare_b"}),
        ("other_street", set()),
        ("merchant", set()),
        ("district_staff", {"compound_a_unit", "bare_b"}),
    ],
)
def test_secretaries_and_staff_see_their_subtree(world, rows, role, expected):
    wanted = {world[k].pk for k in expected}
    assert compounds_of(world["users"][role], Demand) == wanted
    assert compounds_of(world["users"][role], Deliberation) == wanted


# --- every page, export and admin list, for the agency contact -------------------------------------------

ADMIN_LISTS = ["liaison", "demand", "contribution", "deliberation"]


@pytest.fixture
def contact_client(world, rows, client):
    from liaisons.models import Contribution, Deliberation, Demand, DemandStep, Liaison
    from tests.organizations.factories import grant_admin

    contact = world["users"]["contact"]
    grant_admin(contact, Liaison, Demand, DemandStep, Contribution, Deliberation, Unit)
    client.force_login(contact)
    return client


def _pages(world, rows):
    from django.urls import reverse

    meeting_a = Deliberation.objects.get(compound=world["compound_a_unit"])
    return [
        reverse("liaisons:home"),
        reverse("liaisons:demand-list") + "?state=all",
        reverse("liaisons:deliberation-list"),
        reverse("liaisons:report"),
        reverse("liaisons:compound-detail", args=[world["compound_a_unit"].code]),
        reverse("liaisons:demand-detail", args=[rows["a"].pk]),
        reverse("liaisons:deliberation-detail", args=[meeting_a.pk]),
    ]


def test_the_contact_sees_exactly_its_compound_in_every_page_export_and_admin_list(world, rows, contact_client):
    from django.urls import reverse

    for url in _pages(world, rows):
        text = contact_client.get(url).content.decode()
        assert "乙无支部问题" not in text and "bare议事" not in text, url
    for name in ADMIN_LISTS:
        text = contact_client.get(reverse(f"admin:liaisons_{name}_changelist")).content.decode()
        assert world["compound_a_unit"].name in text or "甲问题" in text or "a物资" in text, name
        assert world["bare_b"].name not in text and "乙无支部问题" not in text, name
    export = contact_client.get(reverse("admin:liaisons_liaison_export") + "?format=csv").content.decode("utf-8-sig")
    assert world["compound_a_unit"].code in export and world["bare_b"].code not in export
    for pk in (rows["bare"].pk,):
        assert contact_client.get(reverse("liaisons:demand-detail", args=[pk])).status_code == 404
    code = world["bare_b"].code
    assert contact_client.get(reverse("liaisons:compound-detail", args=[code])).status_code == 404


def test_the_contact_sees_nothing_anywhere_once_the_pairing_has_ended(world, rows, contact_client):
    from django.urls import reverse

    pages = _pages(world, rows)
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    for url in pages:
        response = contact_client.get(url)
        assert response.status_code == 404 or "甲问题" not in response.content.decode(), url
    for name in ADMIN_LISTS:
        text = contact_client.get(reverse(f"admin:liaisons_{name}_changelist")).content.decode()
        assert "甲问题" not in text and "a物资" not in text and "a议事" not in text, name
    export = contact_client.get(reverse("admin:liaisons_liaison_export") + "?format=csv").content.decode("utf-8-sig")
    assert world["compound_a_unit"].code not in export
