"""Members for tests, written through the services as the portal writes them."""

from __future__ import annotations

import itertools
from datetime import date

from members import services
from members.idnumbers import make_id_number
from members.models import Category, Gender, Member

_seq = itertools.count(1)

#: Yiling's region code (first six digits of an ID number).
REGION = "420506"


def id_number(*, born: date = date(1980, 5, 17), male: bool = True) -> str:
    """A fresh valid ID number of someone born on ``born`` (unique within a test run).

    A region has 500 sequence numbers per birth date and sex; past them the next region code of
    Yichang (4205xx) is taken, never another birth day, so the number carries ``born`` whatever the
    order the tests run in.
    """
    n = next(_seq)
    sequence = (n % 500) * 2 + (1 if male else 0)
    region = f"{REGION[:4]}{(int(REGION[4:]) + n // 500) % 100:02d}"
    return make_id_number(region, born, sequence)


def make_member(
    *,
    home_organization=None,
    residence=None,
    category: str = Category.RETIRED,
    employer=None,
    name: str | None = None,
    phone: str | None = None,
    **extra,
) -> Member:
    """A full member held by ``home_organization`` (or outside the district), born on ``birth_date``
    (1980-05-17 unless given) as the ID number says."""
    number = extra.pop("id_number", None) or id_number(
        born=extra.get("birth_date", date(1980, 5, 17)), male=extra.get("gender", Gender.MALE) == Gender.MALE
    )
    n = next(_seq)
    fields = {
        "name": name or f"党员{n}",
        "gender": Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
        "birth_date": date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        "id_number": number,
        "phone": phone if phone is not None else f"139{n:08d}",
        "joined_on": date(2005, 7, 1),
        "full_member_on": date(2006, 7, 1),
        "category": category,
        "home_organization": home_organization,
        "external_organization": "" if home_organization is not None else "区外某党支部",
        "employer": employer,
        "residence": residence,
    }
    fields.update(extra)
    return services.member_create(**fields)
