"""Resident ID numbers (公民身份号码, GB 11643-1999): normalizing, checking, reading birth date and sex."""

from __future__ import annotations

import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def normalize(value: object) -> str:
    """Full-width digits to ASCII, spaces dropped, a lower-case x raised."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).upper()


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def is_male(id_number: str) -> bool:
    """The 17th character is odd for men, even for women."""
    return int(id_number[16]) % 2 == 1


def validate_id_number(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a well-formed 18-character ID number."""
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d.") % {"n": len(value)}, code="length"
        )
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), code="characters")
    try:
        born = birth_date_of(value)
    except ValueError as exc:
        raise ValidationError(_("The birth date inside the ID number is not a real date."), code="birth_date") from exc
    if born.year < 1900 or born > date.today():  # noqa: DTZ011 - a calendar date, no time zone involved
        raise ValidationError(_("The birth date inside the ID number is not a real date."), code="birth_date")
    if check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of the ID number is wrong: it should be %(c)s.") % {"c": check_char(value[:17])},
            code="checksum",
        )


def make_id_number(region: str, born: date, sequence: int) -> str:
    """A valid ID number for ``region`` (6 digits), ``born`` and a 3-digit ``sequence`` (odd: male)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
