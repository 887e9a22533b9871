"""In a real browser, under the Content-Security-Policy: the portal, the Django admin (its date picker
and related-object popups) and the django-import-export pages run without a single CSP violation."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from members.models import Member
from organizations import services
from organizations.models import Role
from tests.members.factories import id_number, make_member
from tests.organizations.factories import UserFactory, district_tree, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Violations:
    """Every console message and page error of every page of a browser context that is about the CSP."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        self.errors: list[str] = []
        self.watch(page)
        page.context.on("page", self.watch)  # popups too

    def watch(self, page) -> None:
        page.on("console", lambda message: self.messages.append(f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    @property
    def csp(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Refused to" in m]


def roster_upload(path, tree) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份号码", "入党日期", "人员类别", "所在党支部"])
    sheet.append(["赵新", id_number(), "2010-07-01", "在职党员", tree["compound_a"].code])
    workbook.save(path)


def test_portal_and_admin_run_without_a_csp_violation(live_server, page, tmp_path):
    tree = district_tree()
    member = make_member(name="钱红", home_organization=tree["compound_a"], residence=tree["compound_a"].unit)
    services.property_company_create(code="PC-01", name="宜昌红苑物业", is_red=True)
    UserFactory(username="district", is_staff=True, is_superuser=True)
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], username="secretary")
    violations = Violations(page)
    base = live_server.url

    response = page.goto(f"{base}/admin/login/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy

    log_in(page, f"{base}/admin/login/", "district")
    # The portal: home, the organization tree (nested, indented by the style sheet), a member's page.
    for url in ("/", f"/members/{member.pk}/", "/members/?q=钱红", "/organizations/"):
        assert page.goto(f"{base}{url}").status == 200, url
    page.evaluate("document.querySelectorAll('ul.tree details').forEach(d => { d.open = true; })")
    indents = page.locator("ul.tree li.node").evaluate_all(
        "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().left))"
    )
    assert len(indents) == 8 and len(set(indents)) == 4  # four levels below the district committee
    # The admin: index, changelists with filters and search, the organization tree's indentation.
    for url in (
        "/admin/",
        "/admin/organizations/organization/?kind__exact=committee",
        "/admin/organizations/organization/",
        "/admin/members/member/?category__exact=retired&q=钱红",
        f"/admin/organizations/organization/{tree['comm_a'].pk}/history/",
    ):
        assert page.goto(f"{base}{url}").status == 200, url
    # A change form: the date picker's calendar opens and puts a date in the field.
    page.goto(f"{base}/admin/members/member/{member.pk}/change/")
    page.locator("#id_joined_on").fill("")
    link = page.locator("#id_joined_on ~ .datetimeshortcuts a[id^=calendarlink]")
    number = link.get_attribute("id").removeprefix("calendarlink")
    link.click()
    page.locator(f"#calendarbox{number} .calendar td a").first.click()
    assert page.locator("#id_joined_on").input_value() != ""
    # A related-object popup: add an account from the role form, which puts it back in the form.
    page.goto(f"{base}/admin/organizations/roleassignment/add/")
    with page.expect_popup() as opened:
        page.locator("#add_id_user").click()
    popup = opened.value
    popup.wait_for_load_state()
    popup.fill("#id_full_name", "新来的")
    popup.fill("#id_username", "newcomer")
    popup.select_option("#id_role", Role.COMMUNITY_SECRETARY.value)
    popup.select_option("#id_organization", label=tree["comm_a"].name)
    popup.locator("input[name=_save]").click()
    assert popup.locator("#one-time-passwords td.username").inner_text() == "newcomer"
    popup.locator("#popup-done input[type=submit]").click()
    popup.wait_for_event("close")
    assert "新来的" in page.locator("#id_user").inner_text()
    # django-import-export: the export page and the import page with its preview.
    assert page.goto(f"{base}/admin/organizations/propertycompany/export/").status == 200
    page.locator("input.select-toggle").uncheck()
    page.locator("input.select-toggle").check()
    assert page.goto(f"{base}/admin/organizations/propertycompany/import/").status == 200
    csv_file = tmp_path / "companies.csv"
    csv_file.write_text("代码,名称,红色物业\nPC-02,夷陵物业,否\n", encoding="utf-8-sig")
    page.locator("#id_import_file").set_input_files(str(csv_file))
    page.locator("#id_format").select_option(label="csv")
    page.locator("form input[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert "PC-02" in page.content()
    # The project's own roster import with its preview.
    roster = tmp_path / "roster.xlsx"
    roster_upload(roster, tree)
    page.goto(f"{base}/admin/members/member/import/")
    page.locator("input[type=file]").set_input_files(str(roster))
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#import-preview").count() == 1

    assert violations.csp == [], "\n".join(violations.csp)
    assert violations.errors == []
    assert Member.objects.count() == 1


def test_an_injected_inline_script_is_refused(live_server, page):
    """The policy is in force: an inline script put into a page does not run, and says so."""
    tree = district_tree()
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"], username="secretary")
    violations = Violations(page)
    log_in(page, f"{live_server.url}/", "secretary")

    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';"
        " document.body.appendChild(s); }"
    )

    assert page.evaluate("() => window.ran === true") is False
    assert any("inline script" in m for m in violations.csp), violations.messages
