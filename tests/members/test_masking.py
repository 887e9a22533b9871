"""What one page or export shows of a member leaves at least a thousand possible ID numbers.

The attacker of issue 9 reads a member page (or a masked roster export) and rebuilds the ID number
offline: region codes from the public list, the birth date as shown, the gender (the parity of the
17th digit), the date joined (a member was at least 18 then), and the GB 11643 check character.
``count_candidates`` counts the 18-character numbers consistent with everything shown, with the real
check-character arithmetic; the scheme of docs/SECURITY.md must leave at least 1,000 for every
member, also for an attacker who knows the region code exactly.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members import services
from members.demo import BORN, INCOMING, REGIONS, _mix
from members.idnumbers import CHECK_CHARS, WEIGHTS, make_id_number
from members.models import Category, Gender, Member
from members.roster import export_roster
from organizations.models import Role
from tests.organizations.factories import grant_admin, user_with_role
from yiling.privacy import mask_birth_date, mask_id_number

pytestmark = pytest.mark.django_db

MINIMUM = 1000
#: The public list an attacker starts from: Yichang's county codes (420521 宜昌县 is Yiling's code
#: before 2001) and the places the demo's incoming members come from.
PLAUSIBLE_REGIONS = tuple(
    sorted(
        {
            "420502", "420503", "420504", "420505", "420506", "420521", "420525", "420526", "420527",
            "420528", "420529", "420581", "420582", "420583", *REGIONS, *(region for region, *_ in INCOMING),
        }
    )
)  # fmt: skip
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2026, 12, 31)


@functools.cache
def _dates_shown_as() -> dict[str, tuple[date, ...]]:
    """Every birth date by each way a page may show it: in full, or as ``mask_birth_date`` shows it."""
    groups: dict[str, list[date]] = defaultdict(list)
    day = FIRST_DAY
    while day <= LAST_DAY:
        groups[day.isoformat()].append(day)
        groups[mask_birth_date(day)].append(day)
        day += timedelta(days=1)
    return {shown: tuple(days) for shown, days in groups.items()}


def _agrees(visible: dict[int, str], start: int, text: str) -> bool:
    return all(visible.get(start + i, char) == char for i, char in enumerate(text))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _weighted(text: str, start: int) -> int:
    return sum(int(char) * weight for char, weight in zip(text, WEIGHTS[start:], strict=False))


def count_candidates(
    *, masked_id: str, birth_shown: str, male: bool, joined_on: date, regions: Iterable[str] = PLAUSIBLE_REGIONS
) -> int:
    """The valid ID numbers consistent with a masked number, a shown birth date, gender and date joined.

    The masked number shows some characters and stars the others; a candidate agrees with every
    character shown, check character included, computed as GB 11643 computes it.
    """
    assert len(masked_id) == 18, masked_id
    visible = {i: char for i, char in enumerate(masked_id) if char != "*"}
    # Sequence digits agreeing with what is shown and with the gender, by their weighted sum mod 11.
    sequences: Counter[int] = Counter()
    for sequence in range(1000):
        digits = f"{sequence:03d}"
        if int(digits[2]) % 2 == int(male) and _agrees(visible, 14, digits):
            sequences[_weighted(digits, 14) % 11] += 1
    latest_birth = _years_before(joined_on, 18)  # the party admits from the 18th birthday
    total = 0
    for region in regions:
        if not _agrees(visible, 0, region):
            continue
        for born in _dates_shown_as().get(birth_shown, ()):
            digits = f"{born:%Y%m%d}"
            if born > latest_birth or not _agrees(visible, 6, digits):
                continue
            base = _weighted(region + digits, 0)
            total += (
                sum(n for residue, n in sequences.items() if CHECK_CHARS[(base + residue) % 11] == visible.get(17, "*"))
                if 17 in visible
                else sum(sequences.values())
            )
    return total


def demo_like_members(count: int) -> list[Member]:
    """Members spread as the demo spreads them: its regions, birth years by category, both genders."""
    categories = [Category.RETIRED, Category.IN_SERVICE, Category.FLOATING]
    incoming = [region for region, *_ in INCOMING]
    members = []
    for n in range(count):
        h = _mix(n)
        category = categories[n % 3]
        low, high = BORN[category]
        born = date(low + (h >> 4) % (high - low + 1), 1 + (h >> 10) % 12, 1 + (h >> 14) % 28)
        region = incoming[n % len(incoming)] if category == Category.FLOATING else REGIONS[(h >> 6) % len(REGIONS)]
        male = _mix(n, 1) % 10 >= 4
        joined = date(min(born.year + 19 + (h >> 12) % 20, 2024), 1 + (h >> 18) % 12, 1 + (h >> 22) % 28)
        number = make_id_number(region, born, 2 * (n % 499) + (1 if male else 2))
        members.append(
            Member(
                birth_date=born,
                id_number=number,
                gender=Gender.MALE if male else Gender.FEMALE,
                joined_on=joined,
                category=category,
            )
        )
    # The hardest cases: the shortest month, and a member who joined at 19 in his birth month.
    members.append(
        Member(birth_date=date(1955, 2, 1), id_number=make_id_number("420506", date(1955, 2, 1), 2),
               gender=Gender.FEMALE, joined_on=date(1976, 2, 1), category=Category.RETIRED)
    )  # fmt: skip
    members.append(
        Member(birth_date=date(1990, 6, 30), id_number=make_id_number("420521", date(1990, 6, 30), 1),
               gender=Gender.MALE, joined_on=date(2009, 6, 30), category=Category.IN_SERVICE)
    )  # fmt: skip
    return members


def candidates_for(
    member: Member, *, masked_id: str, birth_shown: str, regions: Iterable[str] = PLAUSIBLE_REGIONS
) -> int:
    return count_candidates(
        masked_id=masked_id,
        birth_shown=birth_shown,
        male=member.gender == Gender.MALE,
        joined_on=member.joined_on,
        regions=regions,
    )


# --- the arithmetic --------------------------------------------------------------------------------


def test_the_count_includes_the_real_number_and_drops_what_the_page_rules_out():
    born = date(1980, 5, 17)
    number = make_id_number("420506", born, 123)
    shown = {"birth_shown": born.isoformat(), "male": True, "joined_on": date(2005, 7, 1)}

    assert count_candidates(masked_id=number, **shown) == 1  # everything shown: only itself
    assert count_candidates(masked_id=number[:17] + "*", **shown) == 1  # the check character follows
    # Sequence hidden: the 500 odd sequences of that day and region.
    assert count_candidates(masked_id=number[:14] + "****", regions=["420506"], **shown) == 500
    # A wrong gender, or a date joined before the 18th birthday, rules the real number out.
    assert count_candidates(masked_id=number, **{**shown, "male": False}) == 0
    assert count_candidates(masked_id=number, **{**shown, "joined_on": date(1998, 5, 16)}) == 0


def test_the_old_mask_with_the_full_birth_date_gives_most_numbers_away():
    """``4205**********0215`` beside 出生日期: what issue 9 found, so the count can fail."""
    counts = [
        candidates_for(m, masked_id=m.id_number[:4] + "*" * 10 + m.id_number[-4:], birth_shown=m.birth_date.isoformat())
        for m in demo_like_members(300)
    ]
    assert max(counts) < 10
    assert sum(1 for c in counts if c == 1) > len(counts) / 4


def test_what_the_scheme_shows_leaves_at_least_a_thousand_numbers_for_every_demo_like_member():
    members = demo_like_members(600)

    plausible = [candidates_for(m, masked_id=m.masked_id_number, birth_shown=m.masked_birth_date) for m in members]
    # Even for an attacker who knows the region code (most members were born in Yiling).
    known_region = [
        candidates_for(m, masked_id=m.masked_id_number, birth_shown=m.masked_birth_date, regions=[m.id_number[:6]])
        for m in members
    ]

    assert min(known_region) >= MINIMUM, min(known_region)
    assert min(known_region) == 28 * 500  # the shortest month, and the 500 sequences of one gender
    assert min(plausible) >= min(known_region)


# --- what the pages and the export show --------------------------------------------------------------


def _shown_on_page(text: str) -> tuple[str, str]:
    found = {key: re.search(rf'<dd class="code" id="{key}">([^<]*)</dd>', text) for key in ("id-number", "birth-date")}
    assert all(found.values()), "the member page no longer shows ID number and birth date where this test reads them"
    # The page writes the month in Chinese (1959年3月); the arithmetic below reads it as 1959-03.
    month = re.fullmatch(r"([0-9]{4})年([0-9]{1,2})月", found["birth-date"][1].strip())
    assert month, "the member page no longer shows the birth date as year and month"
    return found["id-number"][1].strip(), f"{month[1]}-{int(month[2]):02d}"


@pytest.fixture
def members(tree):
    """Demo-like members in compound A, written through the services."""
    unit = tree["compound_a"].unit
    written = []
    for i, m in enumerate(demo_like_members(6)[-4:]):
        written.append(
            services.member_create(
                name=f"党员{i}",
                gender=m.gender,
                birth_date=m.birth_date,
                id_number=m.id_number,
                phone=f"1390000000{i}",
                joined_on=m.joined_on,
                full_member_on=m.joined_on + timedelta(days=366),
                category=m.category,
                home_organization=tree["compound_a"],
                residence=unit,
            )
        )
    return written


def _full_birth_dates(member: Member) -> list[str]:
    born = member.birth_date
    return [born.isoformat(), f"{born:%Y/%m/%d}", f"{born.year}年{born.month}月{born.day}日", f"{born:%Y%m%d}"]


@pytest.mark.parametrize("who", ["compound secretary", "district staff with the permission, before revealing"])
def test_the_member_page_leaves_a_thousand_candidates(tree, members, client, who):
    if who == "compound secretary":
        user = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    else:
        user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
        user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client.force_login(user)

    for member in members:
        text = html.unescape(client.get(member.get_absolute_url()).content.decode())
        masked_id, birth_shown = _shown_on_page(text)

        assert (masked_id, birth_shown) == (mask_id_number(member.id_number), mask_birth_date(member.birth_date))
        assert not any(full in text for full in _full_birth_dates(member))
        joined = member.joined_on
        assert f"{joined.year}年{joined.month}月{joined.day}日" in text  # shown, and counted below
        assert (
            candidates_for(member, masked_id=masked_id, birth_shown=birth_shown, regions=[member.id_number[:6]])
            >= MINIMUM
        )


def test_revealing_shows_the_full_birth_date(tree, members, client):
    user = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client.force_login(user)
    member = members[0]

    text = client.post(reverse("members:member-reveal", args=[member.pk])).content.decode()

    born = member.birth_date
    assert f'<dd class="code" id="birth-date">{born.year}年{born.month}月{born.day}日</dd>' in text
    assert f'<dd class="code" id="id-number">{member.id_number}</dd>' in text


def test_the_masked_export_leaves_a_thousand_candidates(members):
    rows = list(
        csv.DictReader(io.StringIO(export_roster(Member.objects.all(), fmt="csv", full=False).decode("utf-8-sig")))
    )
    by_name = {row["姓名"]: row for row in rows}

    for member in members:
        row = by_name[member.name]
        assert (row["公民身份号码"], row["出生日期"]) == (member.masked_id_number, member.masked_birth_date)
        assert (
            candidates_for(
                member, masked_id=row["公民身份号码"], birth_shown=row["出生日期"], regions=[member.id_number[:6]]
            )
            >= MINIMUM
        )
    full = {row["姓名"]: row for row in csv.DictReader(io.StringIO(
        export_roster(Member.objects.all(), fmt="csv", full=True).decode("utf-8-sig")))}  # fmt: skip
    assert full[members[0].name]["出生日期"] == members[0].birth_date.isoformat()


def _admin_user(tree, *, full: bool):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    grant_admin(user, Member)
    if not full:
        user.user_permissions.remove(Permission.objects.get(codename="view_personal_data"))
    return user


def test_the_admin_change_form_and_history_mask_the_birth_date(tree, members, client):
    member = members[0]
    services.member_update(
        member=member,
        birth_date=date(1955, 2, 3),
        id_number=make_id_number("420506", date(1955, 2, 3), 4),
        gender=Gender.FEMALE,
    )
    client.force_login(_admin_user(tree, full=False))

    change = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    history = client.get(reverse("admin:members_member_history", args=[member.pk])).content.decode()
    oldest = member.history.last()
    old_version = client.get(
        reverse("admin:members_member_simple_history", args=[member.pk, oldest.history_id])
    ).content.decode()

    assert "1955-02" in change and 'name="birth_date"' not in change
    assert "1955-02" in history
    for page in (change, history, old_version):
        for born in (date(1955, 2, 1), date(1955, 2, 3)):
            assert not any(full in page for full in _full_birth_dates(Member(birth_date=born)))


def test_the_admin_change_form_shows_the_birth_date_to_a_user_with_the_permission(tree, members, client):
    client.force_login(_admin_user(tree, full=True))

    change = client.get(reverse("admin:members_member_change", args=[members[0].pk])).content.decode()

    assert f'name="birth_date" value="{members[0].birth_date:%Y/%m/%d}"' in change


def test_a_user_without_the_permission_can_still_save_a_member_whose_birth_date_is_masked(tree, members, client):
    client.force_login(_admin_user(tree, full=False))
    member = members[0]
    change_url = reverse("admin:members_member_change", args=[member.pk])

    response = client.post(
        change_url,
        {
            "name": "新名字",
            "gender": member.gender,
            "ethnicity": member.ethnicity,
            "birth_date": "2000-01-01",  # not on the form: ignored
            "education": "",
            "joined_on": member.joined_on.isoformat(),
            "full_member_on": member.full_member_on.isoformat(),
            "status": member.status,
            "category": member.category,
            "home_organization": str(member.home_organization_id),
            "external_organization": "",
            "employer": "",
            "residence": str(member.residence_id),
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Member.objects.get(pk=member.pk)
    assert (saved.name, saved.birth_date) == ("新名字", member.birth_date)
