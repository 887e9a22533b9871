"""The portal pages: the home page of a user's part of the tree, the organization list and detail."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from organizations.models import Organization, Role, UnitType
from yiling import indicators

from .factories import DISTRICT_TREE_ORDER, make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    client.force_login(user)
    return user


def body(response) -> str:
    return response.content.decode()


def listed_names(response) -> list[str]:
    """The organization names linked in the rows of the tree table, top to bottom."""
    return [
        html.unescape(n)
        for n in re.findall(r'<a href="/organizations/[^"]+/" title="[^"]*">([^<]+)</a>', body(response))
    ]


def figures(response) -> dict[str, str]:
    """The label → value pairs of the figures on the home page (a label may link to its list)."""
    pairs = re.findall(
        r'<div data-figure="[^"]+">\s*<dt>(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</dt>\s*<dd class="value">([^<]*)</dd>',
        body(response),
    )
    return {html.unescape(label): value for label, value in pairs}


def role_sections(response) -> list[str]:
    """The page's sections, one per role the user holds."""
    return body(response).split('<section class="card role"')[1:]


def add_orgs(under: Organization, count: int) -> None:
    for i in range(count):
        org = make_org(under, name=f"增补支部{i}", unit_type=UnitType.ENTERPRISE)
        make_unit(UnitType.COMPOUND, under, name=f"增补小区{i}", parent=under.unit, households=100 + i)
        assert org.depth == under.depth + 1


# --- home -----------------------------------------------------------------------------------------


def test_home_shows_a_community_secretary_their_role_and_community_figures(tree, client):
    user = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    client.force_login(user)

    response = client.get(reverse("portal-home"))

    assert response.status_code == 200
    text = body(response)
    with translation.override(settings.LANGUAGE_CODE):
        role_label = str(Role.COMMUNITY_SECRETARY.label)
        labels = {ind.name: str(ind.label) for ind in indicators.registered()}
    assert f'{role_label} · <a href="{tree["comm_a"].get_absolute_url()}">甲社区党委</a>' in text
    assert "区委 / 甲街道党工委 / 甲社区党委" in text
    shown = figures(response)
    assert set(shown) == set(labels.values())
    assert shown[labels["organizations"]] == "2"
    assert shown[labels["communities"]] == "1"
    assert shown[labels["streets"]] == "0"
    # The other community is not part of this user's page.
    assert "乙社区党委" not in text


def test_home_shows_one_section_per_role(tree, client):
    from organizations import services

    user = user_with_role(Role.STREET_STAFF, organization=tree["street_b"])
    services.role_assign(user=user, role=Role.AGENCY_CONTACT, unit=tree["agency"])
    client.force_login(user)

    text = body(client.get(reverse("portal-home")))

    with translation.override(settings.LANGUAGE_CODE):
        street_label = str(Role.STREET_STAFF.label)
        contact_label = str(Role.AGENCY_CONTACT.label)
    assert f'{street_label} · <a href="{tree["street_b"].get_absolute_url()}">乙街道党工委</a>' in text
    assert f"{contact_label} · 区委办公室" in text
    sections = role_sections(client.get(reverse("portal-home")))
    assert len(sections) == 2
    # Figures for the street's subtree only: an agency contact's role covers no part of the tree.
    assert [("data-figure" in s) for s in sections] == [("乙街道党工委" in s) for s in sections]
    assert sum("data-figure" in s for s in sections) == 1


def test_home_for_a_user_without_roles_says_so(client):
    from .factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("portal-home"))
    assert response.status_code == 200
    assert "data-figure" not in body(response)
    assert role_sections(response) == []
    assert '<p class="card">' in body(response)


# --- anonymous ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["portal-home", "organizations:organization-list", "organizations:organization-detail"]
)
def test_anonymous_user_is_sent_to_login(tree, client, url_name):
    url = reverse(url_name, args=[tree["comm_a"].code]) if url_name.endswith("detail") else reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert "甲社区党委" not in body(response)


# --- organization list ----------------------------------------------------------------------------


def test_list_shows_the_tree_in_order_with_paths(tree, staff, client):
    response = client.get(reverse("organizations:organization-list"))
    assert response.status_code == 200
    assert listed_names(response) == DISTRICT_TREE_ORDER
    assert 'title="区委 / 甲街道党工委 / 甲社区党委 / 甲小区党支部">甲小区党支部</a>' in body(response)


def test_list_search_box_filters_and_keeps_the_term(tree, staff, client):
    response = client.get(reverse("organizations:organization-list"), {"q": "小区"})
    assert listed_names(response) == ["甲小区党支部", "乙小区党支部"]
    assert 'name="q" value="小区"' in body(response)

    by_code = client.get(reverse("organizations:organization-list"), {"q": tree["comm_c"].code})
    assert listed_names(by_code) == ["丙社区党委"]

    nothing = client.get(reverse("organizations:organization-list"), {"q": "没有这个"})
    assert listed_names(nothing) == []


def test_list_query_count_does_not_grow_with_rows(tree, staff, client):
    url = reverse("organizations:organization-list")
    add_orgs(tree["comm_a"], 3)
    with CaptureQueriesContext(connection) as small:
        small_response = client.get(url)
    add_orgs(tree["comm_b"], 27)
    with CaptureQueriesContext(connection) as large:
        large_response = client.get(url)

    assert len(listed_names(small_response)) == 8 + 3
    assert len(listed_names(large_response)) == 8 + 30
    assert "区委 / 甲街道党工委 / 乙社区党委 / 增补支部26" in body(large_response)
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_list_nests_each_level_under_its_parent_with_the_first_level_open(tree, staff, client):
    text = body(client.get(reverse("organizations:organization-list")))
    street = text.split(f'<li class="node" data-code="{tree["street_a"].code}"')[1]
    # The district is open; the street below it starts closed; its communities are inside it.
    root = re.search(rf'data-code="{tree["root"].code}" data-depth="0">\s*(<details[^>]*>)', text).group(1)
    assert root == "<details open>"
    assert re.match(r'\s*data-depth="1">\s*<details>', street)
    assert f'data-code="{tree["comm_a"].code}" data-depth="2"' in street.split("</details>")[0]
    # Names come before codes.
    assert text.index("甲街道党工委</a>") < text.index(f'<small class="code">{tree["street_a"].code}</small>')


def test_a_secretary_sees_the_names_above_but_links_only_what_they_may_open(tree, client):
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    text = body(client.get(tree["compound_a"].get_absolute_url()))
    crumbs = re.search(r'<nav class="path breadcrumb"[^>]*>(.*?)</nav>', text).group(1)
    assert "区委" in crumbs and "甲街道党工委" in crumbs
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs)
    assert links[1:] == [(tree["comm_a"].get_absolute_url(), "甲社区党委")]


# --- organization detail --------------------------------------------------------------------------


def test_detail_shows_path_children_and_units(tree, staff, client):
    make_unit(UnitType.ENTERPRISE, tree["comm_b"], name="乙社区物业公司", households=12)
    response = client.get(tree["comm_b"].get_absolute_url())

    assert response.status_code == 200
    text = body(response)
    crumbs = re.search(r'<nav class="path breadcrumb"[^>]*>(.*?)</nav>', text).group(1)
    # Each level above is a link back up the tree.
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs) == [
        (reverse("organizations:organization-list"), "组织架构"),
        (tree["root"].get_absolute_url(), "区委"),
        (tree["street_a"].get_absolute_url(), "甲街道党工委"),
    ]
    assert "<h1>乙社区党委</h1>" in text
    assert f"<dd>{tree['comm_b'].code}</dd>" in text
    assert f'<a href="{tree["compound_b"].get_absolute_url()}">乙小区党支部</a>' in text
    units = re.findall(r"<tr><td>([^<]+)", text)
    assert units == ["乙社区党委·单位", "乙小区党支部·单位", "乙社区无支部小区", "乙社区物业公司"]
    # The compound without a branch is shown as located in the community.
    assert re.search(r"<tr><td>乙社区无支部小区</td><td>[^<]+</td><td>乙社区党委·单位</td>", text)


def test_detail_of_unknown_code_is_not_found(tree, staff, client):
    assert client.get(reverse("organizations:organization-detail", args=["NO-SUCH"])).status_code == 404


def test_detail_query_count_does_not_grow_with_children_and_units(tree, staff, client):
    small_org = tree["comm_a"]
    large_org = tree["comm_b"]
    add_orgs(small_org, 3)
    add_orgs(large_org, 30)

    with CaptureQueriesContext(connection) as small:
        small_response = client.get(small_org.get_absolute_url())
    with CaptureQueriesContext(connection) as large:
        large_response = client.get(large_org.get_absolute_url())

    assert body(small_response).count('<li><a href="/organizations/') == 3 + 1  # compound + 3 added
    assert body(large_response).count('<li><a href="/organizations/') == 30 + 1
    assert "增补小区29" in body(large_response)
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
