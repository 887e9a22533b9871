"""On a phone (390×844), as every demo role: no portal page is wider than the screen; ending a post
asks first and offers the undo; a refused form opens at itself with its message and what was typed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.urls import get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from playwright.sync_api import expect

from members import services as member_services
from members.models import CheckIn, Member, PostKind, VolunteerPost
from organizations import services
from organizations.models import CommitteeSeat, Expense, FundAllocation, Role, Unit, UnitType
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, user_with_role
from tests.organizations.test_governance_views import PNG
from tests.yiling.seeding import FAST_HASHERS, demo_loaded
from yiling.demo import DEMO_PASSWORD

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
ROLES = ("district", "street", "community", "compound", "agency", "merchant", "market")
#: The portal's page namespaces; the admin has its own layout and is not a phone page.
PORTAL_NAMESPACES = ("members", "organizations", "notices", "merchants", "board")
# --- dashboards (issue 14) ---
PORTAL_NAMESPACES += ("dashboards",)
# --- end of dashboards ---
#: POST-only by design: their GET would be a way around the tap that records who saw the data.
POST_ONLY = {"members:member-reveal"}
#: Pages of one kind visited per role while following links (the walk checks layouts, not rows).
PER_SHAPE = 2
#: A file, not a page.
DOWNLOADS = {"organizations:expense-receipt", "notices:report-evidence", "board:qr"}

# --- liaisons: its pages join the walk --------------------------------------------------------------
PORTAL_NAMESPACES = (*PORTAL_NAMESPACES, "liaisons")
DOWNLOADS = DOWNLOADS | {"liaisons:step-attachment"}


def liaisons_route_args(compound: Unit) -> dict[str, list]:
    """Demo rows of 平湖国际 (paired with 区委办, the demo agency) for the liaisons routes."""
    from liaisons.models import Deliberation, Demand, DemandStep, Liaison

    demand = Demand.objects.filter(compound=compound, state="resolved").order_by("pk").first()
    return {
        "liaisons:contribution-record": [Liaison.objects.get(compound=compound, ended_on__isnull=True).pk],
        "liaisons:demand-detail": [demand.pk],
        "liaisons:demand-move": [demand.pk, "confirmed"],
        "liaisons:step-attachment": [DemandStep.objects.filter(demand=demand).order_by("pk").first().pk],
        "liaisons:deliberation-detail": [Deliberation.objects.filter(compound=compound).order_by("pk").first().pk],
    }


# --- end liaisons -------------------------------------------------------------------------------------

# --- alliances (issue 13): the park secretary's pages ------------------------------------------------
PORTAL_NAMESPACES = (*PORTAL_NAMESPACES, "alliances")
ROLES = (*ROLES, "park")
POST_ONLY = POST_ONLY | {
    "alliances:meeting-record",
    "alliances:turns-swap",
    "alliances:member-add",
    "alliances:own-activity-record",
    "alliances:visit-log",
    "alliances:activity-plan",
    "alliances:activity-held",
    "alliances:resource-book",
    "alliances:lead-set",
}


def alliance_args() -> dict[str, list]:
    from alliances.models import AllianceMembership, InstructorAssignment, JointMeeting

    code = "AL-KFQ"
    return {
        **{
            name: [code]
            for name in (
                "alliances:alliance-detail",
                "alliances:meeting-record",
                "alliances:turns-swap",
                "alliances:member-add",
                "alliances:own-activity-record",
                "alliances:activity-plan",
                "alliances:activity-held",
                "alliances:resource-book",
                "alliances:lead-set",
            )
        },
        "alliances:meeting-minutes": [JointMeeting.objects.filter(alliance__code=code).order_by("pk").first().pk],
        "alliances:member-end": [AllianceMembership.objects.filter(alliance__code=code).order_by("-turn").first().pk],
        "alliances:visit-log": [InstructorAssignment.objects.order_by("pk").first().pk],
    }


# --- end alliances -------------------------------------------------------------------------------------

WIDTH = "document.scrollingElement.scrollWidth"
OPEN_ALL = "document.querySelectorAll('details').forEach(d => { d.open = true; })"
#: Every folded part opened, then the page's width and the links of its header and main part.
OPEN_AND_READ = f"""() => {{
    {OPEN_ALL};
    return [
        {WIDTH},
        [...document.querySelectorAll('header a[href], main a[href]')].map(a => a.getAttribute('href')),
    ];
}}"""


def route_names() -> set[str]:
    """Every named portal route, from the URLconf."""
    names = set()
    resolver = get_resolver()
    for namespace in PORTAL_NAMESPACES:
        _, sub = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{n}" for n in sub.reverse_dict if isinstance(n, str)}
    return names


def route_urls() -> dict[str, str]:
    """One address for every portal route, filled with demo rows."""
    compound = Unit.objects.get(code="CP-013")
    community = compound.parent
    checkin = CheckIn.objects.order_by("pk").first()
    post = VolunteerPost.objects.active().order_by("pk").first()
    member = Member.objects.filter(residence=compound).order_by("pk").first()
    expense = Expense.objects.exclude(receipt="").order_by("pk").first() or Expense.objects.order_by("pk").first()
    seat = CommitteeSeat.objects.filter(committee__compound=compound, ended_on=None).order_by("pk").first()
    args = {
        "members:member-detail": [member.pk],
        "members:member-reveal": [member.pk],
        "members:member-call": [member.pk],
        "members:unit-detail": [community.code],
        "members:checkin-submit": [compound.code],
        "members:post-assign": [compound.code],
        "members:checkin-confirm": [checkin.pk],
        "members:checkin-return": [checkin.pk],
        "members:post-end": [post.pk],
        "members:post-resume": [post.pk],
        "organizations:organization-detail": [compound.organization.code],
        "organizations:expense-receipt": [expense.pk],
        "organizations:seat-end": [compound.code, seat.pk],
        # --- notices: the demo compound secretary's first notice, this year's programme and a task
        **_notice_args(),
        # --- end notices
        **liaisons_route_args(compound),  # liaisons
        **alliance_args(),
        # --- dashboards (issue 14): a node of the drill-down is an organization ---
        "dashboards:node": [compound.organization.code],
        # --- end of dashboards ---
        # --- merchants (issue 11) ---
        **_merchant_route_args(),
    }
    urls = {}
    for name in route_names():
        if name in args:
            urls[name] = reverse(name, args=args[name])
        elif "<" in _pattern(name):
            urls[name] = reverse(name, args=[compound.code])
        else:
            urls[name] = reverse(name)
    return urls


def _notice_args() -> dict[str, list[int]]:
    from yiling.notices.models import Notice, ProgressReport, Task

    notice = Notice.objects.filter(recipient__username="compound").order_by("pk").first()
    task = Task.objects.order_by("pk").first()
    return {
        "notices:report-evidence": [ProgressReport.objects.order_by("pk").first().pk],
        "notices:notice-open": [notice.pk],
        "notices:programme-detail": [task.programme_id],
        "notices:task-detail": [task.pk],
    }


def _merchant_route_args() -> dict[str, list]:
    """The demo rows of the merchants' pages: the demo merchant's shop, its feedback and pledges."""
    from merchants.models import Feedback, Merchant, Pledge

    merchant = Merchant.objects.get(shop__code="SH-CJSC-01")
    pending = Feedback.objects.get(receipt="DEMO000003")
    complaint = Feedback.objects.get(receipt="DEMO000001")
    proposal = Pledge.objects.filter(status=Pledge.Status.PROPOSED).order_by("pk").first()
    args: dict[str, list] = {
        "merchants:shop": [merchant.shop.code],
        "merchants:pledge-propose": [merchant.shop.code],
        "merchants:feedback-reply": [complaint.pk],
        "merchants:feedback-publish": [pending.pk],
        "merchants:feedback-reject": [pending.pk],
        "merchants:complaint-close": [complaint.pk],
        "merchants:complaint-take": [complaint.pk],
        "merchants:contact-phone": [complaint.pk],
        "merchants:pledge-approve": [proposal.pk],
        "merchants:pledge-return": [proposal.pk],
    }
    for name in ("board:board", "board:feedback", "board:receipt", "board:qr", "board:plaque"):
        args[name] = [merchant.board_code]
    return args


def _pattern(name: str) -> str:
    namespace, short = name.split(":")
    _, sub = get_resolver().namespace_dict[namespace]
    return str(sub.reverse_dict.getlist(short)[0][1])


def name_of(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name if match.namespace in PORTAL_NAMESPACES or match.view_name == "portal-home" else None


#: A code's kind: its letter prefixes and how many parts it has (ORG-YL-XXT a street, ORG-YL-XXT-YP a
#: community, ORG-EN-HBLS an enterprise branch, CP-013 a compound), so each kind of node is a shape.
CODE = re.compile(r"[A-Z]+(?:-[A-Z0-9]+)+")


def kind_of(value: object) -> str:
    text = str(value)
    if not CODE.fullmatch(text):
        return ""  # a row number or a board's random code: every row of a route looks alike
    parts = text.split("-")
    return "-".join(re.sub(r"\d+", "N", part) for part in parts[:2]) + f"/{len(parts)}"


def shape_of(path: str) -> tuple:
    """The kind of page an address opens: its route, the kinds of node it names, and whether it
    carries a query. Row numbers and random board codes do not make a new kind."""
    parts = urlsplit(path)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return (parts.path,)
    kinds = tuple(kind_of(v) for v in (*match.args, *match.kwargs.values()))
    return (match.view_name, kinds, bool(parts.query))


def test_no_portal_page_is_wider_than_a_phone_for_any_demo_role(live_server, browser, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DEBUG = True
    demo_loaded()
    # The pages as in production: a page out of reach is the portal's own 404, not Django's debug page.
    settings.DEBUG = False
    urls = route_urls()
    assert set(urls) == route_names() and len(urls) >= 20
    too_wide: list[tuple[str, str, int]] = []
    failed: list[tuple[str, str, int]] = []
    visited: set[str] = set()
    for role in ROLES:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", role)
        page.fill("#id_password", DEMO_PASSWORD)
        page.locator("form [type=submit]").last.click()
        page.wait_for_load_state()
        assert page.locator("header nav").inner_text().count("退出") == 1, role
        # The routes of the URLconf first, then every page they link to.
        queue = ["/", *[url for name, url in sorted(urls.items()) if name not in POST_ONLY | DOWNLOADS]]
        seen: set[str] = set()
        shapes: Counter[tuple] = Counter()
        while queue:
            path = queue.pop(0)
            shape = shape_of(path)
            if path in seen or shapes[shape] >= PER_SHAPE:
                continue
            seen.add(path)
            shapes[shape] += 1
            response = page.goto(f"{live_server.url}{path}")
            status = response.status if response else 0
            if status >= 405 or status == 0:
                failed.append((role, path, status))
                continue
            if status == 200:
                if name := name_of(page.url.removeprefix(live_server.url)):
                    visited.add(name)
                if name := name_of(path):
                    visited.add(name)
            # Every folded part open: a long option or table inside must not widen the page either.
            # One round trip: open the folds, then read the width and the links.
            width, hrefs = page.evaluate(OPEN_AND_READ)
            if width > PHONE["width"]:
                too_wide.append((role, path, width))
            for href in hrefs:
                target = href.split("#")[0]
                if target.startswith("/") and name_of(target) and name_of(target) not in DOWNLOADS:
                    if "format=" not in target and target not in seen:
                        queue.append(target)
        context.close()
    assert failed == []
    assert too_wide == []
    # Every page of the URLconf was seen by some role (the POST-only reveal and the file aside).
    assert route_names() - POST_ONLY - DOWNLOADS - visited == set()


@pytest.fixture
def compound_with_a_post():
    tree = district_tree()
    compound = tree["compound_a"].unit
    volunteer = make_member(name="李博", home_organization=tree["compound_a"], residence=compound)
    for i in range(30):
        make_member(name=f"住户{i:02d}", home_organization=tree["compound_a"], residence=compound)
    holding = member_services.volunteer_post_assign(
        member=volunteer, compound=compound, post=PostKind.PARKING, started_on=date(2025, 3, 1)
    )
    user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"], username="compound")
    return compound, volunteer, holding


def test_ending_a_post_asks_first_and_offers_the_undo(live_server, page, compound_with_a_post):
    compound, volunteer, holding = compound_with_a_post
    page.set_viewport_size(PHONE)
    log_in(page, f"{live_server.url}/members/units/{compound.code}/", "compound")
    # The posts come first on a phone: the parking post is on the first screen.
    parking = page.locator(f"li.post[data-post='{PostKind.PARKING}']")
    assert parking.bounding_box()["y"] < PHONE["height"] * 1.5
    parking.locator("a.end").click()
    page.wait_for_load_state()

    # Asked first, told what happens; nothing has ended yet.
    assert page.locator("h1").inner_text() == "结束李博的停车管理员岗位？"
    assert "不再担任" in page.locator("p.consequence").inner_text()
    holding.refresh_from_db()
    assert holding.ended_on is None
    assert page.evaluate(WIDTH) <= PHONE["width"]
    page.locator("form.confirm-action button[type=submit]").click()
    page.wait_for_load_state()

    message = page.locator("ul.messages li.success")
    assert message.inner_text().startswith("李博已不再担任停车管理员。")
    # The page opens at the posts, and the message about the post is there, on the screen.
    assert page.url.endswith("#posts")
    expect(message).to_be_in_viewport()
    holding.refresh_from_db()
    assert holding.ended_on == timezone.localdate()

    # The way back: the undo asks too, then gives the post back as it was, from its first day.
    message.locator("a.undo").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "撤销结束李博的停车管理员岗位？"
    assert "任职仍从2025年3月1日算起" in page.locator("p.consequence").inner_text()
    page.locator("form.confirm-action button[type=submit]").click()
    page.wait_for_load_state()
    resumed = VolunteerPost.objects.active().get(member=volunteer)
    assert (resumed.pk, resumed.post, resumed.started_on) == (holding.pk, PostKind.PARKING, date(2025, 3, 1))
    assert "李博继续担任停车管理员，任职自2025年3月1日起。" in page.locator("ul.messages").inner_text()


def test_choosing_a_member_from_many_is_typing_a_name(live_server, page, compound_with_a_post):
    compound, _, _ = compound_with_a_post
    page.set_viewport_size(PHONE)
    log_in(page, f"{live_server.url}/members/units/{compound.code}/", "compound")
    safety = page.locator(f"li.post[data-post='{PostKind.SAFETY}']")
    select = safety.locator("select[name=member]")
    assert select.locator("option").count() == 1 + 30  # the prompt and everyone without a post
    safety.locator("input.type-to-find").fill("住户07")
    assert select.locator("option").all_inner_texts()[1:] == ["住户07"]
    assert select.input_value() != ""  # a single match is chosen
    safety.locator("form.assign button").click()
    page.wait_for_load_state()
    assert VolunteerPost.objects.active().get(post=PostKind.SAFETY).member.name == "住户07"


def test_finding_a_resident_by_name_leaves_only_the_matching_rows_on_a_phone(live_server, page, compound_with_a_post):
    compound, _, _ = compound_with_a_post
    page.set_viewport_size(PHONE)
    log_in(page, f"{live_server.url}/members/units/{compound.code}/", "compound")
    page.locator("details.residents-box summary").click()
    rows = page.locator("table.residents tbody tr")
    assert rows.count() == 31
    tall = page.evaluate("document.documentElement.scrollHeight")

    page.locator("#residents-filter").fill("住户07")

    shown = [row.inner_text() for row in rows.all() if row.is_visible()]
    assert len(shown) == 1 and "住户07" in shown[0]
    assert page.evaluate("document.documentElement.scrollHeight") < tall


def test_a_refused_form_opens_at_itself_with_what_was_typed(live_server, page):
    tree = district_tree()
    today = timezone.localdate()
    services.allocations_grant(year=today.year, granted_on=today.replace(month=1, day=1))
    fund = FundAllocation.objects.get(organization=tree["compound_a"], year=today.year)
    compound = tree["compound_a"].unit
    assert compound.unit_type == UnitType.COMPOUND
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], username="community")
    page.set_viewport_size(PHONE)
    log_in(page, f"{live_server.url}/organizations/compounds/{compound.code}/", "community")

    page.click("details.expense summary")
    form = page.locator("form.expense")
    form.locator("select[name=allocation]").select_option(str(fund.pk))
    form.locator("input[name=amount]").fill("5000")
    form.locator("input[name=spent_on]").fill(today.isoformat())
    form.locator("input[name=purpose]").fill("超支的采购")
    form.locator("input[name=receipt]").set_input_files({"name": "发票.png", "mimeType": "image/png", "buffer": PNG})
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    # The address ends at the form, so a reload (GET) opens the page there instead of a 405.
    assert page.url.endswith("#form-expense")
    box = page.locator("#form-expense")
    assert box.get_attribute("open") is not None
    notice = box.locator("p.form-errors")
    assert "未保存" in notice.inner_text() and "重新选择文件" in notice.inner_text()
    # The message and the wrong field are on the screen, the cursor in it, what was typed kept.
    assert page.evaluate(WIDTH) <= PHONE["width"]
    field = box.locator(".field.invalid").first
    top = field.bounding_box()["y"]
    assert 0 <= top < PHONE["height"]
    assert "余额：仅剩" in field.inner_text()
    assert page.evaluate("document.activeElement.name") == "amount"
    assert box.locator("input[name=purpose]").input_value() == "超支的采购"
    assert box.locator("select[name=allocation]").input_value() == str(fund.pk)
    # A choice is as easy to tap as a typed field beside it.
    typed = box.locator("input[name=amount]").bounding_box()["height"]
    assert box.locator("select[name=allocation]").bounding_box()["height"] >= typed - 2 >= 30
    assert not Expense.objects.exists()

    # The address opened again (typed, shared, or from the history) is the page at the form, not a 405.
    response = page.goto(page.url.split("#")[0])
    assert response.status == 200
    assert page.locator("h1").inner_text() == compound.name
    assert page.url.endswith(f"/organizations/compounds/{compound.code}/#form-expense")


def test_a_shape_is_a_route_and_the_kind_of_node_it_names():
    # Rows of one route and boards (random codes) are one shape; each kind of node is its own.
    assert shape_of("/members/3/") == shape_of("/members/492/")
    assert shape_of("/board/xINUEaJC/") == shape_of("/board/tPJm3rea/")
    assert shape_of("/organizations/ORG-CP-013/") == shape_of("/organizations/ORG-CP-057/")
    assert shape_of("/organizations/ORG-EN-HBLS/") == shape_of("/organizations/ORG-EN-MSYS/")
    kinds = {shape_of(f"/organizations/{code}/") for code in ("ORG-YL", "ORG-YL-XXT", "ORG-YL-XXT-YP", "ORG-EN-HBLS")}
    assert len(kinds) == 4
    assert shape_of("/liaisons/problems/") != shape_of("/liaisons/problems/?state=resolved")
