"""Personal data (resident ID numbers, birth dates, phone numbers): masking for pages, exports and logs.

Everything a user without the permission sees goes through :func:`mask_id_number`,
:func:`mask_birth_date` and :func:`mask_phone`; every log record goes through
:class:`RedactingFilter`, which masks anything that looks like an ID number or a mobile number,
whoever logged it and however it was written.

Why the ID number keeps only its first four characters and the birth date only year and month
(docs/SECURITY.md has the arithmetic): the six region digits are mostly known from where a member
lives, the birth date sits in the number, the 17th digit's parity is the gender shown beside it,
and the 18th character is a checksum of the other seventeen. What a page shows must leave at least
a thousand numbers possible; with the day of birth and the three sequence digits hidden it leaves
``days in the month × 500`` (at least 14,000), and the hidden check character cannot narrow that.
"""

from __future__ import annotations

import logging
import re
from datetime import date

#: Characters an ID number keeps visible: province and city (湖北宜昌 = 4205), never the county,
#: the birth date, the sequence or the check character.
ID_VISIBLE = 4
ID_LENGTH = 18

_ID_RE = re.compile(r"(?<![0-9])([1-9][0-9]{3})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def mask_id_number(value: str | None) -> str:
    """``420506199001011234`` → ``4205**************``: same length, only province and city shown."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) <= ID_VISIBLE * 2:
        return "*" * len(text)
    return text[:ID_VISIBLE] + "*" * (len(text) - ID_VISIBLE)


def mask_birth_date(value: date | str | None) -> str:
    """``1990-01-01`` → ``1990-01``: the day is the part of the ID number a page must not give away."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    text = str(value).strip()
    found = re.match(r"([0-9]{4})-([0-9]{1,2})", text)
    return f"{found[1]}-{int(found[2]):02d}" if found else "*" * len(text)


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) < 7:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


def redact(text: str) -> str:
    """Mask every ID number and mobile number found in free text."""
    text = _ID_RE.sub(lambda m: mask_id_number(m[0].upper()), text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class RedactingFilter(logging.Filter):
    """Masks ID numbers and phones in every log record, arguments and exception text included."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is, never dropped
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), None
        return True
