"""In a real browser: a compound secretary confirms a report-in and fills a vacant post on a phone-sized page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from members import services
from members.models import Category, CheckIn, PostKind, VolunteerPost
from organizations.models import Role
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_site_language(choice) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


def test_compound_secretary_confirms_a_report_in_and_fills_a_post(live_server, page):
    tree = district_tree()
    compound = tree["compound_a"].unit
    reporter = make_member(
        name="张爱丽",
        home_organization=tree["compound_a"],
        residence=compound,
        category=Category.IN_SERVICE,
        employer=tree["agency"],
    )
    volunteer = make_member(name="李博", home_organization=tree["compound_a"], residence=compound)
    checkin = services.checkin_submit(member=reporter, unit=compound)
    user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"], username="compound")
    page.set_viewport_size({"width": 390, "height": 844})

    log_in(page, f"{live_server.url}/members/", "compound")
    # The secretary's own compound is linked from the member list.
    page.click(f"nav.my-units >> a[href='/members/units/{compound.code}/']")
    assert page.locator("h1").inner_text() == compound.name

    # Confirm the pending report-in: it leaves the pending table and the resident shows as confirmed.
    page.locator(f"tr[data-checkin='{checkin.pk}'] form.confirm button").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-checkin]").count() == 0
    status = page.locator(f"table.residents tr[data-member='{reporter.pk}'] td.checkin-status")
    assert status.get_attribute("data-checkin-status") == CheckIn.Status.CONFIRMED
    assert status.inner_text().strip() == in_site_language(CheckIn.Status.CONFIRMED)
    assert page.locator("ul.messages li.success").count() == 1

    # Fill the vacant parking post with the retired resident.
    parking = page.locator(f"li.post[data-post='{PostKind.PARKING}']")
    assert parking.locator("li.vacant").count() == 1
    parking.locator("select[name=member]").select_option(str(volunteer.pk))
    parking.locator("form.assign button").click()
    page.wait_for_load_state()
    parking = page.locator(f"li.post[data-post='{PostKind.PARKING}']")
    assert parking.locator("li.vacant").count() == 0
    assert parking.locator(f"li.holder[data-member='{volunteer.pk}']").inner_text().startswith("李博")

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.CONFIRMED
    holding = VolunteerPost.objects.active().get(member=volunteer)
    assert (holding.compound, holding.post) == (compound, PostKind.PARKING)
