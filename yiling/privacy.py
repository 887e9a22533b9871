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
import unicodedata
from datetime import date
from urllib.parse import unquote

#: Characters an ID number keeps visible: province and city (湖北宜昌 = 4205), never the county,
#: the birth date, the sequence or the check character.
ID_VISIBLE = 4
ID_LENGTH = 18

# One optional separator between any two digits: a space (also URL-encoded as + or %20, or
# full-width), a hyphen or a no-break space. People write "420506 19900101 1234", "177-5451-6767".
_SEP = r"(?:[ \-+\u00a0\u3000]|%20)?"
_ID_RE = re.compile(rf"(?<![0-9])[1-9](?:{_SEP}[0-9]){{16}}{_SEP}[0-9Xx](?![0-9])")
_PHONE_RE = re.compile(
    rf"(?<![0-9])(?P<cc>(?:\+|00)?86{_SEP}|\(\+?86\){_SEP})?(?P<number>1[3-9](?:{_SEP}[0-9]){{9}})(?![0-9])"
)
#: What is left: any run of 15 or more digits (a first-generation 15-digit ID number, an ID number
#: with a digit too many, a bank card number).
_LONG_DIGITS_RE = re.compile(r"[0-9]{15,}[Xx]?")
#: URL-encoded bytes (a request line or a Referer) and Python escapes (Django's "Not Found" line
#: escapes non-ASCII paths): decoded when they spell digits, so full-width digits cannot hide in them.
_PERCENT_RUN_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
_DIGIT_LIKE = set("0123456789Xx+- \u3000")


def _digits_only(text: str) -> str:
    return "".join(ch for ch in text.replace("%20", "") if ch.isdigit() or ch in "Xx")


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


def _plain_digits(text: str) -> str:
    """Full-width and other Unicode digits as ASCII, and escaped or URL-encoded digits decoded.

    Only what spells digits (or an X, a space, a plus or a hyphen) is decoded, so a ``%0A`` in a
    request line stays ``%0A`` and cannot forge a new log line.
    """
    if "\\u" in text or "\\U" in text:

        def unescape(match: re.Match[str]) -> str:
            char = chr(int(match[1] or match[2], 16))
            return char if char.isdigit() or char in _DIGIT_LIKE or unicodedata.category(char) == "Zs" else match[0]

        text = _ESCAPE_RE.sub(unescape, text)
    if "%" in text:

        def decode(match: re.Match[str]) -> str:
            decoded = unquote(match[0], errors="strict") if _valid_utf8(match[0]) else match[0]
            digits = any(ch.isdigit() for ch in decoded) and all(ch.isdigit() or ch in _DIGIT_LIKE for ch in decoded)
            return decoded if digits else match[0]

        text = _PERCENT_RUN_RE.sub(decode, text)
    if not text.isascii():
        text = "".join(_ascii_digit(ch) for ch in text)
    return text


def _valid_utf8(escaped: str) -> bool:
    try:
        unquote(escaped, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _ascii_digit(char: str) -> str:
    if char.isascii():
        return char
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    folded = unicodedata.normalize("NFKC", char)
    return folded if folded in ("X", "x", "+", "-") else char


def redact(text: str) -> str:
    """Mask every ID number, mobile number and long run of digits found in free text."""
    text = _plain_digits(text)
    text = _ID_RE.sub(lambda m: mask_id_number(_digits_only(m[0]).upper()), text)
    text = _PHONE_RE.sub(lambda m: (m["cc"] or "") + mask_phone(_digits_only(m["number"])), text)
    return _LONG_DIGITS_RE.sub(lambda m: mask_id_number(m[0]), text)


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
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record.msg, record.args = redact(message), None
        return True
