"""Reads of the organization tree: tree order, paths filled for a whole page at once, and query
budgets that stay the same however many rows there are."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from organizations import selectors
from organizations.models import Organization, Role, Unit, UnitType

from .factories import DISTRICT_TREE_ORDER, make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db

TREE_ORDER = DISTRICT_TREE_ORDER


def fresh(user):
    """The user as a new request would load it: no cached role assignments."""
    return get_user_model().objects.get(pk=user.pk)


def add_orgs(under: Organization, count: int) -> list[Organization]:
    """``count`` more organizations below ``under``, some of them nested three deep."""
    added: list[Organization] = []
    for i in range(count):
        parent = added[-1] if i % 3 else under
        added.append(make_org(parent, name=f"增补党组织{i}", unit_type=UnitType.ENTERPRISE if i % 2 else None))
    return added


# --- organization_list --------------------------------------------------------------------------


def test_organization_list_is_in_tree_order_with_paths(tree):
    staff = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])

    orgs = selectors.organization_list(user=fresh(staff))

    assert [o.name for o in orgs] == TREE_ORDER
    by_name = {o.name: o for o in orgs}
    assert by_name["甲小区党支部"].path_names == ["区委", "甲街道党工委", "甲社区党委", "甲小区党支部"]
    assert by_name["丙社区党委"].path_display == "区委 / 乙街道党工委 / 丙社区党委"
    assert by_name["乙社区党委"].unit.name == "乙社区党委·单位"
    # The community covers its own unit and the compound without a branch.
    assert by_name["乙社区党委"].unit_count == 2


def test_organization_list_paths_need_no_further_queries(tree, django_assert_num_queries):
    secretary = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    orgs = selectors.organization_list(user=fresh(secretary))

    with django_assert_num_queries(0):
        paths = [o.path_display for o in orgs]
        units = [o.unit.name for o in orgs]
    assert paths == ["区委 / 甲街道党工委 / 甲社区党委", "区委 / 甲街道党工委 / 甲社区党委 / 甲小区党支部"]
    assert units == ["甲社区党委·单位", "甲小区党支部·单位"]


@pytest.mark.parametrize("role_node", ["root", "comm_a"])
def test_organization_list_query_count_does_not_grow_with_rows(tree, role_node, django_assert_max_num_queries):
    role = Role.DISTRICT_STAFF if role_node == "root" else Role.COMMUNITY_SECRETARY
    user = user_with_role(role, organization=tree[role_node])
    extra = add_orgs(tree["comm_a"], 3)

    reloaded = fresh(user)
    with django_assert_max_num_queries(3) as small:
        small_list = selectors.organization_list(user=reloaded)
        small_paths = [o.path_display for o in small_list] + [str(o.unit) for o in small_list]

    extra += add_orgs(tree["comm_a"], 27)
    reloaded = fresh(user)
    with django_assert_max_num_queries(3) as large:
        large_list = selectors.organization_list(user=reloaded)
        large_paths = [o.path_display for o in large_list] + [str(o.unit) for o in large_list]

    assert len(large_list) == len(small_list) + 27
    assert len(large_paths) == len(small_paths) + 2 * 27
    assert len(large) == len(small)
    deepest = next(o for o in large_list if o.name == extra[-1].name)
    assert deepest.path_names[:3] == ["区委", "甲街道党工委", "甲社区党委"]
    assert deepest.path_names[-1] == extra[-1].name


def test_organization_list_search_matches_name_or_code(tree):
    staff = fresh(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))

    assert [o.name for o in selectors.organization_list(user=staff, search="小区")] == ["甲小区党支部", "乙小区党支部"]
    by_code = selectors.organization_list(user=staff, search=tree["comm_c"].code.lower())
    assert [o.name for o in by_code] == ["丙社区党委"]
    # A hit deep in the tree still carries its full path.
    assert by_code[0].path_display == "区委 / 乙街道党工委 / 丙社区党委"
    assert selectors.organization_list(user=staff, search="不存在") == []


def test_organization_list_search_stays_within_reach(tree):
    secretary = fresh(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    assert [o.name for o in selectors.organization_list(user=secretary, search="小区")] == ["甲小区党支部"]


# --- attach_path_names --------------------------------------------------------------------------


def test_attach_path_names_uses_one_query_for_a_whole_list(tree, django_assert_num_queries):
    extra = add_orgs(tree["comm_b"], 6)
    leaves = list(
        Organization.objects.filter(pk__in=[tree["compound_a"].pk, tree["comm_c"].pk, *[o.pk for o in extra]])
    )

    with django_assert_num_queries(1):
        selectors.attach_path_names(leaves)
        paths = {o.name: o.path_display for o in leaves}

    assert paths["甲小区党支部"] == "区委 / 甲街道党工委 / 甲社区党委 / 甲小区党支部"
    assert paths["丙社区党委"] == "区委 / 乙街道党工委 / 丙社区党委"
    assert paths["增补党组织2"] == "区委 / 甲街道党工委 / 乙社区党委 / 增补党组织0 / 增补党组织1 / 增补党组织2"


def test_attach_path_names_needs_no_query_when_every_ancestor_is_in_the_list(tree, django_assert_num_queries):
    whole = list(Organization.objects.all())
    with django_assert_num_queries(0):
        selectors.attach_path_names(whole)
    assert [o.path_display for o in whole if o.depth == 3] == [
        "区委 / 甲街道党工委 / 甲社区党委",
        "区委 / 甲街道党工委 / 乙社区党委",
        "区委 / 乙街道党工委 / 丙社区党委",
    ]


# --- organizations_within / units_within ----------------------------------------------------------


def test_organizations_within_is_the_subtree_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [o.name for o in selectors.organizations_within(tree["street_a"])]
    assert names == ["甲街道党工委", "甲社区党委", "甲小区党支部", "乙社区党委", "乙小区党支部"]
    assert selectors.organizations_within(None).count() == 8


def test_units_within_covers_the_subtree(tree):
    names = set(selectors.units_within(tree["comm_b"]).values_list("name", flat=True))
    assert names == {"乙社区党委·单位", "乙小区党支部·单位", "乙社区无支部小区"}

    street_a = set(selectors.units_within(tree["street_a"]).values_list("name", flat=True))
    assert street_a == {
        "甲街道党工委·单位",
        "甲社区党委·单位",
        "乙社区党委·单位",
        "甲小区党支部·单位",
        "乙小区党支部·单位",
        "乙社区无支部小区",
        "党员商户",
    }
    assert selectors.units_within(None).count() == Unit.objects.count() == 11
    assert not selectors.units_within(tree["comm_c"]).of_type(UnitType.COMPOUND).exists()


def test_unit_list_filters_by_type_and_reach(tree):
    secretary = fresh(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"]))
    compounds = selectors.unit_list(user=secretary, unit_type=UnitType.COMPOUND)
    assert [u.name for u in compounds] == ["乙小区党支部·单位", "乙社区无支部小区"]
    assert not selectors.unit_list(user=secretary, scope=tree["comm_a"]).exists()


# --- organization_children ----------------------------------------------------------------------


def test_organization_children_are_the_direct_children_with_unit_counts(tree):
    staff = fresh(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))
    make_unit(UnitType.ENTERPRISE, tree["comm_a"], name="甲社区非公企业")

    children = selectors.organization_children(user=staff, organization=tree["street_a"])

    assert [(c.name, c.unit_count) for c in children] == [("甲社区党委", 2), ("乙社区党委", 2)]
    assert [c.name for c in selectors.organization_children(user=staff, organization=tree["root"])] == [
        "甲街道党工委",
        "乙街道党工委",
    ]
    assert selectors.organization_children(user=staff, organization=tree["compound_a"]) == []


def test_organization_children_only_lists_what_the_user_reaches(tree):
    secretary = fresh(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"]))
    children = selectors.organization_children(user=secretary, organization=tree["street_a"])
    assert [c.name for c in children] == ["甲社区党委"]


def test_role_assignments_of_lists_the_users_roles(tree):
    user = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    from organizations import services

    services.role_assign(user=user, role=Role.AGENCY_CONTACT, unit=tree["agency"])
    roles = selectors.role_assignments_of(user)
    assert [(r.role, r.organization, r.unit) for r in roles] == [
        (Role.AGENCY_CONTACT, None, tree["agency"]),
        (Role.COMMUNITY_SECRETARY, tree["comm_a"], None),
    ]
