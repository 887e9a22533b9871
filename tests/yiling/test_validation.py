"""Check constraints validated in one query (yiling.validation): Django's errors, fewer queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import CaptureQueriesContext

from members.models import Member
from tests.members.factories import make_member
from yiling.validation import constraints_left_to_database

pytestmark = pytest.mark.django_db


def check_queries(validate) -> tuple[int, dict | None]:
    """How many check-constraint queries ``validate`` asked, and the errors it raised."""
    errors = None
    with CaptureQueriesContext(connection) as queries:
        try:
            validate()
        except ValidationError as e:
            errors = e.message_dict
    return sum('"_check"' in q["sql"] for q in queries.captured_queries), errors


def test_a_valid_member_is_checked_in_one_query_instead_of_nine():
    member = make_member()
    checks = sum(isinstance(c, models.CheckConstraint) for c in Member._meta.constraints)
    assert checks == 9

    assert check_queries(member.validate_constraints) == (1, None)
    assert check_queries(lambda: models.Model.validate_constraints(member)) == (9, None)


def test_a_failed_check_gives_djangos_own_errors():
    member = make_member()
    member.joined_on = date(1970, 1, 1)  # before the birth date, 1980-05-17
    member.full_member_on = date(1960, 1, 1)  # before joining
    member.name = ""

    queries, errors = check_queries(member.validate_constraints)
    _django_queries, django_errors = check_queries(lambda: models.Model.validate_constraints(member))

    assert errors == django_errors
    assert errors == {
        "__all__": [
            "转正日期不能早于入党日期。",
            "入党日期必须晚于出生日期。",
            "党员必须填写姓名。",
        ]
    }
    assert queries == 1 + 9  # the joint question, then Django's one by one


def test_with_a_field_error_the_checks_on_other_fields_are_still_reported():
    member = make_member()
    member.gender = "x"  # a field error: full_clean then leaves out the checks naming that field
    member.joined_on = date(1970, 1, 1)

    with pytest.raises(ValidationError) as refused:
        member.full_clean()

    assert refused.value.message_dict["__all__"] == ["入党日期必须晚于出生日期。"]
    assert set(refused.value.message_dict) == {"gender", "__all__"}
    ours = check_queries(lambda: member.validate_constraints(exclude={"gender"}))
    assert ours == check_queries(lambda: models.Model.validate_constraints(member, exclude={"gender"}))


def test_a_trusted_load_asks_no_constraint_or_foreign_key_query_and_the_database_still_refuses():
    member = make_member()
    member.joined_on = date(1970, 1, 1)  # before the birth date: breaks a check constraint

    with constraints_left_to_database(), CaptureQueriesContext(connection) as queries:
        member.full_clean()  # field validation only: no error, no query
    assert queries.captured_queries == []

    with pytest.raises(ValidationError):  # outside the block, full_clean reports it again
        member.full_clean()
    with constraints_left_to_database(), pytest.raises(IntegrityError), transaction.atomic():
        member.full_clean()
        member.save()
    member.refresh_from_db()
    assert member.joined_on != date(1970, 1, 1)
