"""No string of Django or of an installed library reaches a user in English: every entry of their
catalogues (Django's, the admin's and its JavaScript's, django-import-export's, …) comes out in
Chinese, through their own catalogue or the portal's (``yiling/catalogue.py``), except the few
``LEFT_IN_ENGLISH`` names with the reason. A library upgrade that adds an untranslated string fails
here."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from yiling.catalogue import LEFT_IN_ENGLISH

ENTRY = re.compile(
    r'^(?:msgctxt (?P<ctx>(?:".*"\n)+))?msgid (?P<id>(?:".*"\n)+)(?:msgid_plural (?P<plural>(?:".*"\n)+))?', re.M
)


def text_of(quoted: str | None) -> str | None:
    """The text of a .po entry's quoted lines."""
    if quoted is None:
        return None
    return "".join(ast.literal_eval(line) for line in quoted.splitlines())


def entries(po: Path) -> list[tuple[str | None, str, str | None]]:
    """Every (context, msgid, plural) of a catalogue, obsolete entries left out."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = "".join(line + "\n" for line in block.splitlines() if not line.startswith("#"))
        match = ENTRY.search(lines)
        if match and text_of(match["id"]):
            found.append((text_of(match["ctx"]), text_of(match["id"]), text_of(match["plural"])))
    return found


def catalogues(domain: str) -> list[Path]:
    """Each installed package's list of its strings: its English catalogue, else its Chinese one."""
    bases = [Path(django.__file__).parent / "conf" / "locale"]
    bases += [Path(app.path) / "locale" for app in apps.get_app_configs()]
    found = []
    for base in bases:
        if base.resolve() in {Path(p).resolve() for p in settings.LOCALE_PATHS}:
            continue
        for language in ("en", "zh_Hans"):
            po = base / language / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                found.append(po)
                break
    return found


PLACEHOLDER = re.compile(r"%\(\w+\)\w|%\w|\{\w*\}")


def in_english(translated: str, msgid: str) -> bool:
    """Whether a string with English words in it (not only "%s KB", "p.m.") came out untranslated."""
    words = re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", msgid))
    return bool(words) and translated == msgid and msgid not in LEFT_IN_ENGLISH


def test_every_library_string_comes_out_in_chinese():
    left = []
    with translation.override("zh-hans"):
        for po in catalogues("django"):
            for ctx, msgid, plural in entries(po):
                if plural is None:
                    said = translation.pgettext(ctx, msgid) if ctx else translation.gettext(msgid)
                else:
                    said = (
                        translation.npgettext(ctx, msgid, plural, 1) if ctx else translation.ngettext(msgid, plural, 1)
                    )
                if in_english(said, msgid):
                    left.append(f"{po}: {msgid}")
    assert len(catalogues("django")) >= 6
    assert not left, "\n".join(left)


def test_the_admins_javascript_strings_come_out_in_chinese(admin_client):
    script = admin_client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S)[1])
    admin_js = Path(django.__file__).parent / "contrib" / "admin" / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"

    left = []
    for ctx, msgid, _plural in entries(admin_js):
        key = f"{ctx}\x04{msgid}" if ctx else msgid
        said = catalog.get(key)
        said = said[0] if isinstance(said, list) else said
        if said is None or in_english(said, msgid):
            left.append(msgid)
    assert len(entries(admin_js)) > 40
    assert not left, "\n".join(left)


def test_the_strings_left_in_english_are_still_the_libraries():
    """Each entry of LEFT_IN_ENGLISH is still in a catalogue, so the list does not outlive its reason."""
    known = {msgid for po in catalogues("django") for _ctx, msgid, _plural in entries(po)}
    assert set(LEFT_IN_ENGLISH) <= known, set(LEFT_IN_ENGLISH) - known


@pytest.mark.parametrize(("password", "refusal"), [("Yl-26", "密码太短：至少要有 8 个字符。")])
def test_the_minimum_length_left_in_english_by_django_is_refused_in_chinese(password, refusal):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        password_validation.validate_password(password)
    assert refused.value.messages == [refusal]
