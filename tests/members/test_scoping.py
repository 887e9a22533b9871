"""Who sees which members: held by, living in, or employed by the part of the tree a user reaches."""

from __future__ import annotations

import pytest

from members import services
from members.models import Category, CheckIn, Member, VolunteerPost
from organizations.models import Role
from tests.organizations.factories import user_with_role

from .factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    held_a = make_member(name="甲支部党员", home_organization=tree["compound_a"])
    lives_a = make_member(
        name="住甲小区的在职党员",
        home_organization=tree["root"],
        residence=tree["compound_a"].unit,
        category=Category.IN_SERVICE,
        employer=tree["agency"],
    )
    lives_bare = make_member(name="住乙社区无支部小区", home_organization=tree["root"], residence=tree["bare_b"])
    other_street = make_member(name="丙社区党员", home_organization=tree["comm_c"])
    outside = make_member(name="区外党员", home_organization=None, residence=tree["compound_b"].unit)
    return {"held_a": held_a, "lives_a": lives_a, "lives_bare": lives_bare, "other": other_street, "out": outside}


def names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


def test_compound_secretary_sees_members_held_or_living_in_the_compound(tree, people):
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    assert names(Member.objects.visible_to(secretary)) == {"甲支部党员", "住甲小区的在职党员"}


def test_community_secretary_sees_compounds_without_a_branch(tree, people):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"])
    assert names(Member.objects.visible_to(secretary)) == {"住乙社区无支部小区", "区外党员"}


def test_district_staff_see_everyone(tree, people):
    staff = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    assert Member.objects.visible_to(staff).count() == 5


def test_agency_contact_sees_the_agency_s_members_only(tree, people):
    contact = user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])
    assert names(Member.objects.visible_to(contact)) == {"住甲小区的在职党员"}


def test_merchant_sees_no_member(tree, people):
    merchant = user_with_role(Role.MERCHANT, unit=tree["shop"])
    assert not Member.objects.visible_to(merchant).exists()


def test_report_ins_and_posts_follow_the_compound(tree, people):
    checkin = services.checkin_submit(member=people["lives_a"], unit=tree["compound_a"].unit)
    other_secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_b"])
    secretary = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    contact = user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])
    assert list(CheckIn.objects.visible_to(secretary)) == [checkin]
    assert list(CheckIn.objects.visible_to(contact)) == [checkin]
    assert not CheckIn.objects.visible_to(other_secretary).exists()

    services.volunteer_post_assign(
        member=people["lives_a"], compound=tree["compound_a"].unit, post="safety", started_on="2026-01-01"
    )
    assert VolunteerPost.objects.visible_to(secretary).count() == 1
    assert not VolunteerPost.objects.visible_to(other_secretary).exists()
