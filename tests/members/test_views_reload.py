"""The member page's showings (the full data, the phone to call) reloaded: the address opened with GET
is the member page again, showing and recording nothing, and telling nothing about a member out of reach."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members.models import PersonalDataAccess
from organizations.models import Role
from tests.organizations.factories import user_with_role

from .factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(tree):
    return make_member(name="张爱丽", home_organization=tree["compound_a"], residence=tree["compound_a"].unit)


@pytest.fixture
def dave(tree):
    """A member of the other community: out of reach of community A's staff."""
    return make_member(name="赵德", home_organization=tree["compound_b"], residence=tree["compound_b"].unit)


def grant_personal_data(user):
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data", content_type__app_label="members"))
    return user


def revealer(organization):
    return grant_personal_data(user_with_role(Role.COMMUNITY_SECRETARY, organization=organization))


def district_revealer(tree):
    return grant_personal_data(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))


def test_reloading_the_revealed_page_is_the_member_page_and_reveals_nothing(tree, alice, client):
    client.force_login(district_revealer(tree))
    url = reverse("members:member-reveal", args=[alice.pk])
    revealed = client.post(url)
    assert alice.id_number in revealed.content.decode()
    assert PersonalDataAccess.objects.count() == 1

    again = client.get(url)

    assert (again.status_code, again["Location"]) == (302, alice.get_absolute_url())
    assert alice.id_number not in again.content.decode()
    page = client.get(again["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert alice.masked_id_number in text and alice.id_number not in text and alice.phone not in text
    assert PersonalDataAccess.objects.count() == 1  # the reload recorded nothing


def test_the_reveal_address_opened_by_who_may_not_reveal_is_the_member_page(tree, alice, client):
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    response = client.get(reverse("members:member-reveal", args=[alice.pk]))
    assert (response.status_code, response["Location"]) == (302, alice.get_absolute_url())
    assert client.get(alice.get_absolute_url()).status_code == 200
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize("name", ["members:member-reveal", "members:member-call"])
def test_a_showing_address_of_a_member_out_of_reach_answers_as_the_member_page(tree, dave, client, name):
    client.force_login(revealer(tree["comm_a"]))
    member_page = client.get(dave.get_absolute_url())
    response = client.get(reverse(name, args=[dave.pk]))
    assert member_page.status_code == response.status_code == 404
    assert dave.id_number not in response.content.decode() and dave.name not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_a_showing_address_of_no_member_answers_as_the_member_page(tree, dave, client):
    client.force_login(district_revealer(tree))
    missing = dave.pk + 1000
    assert client.get(reverse("members:member-detail", args=[missing])).status_code == 404
    assert client.get(reverse("members:member-reveal", args=[missing])).status_code == 404
