"""Members for tests, written through the services as the portal writes them."""

from __future__ import annotations

import itertools
from datetime import date

from members import services
from members.idnumbers import make_id_number
from members.models import Category, Gender, Member

_seq = itertools.count(1)

#: Regions of Yiling and Yichang (first six digits of an ID number).
REGION = "420506"


def id_number(*, born: date = date(1980, 5, 17), male: bool = True) -> str:
    """A fresh valid ID number (unique within a test run)."""
    n = next(_seq)
    sequence = (n * 2 + (1 if male else 0)) % 1000
    # Vary the birth day too so more than 500 numbers per birth date are possible.
    day = date.fromordinal(born.toordinal() + n // 500)
    return make_id_number(REGION, day, sequence)


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
    """A full member born in 1980, held by ``home_organization`` (or outside the district)."""
    number = extra.pop("id_number", None) or id_number(male=extra.get("gender", Gender.MALE) == Gender.MALE)
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
