"""In a real browser (zh-CN) on the demo district: district staff see the case's figures and a drawn
chart and drill into 小溪塔街道; a compound secretary on a phone (390×844) sees the report-ins waiting and
confirms one from the to-do list. No page asks anything of another server, logs a console error, or
has a serious or critical accessibility violation (axe-core, vendored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.yiling.seeding import FAST_HASHERS, demo_loaded
from yiling.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PHONE = {"width": 390, "height": 844}
#: The case's headline figures (issue 14), as the district dashboard writes them.
CASE_FIGURES = {
    "demonstration_business_districts": "5",
    "alliances": "2",
    "compound_party_organizations": "56",
    "owners_committees": "66",
    "venues": "52",
    "enterprise_branches": "38",
    "enterprise_branch_members": "491",
    "merchants_displaying": "358",
    "agencies": "67",
    "compounds": "70",
    "demonstration_sites": "15",
    "large_enterprises_with_instructor": "44",
    "alliance_member_enterprises": "22",
}


class Watch:
    """What a page does that it should not: ask another server, log an error."""

    def __init__(self, page, origin: str) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: None if r.url.startswith((origin, "data:")) else self.outside.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)


def log_in(page, origin: str, username: str) -> None:
    page.goto(f"{origin}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()


def serious_violations(page) -> list[tuple[str, str, list[str]]]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"][0] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def value(page, name: str) -> str:
    return page.locator(f"main [data-figure='{name}'] dd.value").first.inner_text()


def test_district_dashboard_drill_down_and_a_secretary_confirming_a_report_in(live_server, browser, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DEBUG = True
    demo_loaded()
    settings.DEBUG = False
    origin = live_server.url

    # District staff: the figures of the case, a drawn chart, accessible markup.
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    watch = Watch(page, origin)
    log_in(page, origin, "district")
    page.click("header nav >> text=数据看板")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "全区数据看板"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # Every headline figure of the case, as the case gives it, now that every app has landed.
    figures = {n: value(page, n) for n in CASE_FIGURES}
    assert figures == CASE_FIGURES
    rate = page.locator("main [data-figure='cross_appointment_rate'] dd.parts").inner_text()
    assert rate.startswith("= ") and "交叉任职席位 / 业委会席位" in rate
    page.wait_for_selector("canvas[data-chart='chart-headline'][data-drawn='true']")
    drawn = page.evaluate(
        "() => { const c = document.querySelector(\"canvas[data-chart='chart-headline']\");"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let ink = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) { ink++; } } return ink; }"
    )
    assert drawn > 1000, "the headline chart is blank"
    assert page.locator("canvas[data-drawn='true']").count() == page.locator("canvas[data-chart]").count() >= 3
    assert serious_violations(page) == []
    # Printed on A4: the figures and tables, without the header's links, the forms and the buttons.
    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible()
    assert not page.locator("form.rank").is_visible()
    assert page.locator("table[data-table='level1'] th").first.is_visible()
    assert page.locator("main [data-figure='compounds']").is_visible()
    assert len(page.pdf(format="A4")) > 10_000
    page.emulate_media(media="screen")

    # Drill into 小溪塔街道: its own figures, the breadcrumb back to the district.
    page.locator("table[data-table='level0'] a", has_text="小溪塔街道党工委").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "小溪塔街道党工委"
    assert value(page, "compounds") == "56"
    assert value(page, "compound_party_organizations") == "46"
    assert page.locator("nav.breadcrumb a").first.get_attribute("href") == "/dashboard/"
    assert page.locator("table[data-table='level1'] tr[data-node]").count() == 7
    assert serious_violations(page) == []
    context.close()

    # A compound secretary on a phone: the to-do list first; a report-in confirmed from it.
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    page = context.new_page()
    phone_watch = Watch(page, origin)
    log_in(page, origin, "compound")
    todo = page.locator("li[data-todo='checkins_to_confirm']")
    assert todo.locator("[data-count]").inner_text() == "6"
    first_box = page.locator("#todo").bounding_box()
    assert first_box["y"] < page.locator("[data-figure]").first.bounding_box()["y"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert serious_violations(page) == []
    todo.locator("a", has_text="平湖国际").click()
    page.wait_for_load_state()
    assert page.url.endswith("#pending")
    rows = page.locator("table.pending tr[data-checkin]")
    assert rows.count() == 6
    rows.first.locator("form.confirm button").click()
    page.wait_for_load_state()
    assert page.locator("ul.messages li.success").count() == 1
    assert page.locator("table.pending tr[data-checkin]").count() == 5
    page.click("header nav >> text=首页")
    page.wait_for_load_state()
    assert page.locator("li[data-todo='checkins_to_confirm'] [data-count]").inner_text() == "5"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    context.close()

    assert watch.outside == [] and phone_watch.outside == []
    assert watch.errors == [] and phone_watch.errors == []
