"""The members factory gives the same people whatever order the tests run in."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from members.idnumbers import birth_date_of, is_male, validate_id_number
from tests.members import factories


@pytest.fixture
def late_in_the_run(monkeypatch):
    """The factory's counter where a long run leaves it: just before a 500-number boundary."""
    monkeypatch.setattr(factories, "_seq", itertools.count(497))


def test_id_numbers_keep_the_birth_date_and_sex_across_the_boundary(late_in_the_run):
    numbers = [factories.id_number(born=date(1975, 2, 3), male=i % 2 == 0) for i in range(1006)]

    assert len(set(numbers)) == len(numbers)
    for i, number in enumerate(numbers):
        validate_id_number(number)
        assert birth_date_of(number) == date(1975, 2, 3), (i, number)
        assert is_male(number) is (i % 2 == 0), (i, number)


@pytest.mark.django_db
def test_member_born_when_asked_whatever_the_count(late_in_the_run, tree):
    default, given = (
        factories.make_member(home_organization=tree["root"]),
        factories.make_member(home_organization=tree["root"], birth_date=date(1962, 12, 31)),
    )
    late = [factories.make_member(home_organization=tree["root"]) for _ in range(3)]

    assert [m.birth_date for m in (default, *late)] == [date(1980, 5, 17)] * 4
    assert birth_date_of(given.id_number) == given.birth_date == date(1962, 12, 31)
    assert all(birth_date_of(m.id_number) == m.birth_date for m in (default, given, *late))
