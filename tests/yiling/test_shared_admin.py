"""The shared admin pieces in yiling (admin.py, admin_forms.py) as the domain admins use them."""

from __future__ import annotations

import html
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import services as member_services
from members.models import Member, VolunteerPost
from organizations.models import Role
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, grant_admin, user_with_role
from yiling.admin_forms import rolled_back

pytestmark = pytest.mark.django_db


def test_rolled_back_keeps_nothing_and_lets_a_refusal_through():
    users = get_user_model().objects
    with rolled_back():
        users.create(username="tried")
    assert not users.filter(username="tried").exists()

    with pytest.raises(ValidationError), rolled_back():
        users.create(username="refused")
        raise ValidationError("no")
    assert not users.filter(username="refused").exists()


@pytest.mark.parametrize(("active", "listed", "left_out"), [("yes", "在岗者", "卸任者"), ("no", "卸任者", "在岗者")])
def test_not_ended_filter_lists_current_or_ended_records(client, active, listed, left_out):
    tree = district_tree()
    compound = tree["compound_a"].unit
    posts = {}
    for name in ("在岗者", "卸任者"):
        member = make_member(name=name, home_organization=tree["compound_a"], residence=compound)
        posts[name] = member_services.volunteer_post_assign(
            member=member, compound=compound, post="sanitation", started_on=date(2024, 1, 1)
        )
    member_services.volunteer_post_end(volunteer_post=posts["卸任者"], ended_on=date(2025, 1, 1))
    staff = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    grant_admin(staff, VolunteerPost, Member)
    client.force_login(staff)

    response = client.get(reverse("admin:members_volunteerpost_changelist"), {"active": active})

    rows = html.unescape(response.content.decode()).split('id="result_list"', 1)[1].split("</table>", 1)[0]
    assert listed in rows and left_out not in rows
