"""The admin's "view on site" (/admin/r/<type>/<pk>/) leads only to objects the user may view in the
admin; anything else, an id that does not exist included, is the same 404."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from members.models import Member
from organizations.models import Organization, Role, RoleAssignment
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, grant_admin, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return district_tree()


def view_on_site(model, pk) -> str:
    return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(model).pk, pk])


@pytest.fixture
def street_staff(tree, client):
    user = user_with_role(Role.STREET_STAFF, organization=tree["street_a"])
    grant_admin(user, Member, Organization)
    client.force_login(user)
    return user


def test_view_on_site_redirects_to_an_object_within_reach(tree, street_staff, client):
    inside = make_member(home_organization=tree["compound_a"])

    member = client.get(view_on_site(Member, inside.pk))
    organization = client.get(view_on_site(Organization, tree["comm_a"].pk))

    assert member.status_code == 302 and member["Location"].endswith(f"/members/{inside.pk}/")
    assert organization.status_code == 302 and organization["Location"].endswith(f"/{tree['comm_a'].code}/")


def test_view_on_site_is_404_outside_reach_and_for_ids_that_do_not_exist(tree, street_staff, client):
    outside = make_member(home_organization=tree["comm_c"])

    answers = [
        client.get(view_on_site(Member, outside.pk)),
        client.get(view_on_site(Member, outside.pk + 1000)),
        client.get(view_on_site(Member, "not-a-number")),
        client.get(view_on_site(Organization, tree["street_b"].pk)),
        client.get(view_on_site(Organization, tree["root"].pk)),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert all(tree["street_b"].code not in a.content.decode() for a in answers)
    assert all("Location" not in a for a in answers)


def test_view_on_site_is_404_without_the_view_permission_or_an_admin(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    grant_admin(user, Organization)  # nothing on members or role assignments
    client.force_login(user)
    member = make_member(home_organization=tree["compound_a"])
    assignment = RoleAssignment.objects.get(user=user)

    assert client.get(view_on_site(Member, member.pk)).status_code == 404
    assert client.get(view_on_site(RoleAssignment, assignment.pk)).status_code == 404
    assert client.get(view_on_site(ContentType, 1)).status_code == 404  # a model without an admin
    assert client.get(view_on_site(Organization, tree["street_b"].pk)).status_code == 302
