"""The services that write the organization tree, its units and role assignments, and the database
constraints that hold even when the services are bypassed."""

from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from organizations import services
from organizations.models import Organization, OrgKind, Role, RoleAssignment, Unit, UnitType

from .factories import UserFactory, make_org

pytestmark = pytest.mark.django_db


def parent_of(org: Organization) -> Organization | None:
    return Organization.objects.get_parent(Organization.objects.get(pk=org.pk))


# --- organization_create --------------------------------------------------------------------------


def test_organization_create_root_is_depth_one_with_no_parent():
    root = services.organization_create(parent=None, code="YL", name="夷陵区委", kind=OrgKind.COMMITTEE)

    stored = Organization.objects.get(code="YL")
    assert stored.pk == root.pk
    assert stored.name == "夷陵区委"
    assert stored.depth == 1
    assert len(stored.path) == Organization.steplen
    assert parent_of(stored) is None


def test_organization_create_child_sits_under_parent_and_counts_as_its_child():
    root = services.organization_create(parent=None, code="YL", name="夷陵区委", kind=OrgKind.COMMITTEE)
    child = services.organization_create(
        parent=root, code="XXT", name="小溪塔街道党工委", kind=OrgKind.WORKING_COMMITTEE
    )

    stored = Organization.objects.get(code="XXT")
    assert stored.pk == child.pk
    assert stored.depth == 2
    assert stored.path.startswith(root.path) and len(stored.path) == 2 * Organization.steplen
    assert parent_of(stored).pk == root.pk
    root.refresh_from_db()
    assert root.numchild == 1


def test_organization_create_records_a_creation_history_row():
    org = services.organization_create(parent=None, code="YL", name="夷陵区委", kind=OrgKind.COMMITTEE)
    rows = list(org.history.all())
    assert [r.history_type for r in rows] == ["+"]
    assert rows[0].name == "夷陵区委"


def test_organization_create_refuses_a_duplicate_code_on_the_code_field(tree):
    before = Organization.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.organization_create(parent=tree["root"], code=tree["comm_a"].code, name="重复", kind=OrgKind.BRANCH)
    assert "code" in excinfo.value.message_dict
    assert Organization.objects.count() == before


def test_organization_create_refuses_an_invalid_code_and_an_unknown_kind(tree):
    with pytest.raises(ValidationError) as bad_code:
        services.organization_create(parent=tree["root"], code="有 空格", name="坏代码", kind=OrgKind.BRANCH)
    assert "code" in bad_code.value.message_dict
    with pytest.raises(ValidationError) as bad_kind:
        services.organization_create(parent=tree["root"], code="OK-1", name="坏类别", kind="cell")
    assert "kind" in bad_kind.value.message_dict
    assert not Organization.objects.filter(name__in=["坏代码", "坏类别"]).exists()


# --- organization_update --------------------------------------------------------------------------


def test_organization_update_without_a_change_writes_no_history(tree):
    org = tree["comm_a"]
    before = org.history.count()
    services.organization_update(organization=org, name=org.name, kind=org.kind, is_active=True)
    assert org.history.count() == before


def test_organization_update_writes_one_history_row_with_the_new_value(tree):
    org = tree["comm_a"]
    before = org.history.count()
    services.organization_update(organization=org, name="甲社区党委（新）")

    assert Organization.objects.get(pk=org.pk).name == "甲社区党委（新）"
    assert org.history.count() == before + 1
    latest = org.history.first()
    assert latest.history_type == "~"
    assert latest.name == "甲社区党委（新）"
    assert latest.prev_record.name == "甲社区党委"


def test_organization_update_refuses_unknown_fields_and_tree_fields(tree):
    with pytest.raises(TypeError):
        services.organization_update(organization=tree["comm_a"], path="0001")


def test_organization_update_refuses_taking_another_organizations_code(tree):
    org = tree["comm_a"]
    with pytest.raises(ValidationError) as excinfo:
        services.organization_update(organization=org, code=tree["comm_b"].code)
    assert "code" in excinfo.value.message_dict
    assert Organization.objects.get(pk=org.pk).code != tree["comm_b"].code


# --- organization_move ----------------------------------------------------------------------------


def test_organization_move_takes_the_whole_subtree_along(tree):
    comm_a, compound_a, street_b = tree["comm_a"], tree["compound_a"], tree["street_b"]
    deeper = make_org(compound_a, name="甲小区楼栋党小组")

    services.organization_move(organization=comm_a, new_parent=street_b)

    comm_a.refresh_from_db()
    compound_a.refresh_from_db()
    deeper.refresh_from_db()
    assert parent_of(comm_a).pk == street_b.pk
    assert parent_of(compound_a).pk == comm_a.pk
    assert parent_of(deeper).pk == compound_a.pk
    assert compound_a.path.startswith(comm_a.path) and deeper.path.startswith(compound_a.path)
    assert (comm_a.depth, compound_a.depth, deeper.depth) == (3, 4, 5)
    assert set(Organization.objects.within(street_b).values_list("name", flat=True)) == {
        "乙街道党工委",
        "丙社区党委",
        "甲社区党委",
        "甲小区党支部",
        "甲小区楼栋党小组",
    }
    assert set(
        Organization.objects.within(Organization.objects.get(pk=tree["street_a"].pk)).values_list("name", flat=True)
    ) == {"甲街道党工委", "乙社区党委", "乙小区党支部"}
    assert Organization.objects.get(pk=tree["street_a"].pk).numchild == 1
    assert Organization.objects.get(pk=street_b.pk).numchild == 2


def test_organization_move_under_its_own_descendant_is_refused(tree):
    comm_a = tree["comm_a"]
    path_before = Organization.objects.get(pk=comm_a.pk).path
    with pytest.raises(ValidationError) as excinfo:
        services.organization_move(organization=comm_a, new_parent=tree["compound_a"])
    assert excinfo.value.message_dict == {"parent": ["党组织不能移动到其自身或其下级党组织之下。"]}
    with pytest.raises(ValidationError) as itself:
        services.organization_move(organization=comm_a, new_parent=comm_a)
    assert itself.value.message_dict == {"parent": ["党组织不能移动到其自身或其下级党组织之下。"]}
    assert Organization.objects.get(pk=comm_a.pk).path == path_before


def test_organization_move_records_the_move_in_the_history(tree):
    comm_a = tree["comm_a"]
    before = comm_a.history.count()

    with translation.override("en"):
        services.organization_move(organization=comm_a, new_parent=tree["street_b"])

    assert comm_a.history.count() == before + 1
    latest = comm_a.history.first()
    assert latest.history_type == "~"
    assert latest.history_change_reason == "Moved under 乙街道党工委"
    assert Organization.objects.get(pk=comm_a.pk).path.startswith(tree["street_b"].path)


def test_adding_a_sibling_that_sorts_first_writes_no_history_for_the_shifted_nodes(tree):
    """Sorted insertion shifts sibling paths in bulk; that is not a change anyone made."""
    counts = {o.pk: o.history.count() for o in Organization.objects.all()}
    services.organization_create(parent=tree["street_a"], code="A0000", name="最前的社区", kind=OrgKind.COMMITTEE)
    assert {o.pk: o.history.count() for o in Organization.objects.exclude(code="A0000")} == counts


def test_organization_move_to_the_current_parent_changes_nothing(tree):
    comm_a = tree["comm_a"]
    before = (comm_a.history.count(), Organization.objects.get(pk=comm_a.pk).path)
    services.organization_move(organization=comm_a, new_parent=tree["street_a"])
    assert (comm_a.history.count(), Organization.objects.get(pk=comm_a.pk).path) == before


# --- units ----------------------------------------------------------------------------------------


def test_unit_create_saves_a_validated_unit(tree):
    unit = services.unit_create(
        code="U-NEW",
        name="新建小区",
        unit_type=UnitType.COMPOUND,
        organization=tree["comm_a"],
        parent=tree["comm_a"].unit,
        households=320,
        residents=900,
        address="小溪塔街道某路1号",
    )
    stored = Unit.objects.get(code="U-NEW")
    assert stored.pk == unit.pk
    assert (stored.unit_type, stored.organization_id, stored.parent_id) == (
        UnitType.COMPOUND,
        tree["comm_a"].pk,
        tree["comm_a"].unit.pk,
    )
    assert (stored.households, stored.residents) == (320, 900)
    assert stored.history.count() == 1


def test_unit_create_refuses_a_duplicate_code_on_the_code_field(tree):
    before = Unit.objects.count()
    with pytest.raises(ValidationError) as dup:
        services.unit_create(
            code=tree["bare_b"].code, name="重复", unit_type=UnitType.COMPOUND, organization=tree["comm_b"]
        )
    assert "code" in dup.value.message_dict
    assert Unit.objects.count() == before


def test_unit_create_refuses_a_compound_type_street_and_unknown_fields(tree):
    with pytest.raises(ValidationError) as refused:
        services.unit_create(
            code="U-ST", name="小区型街道", unit_type=UnitType.STREET, organization=tree["root"], is_compound_type=True
        )
    assert refused.value.message_dict == {NON_FIELD_ERRORS: ["只有社区才能设为小区型社区。"]}
    assert not Unit.objects.filter(code="U-ST").exists()
    with pytest.raises(TypeError):
        services.unit_create(code="U-X", name="x", unit_type=UnitType.SHOP, organization=tree["root"], owner="someone")


def test_unit_update_writes_history_only_when_something_changes(tree):
    unit = tree["bare_b"]
    before = unit.history.count()

    services.unit_update(unit=unit, name=unit.name, households=unit.households)
    assert unit.history.count() == before

    services.unit_update(unit=unit, households=150)
    assert Unit.objects.get(pk=unit.pk).households == 150
    assert unit.history.count() == before + 1
    assert unit.history.first().households == 150


def test_unit_update_refuses_a_unit_located_in_itself(tree):
    unit = tree["bare_b"]
    with pytest.raises(ValidationError) as excinfo:
        services.unit_update(unit=unit, parent=unit)
    assert "parent" in excinfo.value.message_dict
    assert Unit.objects.get(pk=unit.pk).parent_id == tree["comm_b"].unit.pk


# --- role_assign ----------------------------------------------------------------------------------


def test_role_assign_is_idempotent(tree):
    user = UserFactory()
    first = services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    second = services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    assert first.pk == second.pk
    assert RoleAssignment.objects.filter(user=user).count() == 1


def test_role_assign_refreshes_what_the_user_reaches(tree):
    user = UserFactory()
    services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    assert set(Organization.objects.visible_to(user).values_list("name", flat=True)) == {"甲社区党委", "甲小区党支部"}
    services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_b"])
    assert "乙社区党委" in set(Organization.objects.visible_to(user).values_list("name", flat=True))


def test_role_assign_refuses_a_community_secretary_on_a_compound(tree):
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["compound_a"])
    assert "organization" in excinfo.value.message_dict
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_role_assign_refuses_a_merchant_bound_to_an_agency(tree):
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.role_assign(user=user, role=Role.MERCHANT, unit=tree["agency"])
    assert "unit" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as org_bound:
        services.role_assign(user=user, role=Role.MERCHANT, organization=tree["root"])
    assert "unit" in org_bound.value.message_dict
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_role_assign_accepts_an_agency_contact_on_an_agency(tree):
    user = UserFactory()
    assignment = services.role_assign(user=user, role=Role.AGENCY_CONTACT, unit=tree["agency"])
    assert RoleAssignment.objects.get(user=user).pk == assignment.pk
    assert RoleAssignment.objects.get(user=user).unit_id == tree["agency"].pk


# --- constraints in the database ----------------------------------------------------------------


def test_database_refuses_a_role_bound_to_nothing():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.DISTRICT_STAFF)
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_database_refuses_a_role_bound_to_both_organization_and_unit(tree):
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.MERCHANT, organization=tree["street_a"], unit=tree["shop"])
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_database_refuses_an_unknown_organization_kind(tree):
    org = tree["comm_a"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=org.pk).update(kind="cell")
    assert Organization.objects.get(pk=org.pk).kind == OrgKind.COMMITTEE


def test_database_refuses_a_compound_type_flag_outside_a_community(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            code="U-BAD", name="小区型街道", unit_type=UnitType.STREET, organization=tree["root"], is_compound_type=True
        )
    assert not Unit.objects.filter(code="U-BAD").exists()
    community = tree["comm_a"].unit
    Unit.objects.filter(pk=community.pk).update(is_compound_type=True)  # allowed on a community
    assert Unit.objects.get(pk=community.pk).is_compound_type is True
