"""The services of the liaisons app: pairings that never overlap, and the problem's state machine,
tried for every move from every state as every role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from liaisons import services
from liaisons.models import Contribution, ContributionKind, Demand, DemandStep, Liaison, State
from liaisons.services import MOVES
from tests.organizations.factories import UserFactory

from .factories import long_ago, raise_demand

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are asserted as written in the code."""
    with translation.override("en"):
        yield


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

#: Which side each user of the world is on for a problem of 甲小区 (paired with the agency).
SIDES = {
    "contact": "agency",
    "compound_secretary": "compound",
    "community_secretary": "compound",
    "street_staff": "compound",
    "district_staff": "compound",
    "other_contact": None,
    "other_secretary": None,
    "other_street": None,
    "merchant": None,
}


class Undo(Exception):
    pass


def legal(from_state: str, to_state: str) -> bool:
    return to_state in MOVES and from_state in MOVES[to_state].sources


@pytest.mark.parametrize("role", [*SIDES, "superuser"])
def test_every_move_from_every_state_as_every_role(world, role):
    user = UserFactory(is_superuser=True, password=None) if role == "superuser" else world["users"][role]
    demands = {state: raise_demand(world["compound_a_unit"], title=f"问题{state}", state=state) for state in State}
    tried = 0
    for from_state, demand in demands.items():
        for to_state in State.values:
            allowed = legal(from_state, to_state) and (role == "superuser" or MOVES[to_state].side == SIDES[role])
            try:
                with transaction.atomic():
                    step = services.demand_move(demand=demand, to_state=to_state, by=user, note="说明")
                    demand.refresh_from_db()
                    assert (demand.state, step.from_state, step.to_state) == (to_state, from_state, to_state)
                    assert step.by == user
                    raise Undo
            except Undo:
                assert allowed, f"{role} moved {from_state} → {to_state}"
            except ValidationError as exc:
                assert not allowed, f"{role} refused {from_state} → {to_state}: {exc.messages}"
                assert exc.messages  # a message to show
            demand.refresh_from_db()
            assert demand.state == from_state
            tried += 1
    assert tried == 36


def test_agency_confirming_its_own_work_is_refused_with_a_clear_message(world):
    demand = raise_demand(world["compound_a_unit"], state=State.RESOLVED)
    with pytest.raises(ValidationError) as refused:
        services.demand_move(demand=demand, to_state=State.CONFIRMED, by=world["users"]["contact"])
    assert "cannot confirm its own work" in " ".join(refused.value.messages)
    demand.refresh_from_db()
    assert demand.state == State.RESOLVED


def test_confirming_what_is_not_resolved_is_refused_naming_the_states(world):
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS)
    with pytest.raises(ValidationError) as refused:
        services.demand_move(demand=demand, to_state=State.CONFIRMED, by=world["users"]["compound_secretary"])
    assert refused.value.message_dict["to_state"] == [
        "A problem that is In progress cannot be moved to Confirmed; it can be from: Resolved."
    ]


def test_resolve_and_reopen_need_a_note(world):
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS)
    with pytest.raises(ValidationError) as refused:
        services.demand_move(demand=demand, to_state=State.RESOLVED, by=world["users"]["contact"], note="  ")
    assert "note" in refused.value.message_dict


def test_the_timeline_records_each_step_and_the_resolution_date(world):
    demand = raise_demand(world["compound_a_unit"], state=State.RESOLVED)
    steps = list(demand.steps.order_by("at", "pk").values_list("from_state", "to_state"))
    assert steps == [("", "raised"), ("raised", "accepted"), ("accepted", "in_progress"), ("in_progress", "resolved")]
    demand.refresh_from_db()
    assert demand.resolved_on == timezone.localdate()
    services.demand_move(demand=demand, to_state=State.REOPENED, by=world["users"]["compound_secretary"], note="还漏水")
    demand.refresh_from_db()
    assert (demand.state, demand.resolved_on) == (State.REOPENED, None)
    assert demand.history.count() >= 5


def test_a_step_attachment_is_checked_by_its_content(world):
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS)
    fake = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        services.demand_move(
            demand=demand, to_state=State.RESOLVED, by=world["users"]["contact"], note="修好", attachment=fake
        )
    assert "attachment" in refused.value.message_dict
    assert not DemandStep.objects.filter(demand=demand, to_state=State.RESOLVED).exists()
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    step = services.demand_move(
        demand=demand, to_state=State.RESOLVED, by=world["users"]["contact"], note="修好", attachment=photo
    )
    assert step.attachment.name.endswith(".png")
    step.attachment.delete(save=False)


def test_an_ended_pairing_gives_its_agency_no_move(world):
    demand = raise_demand(world["compound_a_unit"], state=State.RAISED)
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    with pytest.raises(ValidationError):
        services.demand_move(demand=demand, to_state=State.ACCEPTED, by=world["users"]["contact"])


def test_raising_needs_a_paired_compound_and_the_compound_side(world):
    with pytest.raises(ValidationError) as refused:
        services.demand_raise(compound=world["compound_b_unit"], category="parking", title="停车难")
    assert "not paired" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        services.demand_raise(
            compound=world["compound_a_unit"], category="parking", title="停车难", by=world["users"]["contact"]
        )
    demand = services.demand_raise(
        compound=world["compound_a_unit"], category="parking", title="停车难", by=world["users"]["compound_secretary"]
    )
    assert demand.liaison == world["liaison_a"]
    assert demand.steps.get().to_state == State.RAISED


def test_unknown_category_is_refused_by_the_constraint_message(world):
    with pytest.raises(ValidationError):
        services.demand_raise(compound=world["compound_a_unit"], category="weather", title="x")
    assert not Demand.objects.exists()


# --- pairings ------------------------------------------------------------------------------------------


def test_overlapping_pairings_of_one_agency_or_compound_are_refused(world):
    with pytest.raises(ValidationError) as refused:
        services.liaison_start(agency=world["agency"], compound=world["bare_b"], started_on=long_ago(10))
    assert "cannot overlap" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        services.liaison_start(
            agency=world["agency_b"], compound=world["compound_a_unit"], started_on=long_ago(200), ended_on=long_ago(59)
        )
    # Back to back is fine: the ended pairing's last day is the day before ended_on.
    liaison = services.liaison_start(
        agency=world["agency"], compound=world["compound_b_unit"], started_on=long_ago(200), ended_on=long_ago(90)
    )
    assert liaison.pk


def test_the_database_refuses_two_open_pairings_of_one_agency(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Liaison.objects.create(
            agency=world["agency"], compound=world["compound_b_unit"], started_on=timezone.localdate()
        )


@pytest.mark.postgres
def test_postgres_refuses_overlapping_dated_pairings_whatever_the_service(world):
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError), transaction.atomic():
        Liaison.objects.create(
            agency=world["agency_b"],
            compound=world["compound_a_unit"],
            started_on=long_ago(40),
            ended_on=long_ago(35),
        )


def test_ending_a_pairing_twice_or_before_it_starts_is_refused(world):
    with pytest.raises(ValidationError):
        services.liaison_end(liaison=world["liaison_a"], ended_on=long_ago(61))
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    with pytest.raises(ValidationError):
        services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())


# --- contributions and deliberations --------------------------------------------------------------------


def test_the_agency_records_what_it_brought(world):
    contact = world["users"]["contact"]
    money = services.contribution_record(
        liaison=world["liaison_a"],
        kind=ContributionKind.MONEY,
        given_on=long_ago(3),
        description="修缮款",
        amount=12000,
        by=contact,
    )
    assert money.amount == 12000
    with pytest.raises(ValidationError):
        services.contribution_record(
            liaison=world["liaison_a"],
            kind=ContributionKind.VOLUNTEER_HOURS,
            given_on=long_ago(3),
            description="义务劳动",
            by=contact,
        )
    with pytest.raises(ValidationError):
        services.contribution_record(
            liaison=world["liaison_a"],
            kind=ContributionKind.GOODS,
            given_on=long_ago(3),
            description="灭火器",
            by=world["users"]["other_contact"],
        )
    assert Contribution.objects.count() == 1


def test_a_deliberation_links_the_problems_of_its_compound_only(world):
    demand = raise_demand(world["compound_a_unit"])
    other = raise_demand(world["bare_b"])
    secretary = world["users"]["compound_secretary"]
    fields = {
        "held_on": long_ago(1),
        "topic": "停车议事",
        "attendees": "张三、李四",
        "attendance": 2,
        "decisions": "划线",
    }
    with pytest.raises(ValidationError):
        services.deliberation_record(compound=world["compound_a_unit"], demands=[other], by=secretary, **fields)
    with pytest.raises(ValidationError):
        services.deliberation_record(compound=world["compound_a_unit"], by=world["users"]["contact"], **fields)
    meeting = services.deliberation_record(compound=world["compound_a_unit"], demands=[demand], by=secretary, **fields)
    step = services.demand_move(
        demand=demand, to_state=State.ACCEPTED, by=world["users"]["contact"], deliberation=meeting
    )
    assert list(meeting.demands.all()) == [demand]
    assert list(meeting.steps.all()) == [step]
    assert meeting.held_on == timezone.localdate() - timedelta(days=1)


def test_many_pairings_at_once_follow_the_same_rules(world):
    from tests.organizations.factories import make_unit

    agency_c = make_unit("agency", world["root"], name="区公安局")
    with pytest.raises(ValidationError):  # 乙小区 is free, but the agency is paired with 甲小区
        services.liaisons_start_many(pairs=[(world["agency"], world["compound_b_unit"], "")], started_on=long_ago(1))
    with pytest.raises(ValidationError):  # the same compound twice in the list
        services.liaisons_start_many(
            pairs=[(agency_c, world["compound_b_unit"], ""), (agency_c, world["compound_b_unit"], "")],
            started_on=long_ago(1),
        )
    made = services.liaisons_start_many(pairs=[(agency_c, world["compound_b_unit"], "刘")], started_on=long_ago(1))
    assert [(m.agency, m.compound, m.agency_contact) for m in made] == [(agency_c, world["compound_b_unit"], "刘")]
    assert Liaison.history.filter(id=made[0].pk).count() == 1
