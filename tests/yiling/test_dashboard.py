"""The district dashboard and its drill-down: figures with their parts, ranking, reach, query budget."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Role, UnitType
from tests.organizations.factories import district_tree, make_org, user_with_role
from tests.organizations.test_governance_selectors import govern

pytestmark = pytest.mark.django_db

DISTRICT = reverse("dashboards:district")


def node_url(org) -> str:
    return reverse("dashboards:node", kwargs={"code": org.code})


def text(response) -> str:
    plain = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(plain))


def figure(response, name: str) -> str:
    """The figure ``name`` as the page shows it after its label: value, parts and definition."""
    match = re.search(rf'<div data-figure="{name}">\s*<dt>.*?</dt>(.*?)</div>', response.content.decode(), re.S)
    assert match, name
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def table_rows(response, key: str) -> list[str]:
    table = re.search(rf'<table class="stack" data-table="{key}">(.*?)</table>', response.content.decode(), re.S)
    assert table, key
    return re.findall(r'<tr data-node="([^"]+)">', table.group(1))


@pytest.fixture
def tree():
    tree = district_tree()
    govern(tree["compound_a"], seats=4, expenses=3)  # 1 of 4 seats cross-appointed; 300 of 1000 spent
    govern(tree["compound_b"], seats=2, expenses=1)  # 1 of 2; 100 of 1000
    tree["compound_c"] = make_org(
        tree["comm_c"], name="丙小区党支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_c"].unit
    )
    govern(tree["compound_c"], seats=3, expenses=0)
    return tree


@pytest.fixture
def staff(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    client.force_login(user)
    return user


def test_district_staff_see_every_figure_with_what_it_counts_and_a_rate_with_its_parts(tree, staff, client):
    response = client.get(DISTRICT)
    assert response.status_code == 200
    seats = figure(response, "cross_appointment_rate")
    assert seats.startswith("33.3% = 3 / 9")
    assert "交叉任职席位 / 业委会席位" in seats
    assert "业委会席位中由同时在小区支部任职的人担任的比例" in seats
    assert figure(response, "fund_execution_rate").startswith("13.3% = 400.00 元 / 3,000.00 元")
    assert figure(response, "compounds").startswith("4 ")
    # The label links to the list behind the figure.
    assert f'<a href="{reverse("organizations:fund-execution")}">本年已支出经费</a>' in response.content.decode()
    assert "计算于" in text(response)


def test_the_district_ranks_streets_and_communities_and_shows_fund_execution(tree, staff, client):
    response = client.get(DISTRICT, {"rank": "fund_execution_rate"})
    # 甲社区 spent 30 %, 乙社区 10 %, 丙社区 nothing of its 1,000.
    assert table_rows(response, "level1") == [tree["comm_a"].code, tree["comm_b"].code, tree["comm_c"].code]
    assert table_rows(response, "level0") == [tree["street_a"].code, tree["street_b"].code]
    assert table_rows(response, "funds") == [tree["street_a"].code, tree["street_b"].code]
    by_cross = client.get(DISTRICT, {"rank": "cross_appointment_rate"})
    # 乙社区 1 of 2 seats, 丙社区 1 of 3, 甲社区 1 of 4.
    assert table_rows(by_cross, "level1") == [tree["comm_b"].code, tree["comm_c"].code, tree["comm_a"].code]


def test_an_unknown_ranking_is_answered_with_a_message(tree, staff, client):
    response = client.get(DISTRICT, {"rank": "<b>nonsense</b>"})
    assert response.status_code == 200
    assert "没有可排名的指标" in text(response)
    assert "<b>nonsense</b>" not in response.content.decode()


def test_drilling_down_shows_the_same_figures_for_the_subtree_with_a_clickable_breadcrumb(tree, staff, client):
    response = client.get(node_url(tree["comm_a"]))
    assert response.status_code == 200
    assert figure(response, "cross_appointment_rate").startswith("25.0% = 1 / 4")
    assert figure(response, "compounds").startswith("1 ")
    crumbs = re.search(r'<nav class="breadcrumb"[^>]*>(.*?)</nav>', response.content.decode(), re.S).group(1)
    assert f'<a href="{DISTRICT}">区委</a>' in crumbs
    assert f'<a href="{node_url(tree["street_a"])}">甲街道党工委</a>' in crumbs
    assert table_rows(response, "level2") == [tree["compound_a"].code]
    assert client.get(node_url(tree["root"])).url == DISTRICT


def test_street_staff_drill_only_inside_their_street(tree, client):
    client.force_login(user_with_role(Role.STREET_STAFF, organization=tree["street_b"]))
    assert client.get(DISTRICT).url == node_url(tree["street_b"])
    own = client.get(node_url(tree["street_b"]))
    assert own.status_code == 200
    assert table_rows(own, "level1") == [tree["comm_c"].code]
    assert figure(own, "compounds").startswith("1 ")
    # Above the street: named in the breadcrumb, not linked.
    assert f'<a href="{DISTRICT}">' not in own.content.decode().split("<main>")[1]
    for outside in (tree["street_a"], tree["comm_a"], tree["compound_a"], tree["root"]):
        response = client.get(node_url(outside))
        assert response.status_code == 404
        assert outside.name not in response.content.decode()
        download = client.get(node_url(outside), {"export": "figures", "format": "xlsx"})
        assert download.status_code == 404
        assert "attachment" not in download.get("Content-Disposition", "")
    missing = client.get(reverse("dashboards:node", kwargs={"code": "NO-SUCH-ORG"}))
    assert missing.status_code == 404
    inside = client.get(node_url(tree["compound_c"]))
    assert inside.status_code == 200


def test_a_user_without_a_role_is_told_so(client):
    from tests.organizations.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(DISTRICT)
    assert response.status_code == 200
    assert "data-figure" not in response.content.decode()


def test_anonymous_users_are_sent_to_login(tree, client):
    for url in (DISTRICT, node_url(tree["street_a"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_data(tree, staff, client):
    before = {url: queries(client, url) for url in (DISTRICT, node_url(tree["street_a"]), node_url(tree["comm_a"]))}
    street = make_org(tree["root"], name="丁街道党工委", unit_type=UnitType.STREET)
    for i in range(3):
        community = make_org(street, name=f"丁{i}社区", unit_type=UnitType.COMMUNITY, unit_parent=street.unit)
        for _ in range(2):
            govern(make_org(community, unit_type=UnitType.COMPOUND, unit_parent=community.unit), seats=2)
    for _ in range(3):
        govern(make_org(tree["comm_a"], unit_type=UnitType.COMPOUND, unit_parent=tree["comm_a"].unit), seats=3)
    after = {url: queries(client, url) for url in before}
    assert after == before
    # A fixed cost per registered figure, whatever the data: about one query each, plus the page's own.
    from yiling import indicators

    assert before[DISTRICT] < 20 + 2 * len(indicators.registered())


# --- exports, charts, print -------------------------------------------------------------------------


def workbook_rows(response) -> list[list]:
    import io

    import openpyxl

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_any_table_downloads_as_excel_with_numbers_as_numbers(tree, staff, client):
    rows = workbook_rows(client.get(DISTRICT, {"export": "level1", "format": "xlsx", "rank": "cross_appointment_rate"}))
    assert rows[0][:2] == ["名称", "编码"]
    assert "交叉任职率（%）" in rows[0]
    column = rows[0].index("交叉任职率（%）")
    assert [(r[0], r[column]) for r in rows[1:]] == [("乙社区党委", 50), ("丙社区党委", 33.3), ("甲社区党委", 25)]
    funds = workbook_rows(client.get(DISTRICT, {"export": "funds", "format": "xlsx"}))
    assert funds[1][:4] == ["甲街道党工委", tree["street_a"].code, 2000, 400]
    figures = workbook_rows(client.get(node_url(tree["comm_a"]), {"export": "figures", "format": "xlsx"}))
    by_code = {r[2]: r for r in figures[1:]}
    assert by_code["cross_appointment_rate"][3:7] == [25, "25.0%", "1", "4"]


def test_a_name_that_looks_like_a_formula_stays_text(tree, staff, client):
    from organizations import services

    services.organization_update(organization=tree["comm_b"], name="=SUM(1,2)")
    rows = workbook_rows(client.get(DISTRICT, {"export": "level1", "format": "xlsx"}))
    assert "'=SUM(1,2)" in [r[0] for r in rows]


@pytest.mark.parametrize(
    "params",
    [{"export": "nonsense", "format": "xlsx"}, {"export": "level1", "format": "csv"}, {"export": "level1"}],
)
def test_a_download_that_cannot_be_made_is_answered_with_a_message(tree, staff, client, params):
    response = client.get(DISTRICT, params)
    assert response.status_code == 200
    assert "attachment" not in response.get("Content-Disposition", "")
    assert '<ul class="messages">' in response.content.decode()


def test_the_page_carries_the_chart_data_and_the_vendored_chart_library(tree, staff, client):
    import json

    page = client.get(DISTRICT, {"rank": "fund_execution_rate"}).content.decode()
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer></script>' in page
    data = json.loads(re.search(r'<script id="chart-level1" type="application/json">(.*?)</script>', page).group(1))
    assert data["labels"] == ["甲社区党委", "乙社区党委", "丙社区党委"]
    assert data["values"] == [30.0, 10.0, 0.0]
    assert 'data-chart="chart-headline"' in page
    assert "http://" not in page and "https://" not in page


def test_the_case_headline_figures_come_first_once_their_apps_register_them(tree, staff, client, monkeypatch):
    from yiling import indicators
    from yiling.dashboards.board import HEADLINE

    # Every app has landed: each headline figure of the case is registered under its contract name.
    assert set(HEADLINE) <= {ind.name for ind in indicators.registered()}
    # As if the alliances app had not landed yet: its two headline figures are simply not there.
    registry = dict(indicators._REGISTRY)
    del registry["alliances"], registry["alliance_member_enterprises"]
    monkeypatch.setattr(indicators, "_REGISTRY", registry)

    page = client.get(DISTRICT).content.decode()
    headline = page.split('aria-labelledby="section-d-headline"')[1].split("</section>")[0]
    shown = re.findall(r'data-figure="([^"]+)"', headline)
    # In the case's order.
    assert shown == [n for n in HEADLINE if n not in {"alliances", "alliance_member_enterprises"}]
    assert shown[:3] == ["demonstration_business_districts", "compound_party_organizations", "owners_committees"]
    assert page.count('data-figure="compounds"') == 1
    import json

    chart = json.loads(re.search(r'<script id="chart-headline" type="application/json">(.*?)</script>', page).group(1))
    assert chart["labels"][0] == registry["demonstration_business_districts"].label
    assert len(chart["values"]) == len(shown)


def test_a_user_with_several_roles_starts_at_the_top_of_their_organization_roles(tree, client):
    from organizations import services

    user = user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_c"])
    services.role_assign(user=user, role=Role.AGENCY_CONTACT, unit=tree["agency"])
    services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    client.force_login(user)
    assert client.get(DISTRICT).url == node_url(tree["comm_a"])


def test_with_every_app_landed_the_headline_holds_all_the_case_figures_in_order(tree, staff, client):
    from yiling.dashboards.board import HEADLINE

    page = client.get(DISTRICT).content.decode()
    headline = page.split('aria-labelledby="section-d-headline"')[1].split("</section>")[0]
    assert re.findall(r'data-figure="([^"]+)"', headline) == list(HEADLINE)
