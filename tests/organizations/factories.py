"""Factories for the organization tree. Trees are built through the services, as in the portal."""

from __future__ import annotations

import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from organizations import services
from organizations.models import Organization, OrgKind, Role, Unit, UnitType
from tests.snapshots import instances_copied, instances_kept, written_once
from yiling.validation import constraints_left_to_database

_seq = itertools.count(1)

PASSWORD = "test-pass-2026"


def code(prefix: str) -> str:
    return f"{prefix}{next(_seq):04d}"


def make_unit(
    unit_type: str, organization: Organization, *, name: str | None = None, parent: Unit | None = None, **extra
) -> Unit:
    return services.unit_create(
        code=code("U"),
        name=name or f"{UnitType(unit_type).label}{next(_seq)}",
        unit_type=unit_type,
        organization=organization,
        parent=parent,
        **extra,
    )


def make_org(
    parent: Organization | None,
    *,
    name: str | None = None,
    kind: str = OrgKind.BRANCH,
    unit_type: str | None = None,
    unit_parent: Unit | None = None,
) -> Organization:
    """An organization, and (with unit_type) the unit it sits in, covered by it."""
    org = services.organization_create(parent=parent, code=code("O"), name=name or f"党组织{next(_seq)}", kind=kind)
    if unit_type:
        unit = make_unit(unit_type, org, name=(name or org.name) + "·单位", parent=unit_parent)
        org = services.organization_update(organization=org, unit=unit)
    return org


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def finish(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def grant_admin(user, *models: type) -> None:
    """Staff access with every permission on the given models."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for model in models:
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label=model._meta.app_label, content_type__model=model._meta.model_name
            )
        )


def district_tree():
    """A small district: two streets, two communities in the first, compounds in each community.

    Returns a dict of the nodes by role in the tests. The tree is known to be good, so its writes leave
    the constraint checks to the database (as the demo load does): the services' own refusals are
    tested on rows of their own, and the database still refuses a bad row here.
    """
    with constraints_left_to_database():
        return written_once("district_tree", _district_tree, remember=instances_kept, copied=instances_copied)


def _district_tree():
    root = make_org(None, name="区委", kind=OrgKind.COMMITTEE, unit_type=UnitType.DISTRICT)
    street_a = make_org(root, name="甲街道党工委", kind=OrgKind.WORKING_COMMITTEE, unit_type=UnitType.STREET)
    street_b = make_org(root, name="乙街道党工委", kind=OrgKind.WORKING_COMMITTEE, unit_type=UnitType.STREET)
    comm_a = make_org(
        street_a, name="甲社区党委", kind=OrgKind.COMMITTEE, unit_type=UnitType.COMMUNITY, unit_parent=street_a.unit
    )
    comm_b = make_org(
        street_a, name="乙社区党委", kind=OrgKind.COMMITTEE, unit_type=UnitType.COMMUNITY, unit_parent=street_a.unit
    )
    comm_c = make_org(
        street_b, name="丙社区党委", kind=OrgKind.COMMITTEE, unit_type=UnitType.COMMUNITY, unit_parent=street_b.unit
    )
    compound_a = make_org(comm_a, name="甲小区党支部", unit_type=UnitType.COMPOUND, unit_parent=comm_a.unit)
    compound_b = make_org(comm_b, name="乙小区党支部", unit_type=UnitType.COMPOUND, unit_parent=comm_b.unit)
    # A compound without its own branch is covered by its community.
    bare_b = make_unit(UnitType.COMPOUND, comm_b, name="乙社区无支部小区", parent=comm_b.unit)
    agency = make_unit(UnitType.AGENCY, root, name="区委办公室")
    shop = make_unit(UnitType.SHOP, street_a, name="党员商户")
    return {
        "root": root,
        "street_a": street_a,
        "street_b": street_b,
        "comm_a": comm_a,
        "comm_b": comm_b,
        "comm_c": comm_c,
        "compound_a": compound_a,
        "compound_b": compound_b,
        "bare_b": bare_b,
        "agency": agency,
        "shop": shop,
    }


#: The names of district_tree() in tree order (parents before children, siblings by code).
DISTRICT_TREE_ORDER = [
    "区委",
    "甲街道党工委",
    "甲社区党委",
    "甲小区党支部",
    "乙社区党委",
    "乙小区党支部",
    "乙街道党工委",
    "丙社区党委",
]


def user_with_role(role: str, *, organization: Organization | None = None, unit: Unit | None = None, **kwargs):
    user = UserFactory(**kwargs)
    services.role_assign(user=user, role=role, organization=organization, unit=unit)
    return user


__all__ = ["Role", "UserFactory", "district_tree", "grant_admin", "make_org", "make_unit", "user_with_role", "PASSWORD"]
