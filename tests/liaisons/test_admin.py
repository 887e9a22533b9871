"""The liaisons admin: scoped changelists with a fixed number of queries, writes through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liaisons.models import Contribution, Deliberation, Demand, DemandStep, Liaison
from organizations.models import Role
from tests.organizations.factories import grant_admin, user_with_role

from .factories import long_ago, raise_demand

pytestmark = pytest.mark.django_db

MODELS = ["liaison", "demand", "contribution", "deliberation"]


@pytest.fixture
def staff_b(world, client):
    """Street staff of the second street: none of the paired compounds are theirs."""
    user = user_with_role(Role.STREET_STAFF, organization=world["street_b"], password=None)
    grant_admin(user, Liaison, Demand, DemandStep, Contribution, Deliberation)
    return user


@pytest.fixture
def staff_a(world):
    user = user_with_role(Role.STREET_STAFF, organization=world["street_a"], password=None)
    grant_admin(user, Liaison, Demand, DemandStep, Contribution, Deliberation)
    return user


@pytest.mark.parametrize("model", MODELS)
def test_changelists_are_scoped_and_read_a_fixed_number_of_queries(
    world, client, staff_a, staff_b, model, django_assert_max_num_queries
):
    from liaisons import services

    def add(n):
        for i in range(n):
            demand = raise_demand(world["compound_a_unit"], title=f"问题{i}")
            services.contribution_record(
                liaison=world["liaison_a"], kind="goods", given_on=long_ago(1), description=f"物资{i}"
            )
            services.deliberation_record(
                compound=world["compound_a_unit"],
                held_on=long_ago(1),
                topic=f"议事{i}",
                attendees="张三",
                attendance=1,
                decisions="同意",
                demands=[demand],
            )

    add(1)
    url = reverse(f"admin:liaisons_{model}_changelist")
    client.force_login(staff_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200 and world["compound_a_unit"].name in page.content.decode()
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    client.force_login(staff_b)
    assert world["compound_a_unit"].name not in client.get(url).content.decode()


def test_staff_pair_an_agency_through_the_service_and_are_refused_an_overlap(world, client):
    district = user_with_role(Role.DISTRICT_STAFF, organization=world["root"], password=None)
    grant_admin(district, Liaison)
    client.force_login(district)
    url = reverse("admin:liaisons_liaison_add")
    data = {
        "agency": world["agency"].pk,
        "compound": world["compound_b_unit"].pk,
        "started_on": long_ago(1).isoformat(),
        "agency_contact": "",
        "compound_contact": "",
        "notes": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and Liaison.objects.count() == 3  # the agency is paired with 甲小区
    data["agency"] = world["agency_b"].pk
    data["compound"] = world["compound_b_unit"].pk
    data["started_on"] = long_ago(20).isoformat()
    # Agency B's pairing with 乙社区无支部小区 (from 30 days ago) is open: refused too.
    assert client.post(url, data).status_code == 200
    liaison = world["liaison_bare"]
    change = reverse("admin:liaisons_liaison_change", args=[liaison.pk])
    response = client.post(
        change,
        {"ended_on": long_ago(2).isoformat(), "agency_contact": "赵", "compound_contact": "", "notes": ""},
    )
    assert response.status_code == 302
    liaison.refresh_from_db()
    assert liaison.ended_on == long_ago(2) and liaison.agency_contact == "赵"
    data["started_on"] = long_ago(1).isoformat()  # after the ended pairing: no overlap
    assert client.post(url, data).status_code == 302
    assert Liaison.objects.count() == 4


def test_a_problem_in_the_admin_shows_its_timeline_with_the_attachment_through_the_portal(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from liaisons import services
    from liaisons.models import State

    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS)
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    step = services.demand_move(demand=demand, to_state=State.RESOLVED, note="修好了", attachment=png)
    district = user_with_role(Role.DISTRICT_STAFF, organization=world["root"], password=None)
    grant_admin(district, Demand, DemandStep)
    client.force_login(district)
    page = client.get(reverse("admin:liaisons_demand_change", args=[demand.pk])).content.decode()
    assert "修好了" in page
    assert reverse("liaisons:step-attachment", args=[step.pk]) in page
    assert "/media/" not in page
    step.attachment.delete(save=False)
