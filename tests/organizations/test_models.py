"""The organization tree's models: paths from the district down, and the per-type unit proxies."""

from __future__ import annotations

import pytest

from organizations import services
from organizations.models import (
    Agency,
    Community,
    Compound,
    Organization,
    OrgKind,
    Shop,
    Street,
    Unit,
    UnitType,
)

pytestmark = pytest.mark.django_db


def test_ancestor_paths_run_from_the_root_down_without_a_query(tree, django_assert_num_queries):
    compound = Organization.objects.get(pk=tree["compound_a"].pk)
    with django_assert_num_queries(0):
        paths = compound.ancestor_paths
    assert paths == [tree["root"].path, tree["street_a"].path, tree["comm_a"].path]
    assert Organization.objects.get(pk=tree["root"].pk).ancestor_paths == []


def test_path_display_of_a_lone_organization_costs_one_query(tree, django_assert_num_queries):
    compound = Organization.objects.get(pk=tree["compound_a"].pk)
    with django_assert_num_queries(1):
        assert compound.path_display == "区委 / 甲街道党工委 / 甲社区党委 / 甲小区党支部"
        assert compound.path_names == ["区委", "甲街道党工委", "甲社区党委", "甲小区党支部"]
    assert Organization.objects.get(pk=tree["root"].pk).path_display == "区委"


def test_str_and_absolute_url(tree):
    org = tree["comm_c"]
    assert str(org) == "丙社区党委"
    assert org.get_absolute_url() == f"/organizations/{org.code}/"
    assert str(tree["bare_b"]) == "乙社区无支部小区"


def test_proxy_managers_see_only_their_own_type(tree):
    assert Compound.objects.count() == 3  # two with a branch, one without
    assert set(Compound.objects.values_list("name", flat=True)) == {
        "甲小区党支部·单位",
        "乙小区党支部·单位",
        "乙社区无支部小区",
    }
    assert Community.objects.count() == 3
    assert Street.objects.count() == 2
    assert [a.name for a in Agency.objects.all()] == ["区委办公室"]
    assert [s.name for s in Shop.objects.all()] == ["党员商户"]
    assert Unit.objects.count() == 11


def test_proxy_manager_queries_chain_with_within(tree):
    assert set(Compound.objects.within(tree["comm_b"]).values_list("name", flat=True)) == {
        "乙小区党支部·单位",
        "乙社区无支部小区",
    }
    assert not Compound.objects.within(tree["comm_c"]).exists()


def test_saving_through_a_proxy_sets_its_type(tree):
    compound = Compound(code="U-PROXY", name="代理保存小区", organization=tree["comm_c"], unit_type=UnitType.SHOP)
    compound.save()

    assert Unit.objects.get(code="U-PROXY").unit_type == UnitType.COMPOUND
    assert Compound.objects.filter(code="U-PROXY").exists()
    assert Compound.objects.count() == 4
    assert not Shop.objects.filter(code="U-PROXY").exists()


def test_a_unit_created_by_the_service_shows_up_in_its_proxy(tree):
    services.unit_create(code="U-SVC", name="服务创建社区", unit_type=UnitType.COMMUNITY, organization=tree["street_b"])
    assert Community.objects.filter(code="U-SVC").exists()
    assert not Compound.objects.filter(code="U-SVC").exists()


def test_tree_ordering_and_sorted_children(tree):
    # Children sort by code, so a later code lands after its siblings wherever it is inserted.
    late = services.organization_create(
        parent=tree["root"], code="ZZZZ", name="末尾工委", kind=OrgKind.WORKING_COMMITTEE
    )
    early = services.organization_create(
        parent=tree["root"], code="A000", name="开头工委", kind=OrgKind.WORKING_COMMITTEE
    )
    children = [o.name for o in Organization.objects.filter(depth=2)]
    assert children[0] == "开头工委" and children[-1] == "末尾工委"
    early, street_a, late = (Organization.objects.get(pk=o.pk) for o in (early, tree["street_a"], late))
    assert early.path < street_a.path < late.path
    # Inserting before existing siblings moved their subtrees along.
    assert Organization.objects.get(pk=tree["compound_a"].pk).path.startswith(street_a.path)
