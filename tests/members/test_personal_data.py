"""No page, export or log line shows a full ID number, birth date or phone to a user without the permission.

The scan logs in as each kind of user without ``members.view_personal_data``, follows every link the
portal and the admin offer (from the home page, the members pages and the admin index, GET only),
downloads the roster exports, and reads everything the console log handler wrote meanwhile. Any
member's full ID number or phone anywhere fails the test. The same scan run for a user holding the
permission must find them (so the scan can fail).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import deque
from datetime import date
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from members import services
from members.models import (
    RESIDENCE_TYPES,
    Category,
    CheckIn,
    FloatingRecord,
    Member,
    MembershipTransfer,
    PostKind,
    VolunteerPost,
)
from organizations.models import Role, Unit
from tests.organizations.factories import grant_admin, user_with_role
from yiling.privacy import RedactingFilter

from .factories import make_member

pytestmark = pytest.mark.django_db

HREF = re.compile(r"""href=["']([^"'#]+)["']""")
SKIP = ("/accounts/logout", "/i18n/", "/static/", "/admin/logout", "/admin/password_change", "/admin/jsi18n")
MAX_PAGES = 400


@pytest.fixture
def district(tree):
    """Members in every state a page can show: reported in (pending, confirmed, returned), holding and
    having held a post, floating both ways, transferred, with history after an ID and phone change."""
    unit = tree["compound_a"].unit
    members = []
    for i in range(4):
        members.append(
            make_member(
                name=f"扫描党员{i}",
                home_organization=tree["compound_a"],
                residence=unit,
                category=Category.IN_SERVICE,
                employer=tree["agency"],
            )
        )
    pending = services.checkin_submit(member=members[0], unit=unit)
    confirmed = services.checkin_submit(member=members[1], unit=unit)
    services.checkin_confirm(checkin=confirmed, by=None)
    returned = services.checkin_submit(member=members[2], unit=unit)
    services.checkin_return(checkin=returned, by=None, reason="信息不全")
    post = services.volunteer_post_assign(
        member=members[1], compound=unit, post=PostKind.PARKING, started_on=date(2026, 1, 1)
    )
    services.volunteer_post_end(volunteer_post=post, ended_on=date(2026, 2, 1))
    services.volunteer_post_assign(member=members[1], compound=unit, post=PostKind.SAFETY, started_on=date(2026, 2, 2))
    services.floating_record_open(
        member=members[3], direction="outgoing", place="深圳", reason="务工", started_on=date(2025, 1, 1)
    )
    newcomer = make_member(
        name="流入党员",
        home_organization=None,
        external_organization="四川省某党支部",
        category=Category.FLOATING,
        residence=unit,
    )
    services.floating_record_open(
        member=newcomer,
        direction="incoming",
        place="成都",
        reason="随子女居住",
        started_on=date(2025, 1, 1),
        local_unit=unit,
    )
    services.member_transfer(
        member=members[3], to_organization=tree["comm_a"], transferred_on=date(2026, 3, 1), reason="调整"
    )
    # A change of ID number and phone, so the history pages have diffs to show.
    from members.idnumbers import make_id_number

    services.member_update(
        member=members[2],
        id_number=make_id_number("420506", date(1975, 3, 3), 457),
        birth_date=date(1975, 3, 3),
        gender="male",
        phone="13900000000",
    )
    assert pending.status == CheckIn.Status.PENDING
    assert VolunteerPost.objects.count() == 2 and FloatingRecord.objects.count() == 2
    assert MembershipTransfer.objects.count() == 1
    return tree


def secrets() -> set[str]:
    """Every full ID number, birth date (as pages and files write dates) and phone any member has, or
    ever had (history included). The birth date with the masked number would give the number away."""
    values = set()
    for id_number, born, phone in Member.history.values_list("id_number", "birth_date", "phone"):
        values |= {id_number, born.isoformat(), f"{born:%Y/%m/%d}", f"{born.year}年{born.month}月{born.day}日"}
        if phone:
            values.add(phone)
    return values


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if content[:2] == b"PK":  # xlsx: the text lives in the sheet XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))
    if "csv" in kind:
        return content.decode("utf-8-sig", "replace")
    return content.decode("utf-8", "replace")


def crawl(client: Client, starts: list[str]) -> dict[str, str]:
    """GET every same-site link reachable from ``starts``; returns url → text."""
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or any(url.startswith(s) for s in SKIP):
            continue
        response = client.get(url)
        if response.status_code in (301, 302):
            seen[url] = ""
            queue.append(response["Location"])
            continue
        text = body_text(response)
        seen[url] = text
        if "html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(text):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/"):
                continue
            queue.append(href)
    return seen


def export_urls() -> list[str]:
    return ["/admin/members/member/export/?format=xlsx", "/admin/members/member/export/?format=csv"]


@pytest.fixture
def console_log():
    """What the configured console handler writes during the test."""
    [console] = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    stream = io.StringIO()
    previous = console.setStream(stream)
    logging.getLogger("members").info("scan starts")
    yield stream
    console.setStream(previous)


def scan(client: Client, console_log: io.StringIO) -> tuple[dict[str, str], list[tuple[str, str]]]:
    units = [
        f"/members/units/{code}/"
        for code in Unit.objects.filter(unit_type__in=RESIDENCE_TYPES).values_list("code", flat=True)
    ]
    pages = crawl(client, ["/", "/members/", *units, "/admin/", *export_urls()])
    pages["<log>"] = console_log.getvalue()
    values = secrets()
    found = [(url, value) for url, text in pages.items() for value in values if value in text]
    return pages, found


def district_staff_without_the_permission(tree):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    grant_admin(user, Member, CheckIn, VolunteerPost, FloatingRecord, MembershipTransfer)
    user.user_permissions.remove(Permission.objects.get(codename="view_personal_data"))
    return user


@pytest.mark.parametrize("who", ["district staff", "community secretary", "compound secretary", "agency contact"])
def test_no_full_id_number_or_phone_reaches_a_user_without_the_permission(district, client, console_log, who):
    users = {
        "district staff": lambda: district_staff_without_the_permission(district),
        "community secretary": lambda: user_with_role(Role.COMMUNITY_SECRETARY, organization=district["comm_a"]),
        "compound secretary": lambda: user_with_role(Role.COMPOUND_SECRETARY, organization=district["compound_a"]),
        "agency contact": lambda: user_with_role(Role.AGENCY_CONTACT, unit=district["agency"]),
    }
    user = users[who]()
    assert not user.has_perm("members.view_personal_data")
    client.force_login(user)

    pages, found = scan(client, console_log)

    assert not found, f"full personal data shown to {who}: {found[:5]}"
    member_pages = [url for url, text in pages.items() if url.startswith("/members/") and text]
    assert len(member_pages) > 3, pages.keys()  # the scan really went through the members pages
    if who != "agency contact":
        assert any(district["compound_a"].unit.name in pages[u] for u in member_pages if "/units/" in u)
    if who == "district staff":
        assert any(url.startswith("/admin/members/member/") and "/history/" in url for url in pages)
        assert any("4205**********" in text for url, text in pages.items() if "export" in url)


def test_the_scan_finds_full_data_shown_to_a_user_with_the_permission(district, client, console_log):
    user = district_staff_without_the_permission(district)
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client.force_login(user)

    _pages, found = scan(client, console_log)
    # The full export is a POST (the changelist's export buttons); a GET, as the scan makes, is masked.
    exports = {url: body_text(client.post(url)) for url in export_urls()}

    values = secrets()
    assert all(any(value in text for value in values) for text in exports.values())
    assert {url for url, _value in found}.isdisjoint(export_urls())
    assert any(url.startswith("/admin/members/member/") and "/change/" in url for url, _value in found)
