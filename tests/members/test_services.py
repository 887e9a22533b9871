"""Writes to the roster: every rule of the domain holds in the services, and nothing is half-written."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from members import services
from members.models import (
    Category,
    CheckIn,
    FloatingRecord,
    Member,
    MembershipTransfer,
    MemberStatus,
    PostKind,
    VolunteerPost,
)
from tests.constraints import refused_by
from tests.organizations.factories import UserFactory

from .factories import id_number, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(tree):
    """An in-service member held by the district, employed by the agency, living in compound A."""
    return make_member(
        home_organization=tree["root"],
        residence=tree["compound_a"].unit,
        category=Category.IN_SERVICE,
        employer=tree["agency"],
    )


def test_member_create_refuses_a_bad_id_number_and_writes_nothing(tree):
    number = id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        make_member(home_organization=tree["root"], id_number=bad)
    assert "id_number" in exc.value.message_dict
    assert Member.objects.count() == 0


def test_id_numbers_are_unique(tree):
    number = id_number()
    make_member(home_organization=tree["root"], id_number=number)
    with pytest.raises(ValidationError) as exc:
        make_member(home_organization=tree["root"], id_number=number)
    assert exc.value.messages == ["已存在使用此身份证号的党员。"]
    assert Member.objects.count() == 1


def test_membership_must_be_held_somewhere(tree):
    with pytest.raises(ValidationError) as exc:
        make_member(home_organization=None, external_organization="")
    assert exc.value.message_dict == {NON_FIELD_ERRORS: ["请填写组织关系所在党组织（区内或区外）。"]}
    assert Member.objects.count() == 0


def test_probationary_member_has_no_full_member_date(tree):
    with pytest.raises(ValidationError) as exc:
        make_member(home_organization=tree["root"], status=MemberStatus.PROBATIONARY)
    assert exc.value.message_dict == {NON_FIELD_ERRORS: ["预备党员不应填写转正日期。"]}
    member = make_member(home_organization=tree["root"], status=MemberStatus.PROBATIONARY, full_member_on=None)
    assert member.status == MemberStatus.PROBATIONARY


def test_employer_must_be_an_agency_or_enterprise(tree):
    with pytest.raises(ValidationError) as exc:
        make_member(home_organization=tree["root"], employer=tree["shop"])
    assert "employer" in exc.value.message_dict


def test_member_update_writes_history_only_when_something_changes(tree, resident):
    before = resident.history.count()
    services.member_update(member=resident, phone=resident.phone)
    assert resident.history.count() == before
    services.member_update(member=resident, phone="13700001111")
    assert resident.history.count() == before + 1
    assert Member.objects.get(pk=resident.pk).phone == "13700001111"


def test_transfer_moves_the_membership_and_keeps_the_record(tree, resident):
    clerk = UserFactory()
    transfer = services.member_transfer(
        member=resident,
        to_organization=tree["compound_a"],
        transferred_on=date(2026, 3, 1),
        reason="退休后转入居住地",
        by=clerk,
    )
    resident.refresh_from_db()
    assert resident.home_organization == tree["compound_a"]
    assert transfer.from_organization == tree["root"]
    assert transfer.recorded_by == clerk
    latest = resident.history.latest()
    assert latest.home_organization_id == tree["compound_a"].pk
    assert "退休后转入居住地" in latest.history_change_reason
    assert latest.history_user == clerk
    # The earlier holder stays in the history.
    assert resident.history.earliest().home_organization_id == tree["root"].pk


def test_transfer_out_of_the_district(tree, resident):
    services.member_transfer(
        member=resident, to_external="武汉市某党支部", transferred_on=date(2026, 3, 1), reason="工作调动"
    )
    resident.refresh_from_db()
    assert resident.home_organization is None
    assert resident.external_organization == "武汉市某党支部"


def test_transfer_to_the_same_organization_is_refused(tree, resident):
    with pytest.raises(ValidationError) as exc:
        services.member_transfer(
            member=resident, to_organization=tree["root"], transferred_on=date(2026, 3, 1), reason="x"
        )
    assert exc.value.message_dict == {"to_organization": ["该党员的组织关系已在此党组织。"]}
    assert not MembershipTransfer.objects.exists()


def test_report_in_confirm_and_return(tree, resident):
    secretary = UserFactory()
    checkin = services.checkin_submit(member=resident, unit=tree["compound_a"].unit)
    assert checkin.status == CheckIn.Status.PENDING
    with pytest.raises(ValidationError) as twice:
        services.checkin_submit(member=resident, unit=tree["compound_a"].unit)
    assert twice.value.message_dict == {NON_FIELD_ERRORS: ["该党员已报到。"]}

    services.checkin_confirm(checkin=checkin, by=secretary)
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.CONFIRMED
    assert checkin.decided_by == secretary
    assert checkin.decided_at is not None
    with pytest.raises(ValidationError) as decided:
        services.checkin_return(checkin=checkin, by=secretary, reason="不是本小区居民")
    assert decided.value.messages == ["该报到已处理（已确认）。"]
    assert CheckIn.objects.get(pk=checkin.pk).status == CheckIn.Status.CONFIRMED


def test_returned_report_in_needs_a_reason_and_can_be_resubmitted(tree, resident):
    checkin = services.checkin_submit(member=resident, unit=tree["compound_a"].unit)
    with pytest.raises(ValidationError) as exc:
        services.checkin_return(checkin=checkin, by=None, reason="  ")
    assert exc.value.message_dict == {"return_reason": ["请填写退回报到的原因。"]}
    assert CheckIn.objects.get(pk=checkin.pk).status == CheckIn.Status.PENDING
    services.checkin_return(checkin=checkin, by=None, reason="信息不全")
    again = services.checkin_submit(member=resident, unit=tree["compound_a"].unit)
    assert again.pk != checkin.pk


def test_report_in_only_for_in_service_members_where_they_live(tree, resident):
    retired = make_member(home_organization=tree["root"], residence=tree["compound_a"].unit)
    with pytest.raises(ValidationError) as not_in_service:
        services.checkin_submit(member=retired, unit=tree["compound_a"].unit)
    assert not_in_service.value.messages == ["只有在职党员需要到居住地报到。"]
    with pytest.raises(ValidationError) as elsewhere:
        services.checkin_submit(member=resident, unit=tree["compound_b"].unit)
    assert elsewhere.value.message_dict == {"unit": [f"{resident.name}不居住在{tree['compound_b'].unit.name}。"]}
    # The community the compound belongs to is also where the member lives.
    assert services.checkin_submit(member=resident, unit=tree["comm_a"].unit).unit == tree["comm_a"].unit


def test_one_open_report_in_per_member_is_a_database_rule(tree, resident):
    services.checkin_submit(member=resident, unit=tree["compound_a"].unit)
    with refused_by(CheckIn, "members_checkin_one_open_per_member"):
        CheckIn.objects.create(member=resident, unit=tree["comm_a"].unit, submitted_at="2026-01-01T00:00Z")


def test_posts_are_held_by_residents_one_each(tree, resident):
    post = services.volunteer_post_assign(
        member=resident, compound=tree["compound_a"].unit, post=PostKind.PARKING, started_on=date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as second_post:
        services.volunteer_post_assign(
            member=resident, compound=tree["compound_a"].unit, post=PostKind.PATROL, started_on=date(2026, 1, 1)
        )
    assert second_post.value.message_dict == {NON_FIELD_ERRORS: ["该党员已担任一个岗位。"]}
    outsider = make_member(home_organization=tree["root"], residence=tree["compound_b"].unit)
    with pytest.raises(ValidationError) as not_living:
        services.volunteer_post_assign(
            member=outsider, compound=tree["compound_a"].unit, post=PostKind.PATROL, started_on=date(2026, 1, 1)
        )
    assert not_living.value.message_dict == {"member": [f"{outsider.name}不居住在{tree['compound_a'].unit.name}。"]}
    services.volunteer_post_end(volunteer_post=post, ended_on=date(2026, 6, 1))
    again = services.volunteer_post_assign(
        member=resident, compound=tree["compound_a"].unit, post=PostKind.PATROL, started_on=date(2026, 6, 2)
    )
    assert again.post == PostKind.PATROL
    with pytest.raises(ValidationError) as backwards:
        services.volunteer_post_end(volunteer_post=again, ended_on=date(2026, 1, 1))
    assert backwards.value.message_dict == {NON_FIELD_ERRORS: ["任职结束日期不能早于开始日期。"]}


def test_floating_records(tree):
    away = make_member(home_organization=tree["compound_a"], category=Category.FLOATING)
    record = services.floating_record_open(
        member=away, direction="outgoing", place="广东省深圳市", reason="务工", started_on=date(2025, 3, 1)
    )
    with pytest.raises(ValidationError) as second_open:
        services.floating_record_open(
            member=away, direction="outgoing", place="武汉", reason="务工", started_on=date(2025, 4, 1)
        )
    assert second_open.value.message_dict == {NON_FIELD_ERRORS: ["该党员已有一条同一流向且尚未结束的登记。"]}
    services.floating_record_close(record=record, ended_on=date(2026, 1, 10))
    assert FloatingRecord.objects.get(pk=record.pk).ended_on == date(2026, 1, 10)

    newcomer = make_member(home_organization=None, external_organization="四川省某党支部", category=Category.FLOATING)
    with pytest.raises(ValidationError) as nowhere:
        services.floating_record_open(
            member=newcomer,
            direction="incoming",
            place="四川省成都市",
            reason="随子女居住",
            started_on=date(2025, 1, 1),
        )
    assert nowhere.value.message_dict == {NON_FIELD_ERRORS: ["请填写流入党员参加活动的小区或社区。"]}
    incoming = services.floating_record_open(
        member=newcomer,
        direction="incoming",
        place="四川省成都市",
        reason="随子女居住",
        started_on=date(2025, 1, 1),
        local_unit=tree["compound_b"].unit,
    )
    assert incoming.local_unit == tree["compound_b"].unit
    # Living there now, the member is within the reach of that compound's secretary.
    newcomer.refresh_from_db()
    assert newcomer.residence == tree["compound_b"].unit


def test_personal_data_viewed_records_who_and_when(tree, resident):
    user = UserFactory()
    assert services.personal_data_viewed(user=user, members=[resident], purpose="page") == 1
    access = resident.personal_data_accesses.get()
    assert access.user == user
    assert access.member_name == resident.name
    assert access.accessed_at is not None


def test_birth_date_and_gender_must_agree_with_the_id_number(tree):
    number = id_number(born=date(1980, 5, 17), male=True)
    with pytest.raises(ValidationError) as exc:
        make_member(home_organization=tree["root"], id_number=number, birth_date=date(1981, 1, 1), gender="female")
    assert set(exc.value.message_dict) == {"birth_date", "gender"}


def test_one_current_volunteer_post_per_member_is_a_database_rule(tree, resident):
    services.volunteer_post_assign(
        member=resident, compound=tree["compound_a"].unit, post=PostKind.PARKING, started_on=date(2026, 1, 1)
    )
    with refused_by(VolunteerPost, "members_volunteerpost_one_post_per_member"):
        VolunteerPost.objects.create(
            member=resident, compound=tree["compound_a"].unit, post=PostKind.PATROL, started_on=date(2026, 1, 1)
        )
    assert VolunteerPost.objects.filter(member=resident).count() == 1


def test_joining_after_birth_is_a_database_rule(tree, resident):
    with refused_by(Member, "members_member_joined_after_birth"):
        Member.objects.filter(pk=resident.pk).update(joined_on=resident.birth_date)
    assert Member.objects.get(pk=resident.pk).joined_on == date(2005, 7, 1)
    born = date(1990, 1, 1)
    newcomer = Member(
        name="新党员", gender="male", birth_date=born, id_number=id_number(born=born), joined_on=date(1989, 7, 1),
        full_member_on=None, status=MemberStatus.PROBATIONARY, category=Category.OTHER,
        external_organization="区外某党支部",
    )  # fmt: skip
    with refused_by(Member, "members_member_joined_after_birth"):
        Member.objects.bulk_create([newcomer])
    assert not Member.objects.filter(name="新党员").exists()


@pytest.mark.parametrize(
    ("field", "label"), [("birth_date", "出生日期"), ("joined_on", "入党日期"), ("full_member_on", "转正日期")]
)
def test_a_date_in_the_future_is_refused_naming_the_field(tree, resident, field, label):
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.translation import override

    tomorrow = timezone.localdate() + timedelta(days=1)
    with override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.member_update(member=resident, **{field: tomorrow})
    assert exc.value.message_dict[field] == [f"{label}不能晚于今天：请填写今天或以前的日期。"]
    resident.refresh_from_db()
    assert getattr(resident, field) != tomorrow
    # Today itself is fine.
    if field == "full_member_on":  # (the others must match the ID number, or precede 转正日期)
        services.member_update(member=resident, **{field: timezone.localdate()})
        resident.refresh_from_db()
        assert getattr(resident, field) == timezone.localdate()
