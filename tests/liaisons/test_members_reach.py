"""What an agency contact sees of a paired compound's members: names, categories and posts, with ID
numbers and phones masked; no reveal and no calling. Nothing once the pairing has ended."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from liaisons import services
from members import services as member_services
from tests.members.factories import id_number, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(world):
    member = make_member(
        name="王大爷",
        home_organization=world["compound_a"],
        residence=world["compound_a_unit"],
        phone="13912345678",
        id_number=id_number(born=date(1950, 3, 9)),
    )
    member_services.volunteer_post_assign(
        member=member, compound=world["compound_a_unit"], post="patrol", started_on=date(2025, 1, 1)
    )
    return member


def test_the_contact_sees_names_and_posts_masked(world, client, resident):
    client.force_login(world["users"]["contact"])
    listing = client.get(reverse("members:member-list")).content.decode()
    assert "王大爷" in listing
    page = client.get(reverse("members:member-detail", args=[resident.pk])).content.decode()
    assert "王大爷" in page
    assert resident.id_number not in page and "13912345678" not in page
    assert resident.id_number[:4] + "*" in page
    assert client.post(reverse("members:member-reveal", args=[resident.pk])).status_code == 403
    assert client.post(reverse("members:member-call", args=[resident.pk])).status_code == 404


def test_nothing_of_the_members_once_the_pairing_has_ended(world, client, resident):
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    client.force_login(world["users"]["contact"])
    assert "王大爷" not in client.get(reverse("members:member-list")).content.decode()
    assert client.get(reverse("members:member-detail", args=[resident.pk])).status_code == 404
