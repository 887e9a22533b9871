"""The secretaries' roster pages: who sees what, what each action writes, masking, query budgets."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from members import services
from members.models import Category, CheckIn, Member, PersonalDataAccess, PostKind, VolunteerPost
from organizations.models import Role, UnitType
from tests.organizations.factories import UserFactory, make_org, user_with_role

from .factories import make_member

pytestmark = pytest.mark.django_db


# --- helpers --------------------------------------------------------------------------------------


def body(response) -> str:
    return html.unescape(response.content.decode())


def zh(msgid: str, **params) -> str:
    """A message as the portal shows it (in the site language, whatever the catalogue holds)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
        params = {k: str(v) for k, v in params.items()}
    return text % params if params else text


def label(choice) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


def member_rows(response) -> list[int]:
    """The members listed in row order (rows carry data-member)."""
    return [int(pk) for pk in re.findall(r'<tr data-member="(\d+)"', response.content.decode())]


def unit_url(unit) -> str:
    return reverse("members:unit-detail", args=[unit.code])


def grant_personal_data(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data", content_type__app_label="members"))


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def units(tree):
    return {
        "compound_a": tree["compound_a"].unit,
        "comm_a": tree["comm_a"].unit,
        "compound_b": tree["compound_b"].unit,
        "comm_b": tree["comm_b"].unit,
        "comm_c": tree["comm_c"].unit,
    }


@pytest.fixture
def roster(tree, units):
    """Members of the small district, by what the tests need them for."""
    people = {
        # In service, lives in compound A, works at the agency, has reported in (pending).
        "alice": make_member(
            name="张爱丽",
            home_organization=tree["compound_a"],
            residence=units["compound_a"],
            category=Category.IN_SERVICE,
            employer=tree["agency"],
        ),
        # Retired, lives in compound A.
        "bob": make_member(name="李博", home_organization=tree["compound_a"], residence=units["compound_a"]),
        # In service, lives in compound A, not reported in yet.
        "carol": make_member(
            name="王凯",
            home_organization=tree["compound_a"],
            residence=units["compound_a"],
            category=Category.IN_SERVICE,
        ),
        # Lives in the other community's compound.
        "dave": make_member(name="赵德", home_organization=tree["compound_b"], residence=units["compound_b"]),
        # In service, lives in community A itself, outside its compounds.
        "erin": make_member(
            name="钱尔", home_organization=tree["comm_a"], residence=units["comm_a"], category=Category.IN_SERVICE
        ),
        # Membership held by compound A, lives in compound B.
        "frank": make_member(name="孙方", home_organization=tree["compound_a"], residence=units["compound_b"]),
        # Works at the agency, membership held outside the district, lives in community C.
        "gina": make_member(
            name="周吉", residence=units["comm_c"], category=Category.IN_SERVICE, employer=tree["agency"]
        ),
    }
    people["alice_checkin"] = services.checkin_submit(member=people["alice"], unit=units["compound_a"])
    return people


@pytest.fixture
def compound_secretary(tree):
    return user_with_role(Role.COMPOUND_SECRETARY, organization=tree["compound_a"])


@pytest.fixture
def community_secretary(tree):
    return user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])


@pytest.fixture
def other_secretary(tree):
    return user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"])


@pytest.fixture
def agency_contact(tree):
    return user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])


def people(roster, *names) -> list[int]:
    return sorted(roster[n].pk for n in names)


# --- anonymous ------------------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_login(roster, units, client):
    for url in [reverse("members:member-list"), roster["alice"].get_absolute_url(), unit_url(units["compound_a"])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"


def test_nav_links_to_the_member_list(compound_secretary, client):
    client.force_login(compound_secretary)
    response = client.get(reverse("portal-home"))
    assert f'<a href="{reverse("members:member-list")}">' in response.content.decode()


# --- visibility -----------------------------------------------------------------------------------


def test_compound_secretary_sees_residents_and_held_members_only(roster, compound_secretary, client):
    client.force_login(compound_secretary)
    response = client.get(reverse("members:member-list"))
    assert response.status_code == 200
    assert sorted(member_rows(response)) == people(roster, "alice", "bob", "carol", "frank")
    assert "赵德" not in body(response)


def test_community_secretary_sees_the_community(roster, community_secretary, client):
    client.force_login(community_secretary)
    response = client.get(reverse("members:member-list"))
    assert sorted(member_rows(response)) == people(roster, "alice", "bob", "carol", "erin", "frank")


def test_agency_contact_sees_employees_only(roster, agency_contact, client):
    client.force_login(agency_contact)
    response = client.get(reverse("members:member-list"))
    assert sorted(member_rows(response)) == people(roster, "alice", "gina")
    assert client.get(roster["gina"].get_absolute_url()).status_code == 200
    assert client.get(roster["bob"].get_absolute_url()).status_code == 404


def test_agency_contact_reaches_no_compound_and_cannot_confirm(roster, units, agency_contact, client):
    client.force_login(agency_contact)
    checkin = roster["alice_checkin"]

    assert client.get(unit_url(units["compound_a"])).status_code == 404
    response = client.post(reverse("members:checkin-confirm", args=[checkin.pk]))

    assert response.status_code == 404
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING
    assert client.post(reverse("members:checkin-submit", args=[units["comm_c"].code])).status_code == 404


def test_seeing_an_employees_report_in_is_not_reach_to_decide_it(roster, tree, units, client):
    """An agency contact who is also secretary elsewhere sees the employee's report-in, may not decide it."""
    from organizations import services as org_services

    user = user_with_role(Role.AGENCY_CONTACT, unit=tree["agency"])
    org_services.role_assign(user=user, role=Role.COMMUNITY_SECRETARY, organization=tree["comm_b"])
    client.force_login(user)
    checkin = roster["alice_checkin"]
    assert CheckIn.objects.visible_to(user).filter(pk=checkin.pk).exists()

    assert client.post(reverse("members:checkin-confirm", args=[checkin.pk])).status_code == 404
    assert client.post(reverse("members:checkin-return", args=[checkin.pk]), {"reason": "x"}).status_code == 404

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING


def test_another_communitys_compound_and_members_are_not_found(roster, units, community_secretary, client):
    client.force_login(community_secretary)
    assert client.get(unit_url(units["compound_b"])).status_code == 404
    assert client.get(unit_url(units["comm_b"])).status_code == 404
    assert client.get(roster["dave"].get_absolute_url()).status_code == 404
    # As a filter of the list, the other community's compound is said to be out of reach, like an unknown code.
    for code in (units["compound_b"].code, "NO-SUCH"):
        filtered = client.get(reverse("members:member-list"), {"unit": code})
        assert filtered.status_code == 200
        assert f"您所辖范围内没有代码为“{code}”的小区或社区：现显示全部。" in body(filtered)
        assert roster["dave"].pk not in member_rows(filtered)


def test_compound_secretary_cannot_open_the_community_page(units, compound_secretary, client):
    client.force_login(compound_secretary)
    assert client.get(unit_url(units["compound_a"])).status_code == 200
    assert client.get(unit_url(units["comm_a"])).status_code == 404


def test_non_residence_units_have_no_page(tree, units, client):
    client.force_login(user_with_role(Role.DISTRICT_STAFF, organization=tree["root"]))
    assert client.get(reverse("members:unit-detail", args=[tree["agency"].code])).status_code == 404
    assert client.get(reverse("members:unit-detail", args=["NO-SUCH"])).status_code == 404


def test_list_filters_by_unit_category_and_name(roster, units, community_secretary, client):
    client.force_login(community_secretary)
    url = reverse("members:member-list")

    in_compound = client.get(url, {"unit": units["compound_a"].code})
    assert sorted(member_rows(in_compound)) == people(roster, "alice", "bob", "carol")
    assert f'name="unit" value="{units["compound_a"].code}"' in in_compound.content.decode()

    in_service = client.get(url, {"category": Category.IN_SERVICE})
    assert sorted(member_rows(in_service)) == people(roster, "alice", "carol", "erin")
    assert f'<option value="{Category.IN_SERVICE}" selected>' in in_service.content.decode()

    by_name = client.get(url, {"q": "爱丽"})
    assert member_rows(by_name) == [roster["alice"].pk]
    assert 'value="爱丽"' in by_name.content.decode()

    # An unknown category is ignored rather than failing.
    assert sorted(member_rows(client.get(url, {"category": "nonsense"}))) == sorted(member_rows(client.get(url)))


def test_an_id_number_or_phone_typed_into_the_search_comes_back_masked(roster, units, community_secretary, client):
    client.force_login(community_secretary)
    alice = roster["alice"]
    url = reverse("members:member-list")

    for typed, masked in [
        (alice.id_number, alice.masked_id_number),
        (f"查{alice.phone}", f"查{alice.masked_phone}"),
    ]:
        response = client.get(url, {"q": typed}, follow=True)
        text = response.content.decode()

        assert response.redirect_chain[-1][0] == f"{url}?{urlencode({'q': masked})}"
        assert f'name="q" value="{masked}"' in text
        assert alice.id_number not in text and alice.phone not in text
        assert member_rows(response) == []
    assert client.get(url, {"q": "爱丽", "category": "in_service"}).status_code == 200


def test_the_member_list_takes_no_filter_or_order_on_personal_data(roster, units, community_secretary, client):
    client.force_login(community_secretary)
    url = reverse("members:member-list")
    alice = roster["alice"]
    everyone = member_rows(client.get(url))

    tried = [
        {"id_number": alice.id_number},
        {"id_number__startswith": "9"},
        {"phone__startswith": alice.phone[:5]},
        {"birth_date__year": "1800"},
        {"o": "phone"},
        {"ordering": "-id_number"},
        {"sort": "id_number"},
    ]

    assert len(everyone) > 1
    for params in tried:
        assert member_rows(client.get(url, params)) == everyone, params


def test_list_shows_roster_state(roster, units, compound_secretary, client):
    services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.PARKING, started_on=date(2025, 1, 1)
    )
    client.force_login(compound_secretary)
    text = client.get(reverse("members:member-list")).content.decode()

    alice_row = re.search(rf'<tr data-member="{roster["alice"].pk}">(.*?)</tr>', text, re.S).group(1)
    assert 'data-checkin-status="pending"' in alice_row
    assert html.escape(label(CheckIn.Status.PENDING)) in alice_row
    bob_row = re.search(rf'<tr data-member="{roster["bob"].pk}">(.*?)</tr>', text, re.S).group(1)
    assert html.escape(label(PostKind.PARKING)) in bob_row
    assert roster["bob"].masked_id_number in bob_row
    assert roster["bob"].masked_phone in bob_row


def test_list_is_paginated_by_twenty(tree, units, compound_secretary, client):
    for i in range(23):
        make_member(name=f"成员{i:02d}", home_organization=tree["compound_a"], residence=units["compound_a"])
    client.force_login(compound_secretary)

    first = client.get(reverse("members:member-list"))
    second = client.get(reverse("members:member-list"), {"page": 2})

    assert len(member_rows(first)) == 20
    assert len(member_rows(second)) == 3
    assert 'href="?page=2"' in first.content.decode()
    assert not set(member_rows(first)) & set(member_rows(second))


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"page": "abc"}, "没有第“abc”页：现显示第 1 页（共 1 页）。"),
        ({"page": "7"}, "没有第“7”页：现显示第 1 页（共 1 页）。"),
        ({"category": "pirate"}, "人员类别：选择一个有效的选项。 pirate 不在可用的选项中。"),
        ({"q": "张" * 51}, "按姓名搜索：搜索内容最多 50 个字。"),
        ({"q": "张" * 500}, "按姓名搜索：搜索内容最多 50 个字。"),
    ],
)
def test_list_answers_a_bad_query_with_a_message(roster, compound_secretary, client, query, warning):
    client.force_login(compound_secretary)
    response = client.get(reverse("members:member-list"), query)
    assert response.status_code == 200
    shown = [html.unescape(m) for m in re.findall(r'<li class="warning">([^<]*)</li>', response.content.decode())]
    assert shown == [warning]
    # The filter that could not apply is left out; the list is still the secretary's members.
    assert member_rows(response) == member_rows(client.get(reverse("members:member-list")))
    assert len(member_rows(response)) >= 3


def test_list_links_to_the_secretarys_own_units(units, compound_secretary, community_secretary, client):
    client.force_login(compound_secretary)
    text = client.get(reverse("members:member-list")).content.decode()
    assert f'<a href="{unit_url(units["compound_a"])}">' in text
    assert f'<a href="{unit_url(units["comm_a"])}">' not in text

    client.force_login(community_secretary)
    text = client.get(reverse("members:member-list")).content.decode()
    assert f'<a href="{unit_url(units["comm_a"])}">' in text


def test_compound_page_shows_residents_pending_and_posts(roster, units, compound_secretary, client):
    holding = services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2025, 3, 1)
    )
    client.force_login(compound_secretary)
    response = client.get(unit_url(units["compound_a"]))
    text = response.content.decode()

    assert response.status_code == 200
    assert sorted(member_rows(response)) == people(roster, "alice", "bob", "carol")
    assert re.findall(r'<tr data-checkin="(\d+)"', text) == [str(roster["alice_checkin"].pk)]
    assert reverse("members:checkin-confirm", args=[roster["alice_checkin"].pk]) in text
    assert reverse("members:checkin-return", args=[roster["alice_checkin"].pk]) in text
    assert re.findall(r'<li class="card post" data-post="([a-z_]+)"', text) == PostKind.values
    sanitation = re.search(r'data-post="sanitation">(.*?)</li>\s*<li class="card post"', text, re.S).group(1)
    assert "李博" in sanitation and reverse("members:post-end", args=[holding.pk]) in sanitation
    assert text.count('<li class="vacant">') == 5
    # Only in-service residents without an open report-in can be registered; only those without a post assigned.
    register = re.search(r'<select name="member" id="register-member".*?</select>', text, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', register) == [str(roster["carol"].pk)]
    assign = re.search(r'<select name="member" id="assign-safety".*?</select>', text, re.S).group(0)
    assert sorted(int(pk) for pk in re.findall(r'<option value="(\d+)"', assign)) == people(roster, "alice", "carol")


def test_community_page_shows_compounds_pending_and_direct_residents(roster, tree, units, community_secretary, client):
    erin_checkin = services.checkin_submit(member=roster["erin"], unit=units["comm_a"])
    services.checkin_confirm(checkin=erin_checkin, by=None)
    carol_checkin = services.checkin_submit(member=roster["carol"], unit=units["compound_a"])
    services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.SAFETY, started_on=date(2025, 1, 1)
    )
    client.force_login(community_secretary)
    response = client.get(unit_url(units["comm_a"]))
    text = response.content.decode()

    assert response.status_code == 200
    row = re.search(rf'<tr data-unit="{units["compound_a"].code}">(.*?)</tr>', text, re.S).group(1)
    figures = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert figures == ["3", "2", "0", "2", "1/6"]  # members, in service, reported in, pending, posts
    assert f'<a href="{unit_url(units["compound_a"])}">' in row
    assert sorted(re.findall(r'<tr data-checkin="(\d+)"', text)) == sorted(
        [str(roster["alice_checkin"].pk), str(carol_checkin.pk)]
    )
    reported = re.search(r'<table class="stack reported">(.*?)</table>', text, re.S).group(1)
    assert "钱尔" in reported
    residents = re.search(r'<table class="stack residents">(.*?)</table>', text, re.S).group(1)
    assert "钱尔" in residents and "张爱丽" not in residents


def test_street_staff_may_act_on_a_compound_below(roster, tree, units, client):
    client.force_login(user_with_role(Role.STREET_STAFF, organization=tree["street_a"]))
    text = client.get(unit_url(units["compound_a"])).content.decode()
    assert reverse("members:checkin-confirm", args=[roster["alice_checkin"].pk]) in text


# --- actions: report-ins --------------------------------------------------------------------------


def test_confirm_writes_the_decision_and_says_so(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)
    checkin = roster["alice_checkin"]

    response = client.post(reverse("members:checkin-confirm", args=[checkin.pk]), follow=True)

    assert response.redirect_chain == [(unit_url(units["compound_a"]), 302)]
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.CONFIRMED
    assert checkin.decided_by == compound_secretary
    assert zh("Report-in of %(member)s confirmed.", member="张爱丽") in body(response)
    assert re.findall(r'<tr data-checkin="(\d+)"', response.content.decode()) == []
    assert f'data-checkin-status="{CheckIn.Status.CONFIRMED}"' in response.content.decode()


def test_confirming_a_decided_report_in_is_refused(roster, compound_secretary, client):
    checkin = services.checkin_confirm(checkin=roster["alice_checkin"], by=None)
    decided_at = checkin.decided_at
    client.force_login(compound_secretary)

    response = client.post(reverse("members:checkin-confirm", args=[checkin.pk]), follow=True)

    checkin.refresh_from_db()
    assert checkin.decided_at == decided_at and checkin.decided_by is None
    expected = zh("This report-in has already been decided (%(status)s).", status=label(CheckIn.Status.CONFIRMED))
    assert expected in body(response)


def test_confirm_from_the_community_page_goes_back_there(roster, units, community_secretary, client):
    client.force_login(community_secretary)
    community_page = unit_url(units["comm_a"])

    response = client.post(
        reverse("members:checkin-confirm", args=[roster["alice_checkin"].pk]), {"next": community_page}
    )

    assert response.status_code == 302 and response.url == community_page
    roster["alice_checkin"].refresh_from_db()
    assert roster["alice_checkin"].status == CheckIn.Status.CONFIRMED


def test_next_pointing_elsewhere_is_ignored(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)
    response = client.post(
        reverse("members:checkin-confirm", args=[roster["alice_checkin"].pk]), {"next": "https://evil.example/"}
    )
    assert response.url == unit_url(units["compound_a"])


def test_return_needs_a_reason(roster, compound_secretary, client):
    client.force_login(compound_secretary)
    checkin = roster["alice_checkin"]

    response = client.post(reverse("members:checkin-return", args=[checkin.pk]), {"reason": "   "})

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING and checkin.decided_at is None
    assert zh("Say why the report-in is returned.") in body(response)


def test_return_with_reason_writes_it(roster, compound_secretary, client):
    client.force_login(compound_secretary)
    checkin = roster["alice_checkin"]

    response = client.post(reverse("members:checkin-return", args=[checkin.pk]), {"reason": "不住本小区"}, follow=True)

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.RETURNED
    assert checkin.return_reason == "不住本小区"
    assert checkin.decided_by == compound_secretary
    said = zh("Report-in of %(member)s returned.", member="张爱丽")
    # The way back: the register form, where the member can be registered again.
    assert f'{said} <a class="undo" href="{unit_url(checkin.unit)}#register">重新登记报到</a>' in body(response)
    register = re.search(r'<form[^>]*id="register".*?</form>', body(response), re.S).group(0)
    assert f'<option value="{roster["alice"].pk}"' in register


def test_other_communitys_secretary_cannot_decide(roster, other_secretary, client):
    client.force_login(other_secretary)
    checkin = roster["alice_checkin"]
    assert client.post(reverse("members:checkin-confirm", args=[checkin.pk])).status_code == 404
    assert client.post(reverse("members:checkin-return", args=[checkin.pk]), {"reason": "x"}).status_code == 404
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING


def test_submit_registers_a_pending_report_in(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)

    response = client.post(
        reverse("members:checkin-submit", args=[units["compound_a"].code]), {"member": roster["carol"].pk}, follow=True
    )

    checkin = CheckIn.objects.get(member=roster["carol"])
    assert checkin.unit == units["compound_a"] and checkin.status == CheckIn.Status.PENDING
    assert zh("Report-in of %(member)s registered.", member="王凯") in body(response)


def test_submit_refuses_a_retired_member(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)

    response = client.post(
        reverse("members:checkin-submit", args=[units["compound_a"].code]), {"member": roster["bob"].pk}, follow=True
    )

    assert not CheckIn.objects.filter(member=roster["bob"]).exists()
    assert zh("Only in-service members report in where they live.") in body(response)


def test_submit_refuses_a_member_already_reported_in(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)

    response = client.post(
        reverse("members:checkin-submit", args=[units["compound_a"].code]), {"member": roster["alice"].pk}, follow=True
    )

    assert CheckIn.objects.filter(member=roster["alice"]).count() == 1
    assert zh("This member has already reported in.") in body(response)


def test_submit_refuses_a_member_living_elsewhere(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)
    # Frank's membership is held here, so he is visible, but he lives in compound B.
    response = client.post(
        reverse("members:checkin-submit", args=[units["compound_a"].code]), {"member": roster["frank"].pk}, follow=True
    )
    assert not CheckIn.objects.filter(member=roster["frank"]).exists()
    assert response.status_code == 200
    assert '<ul class="messages"><li class="error">' in response.content.decode()


# --- actions: posts -------------------------------------------------------------------------------


def test_assign_fills_a_post(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)

    response = client.post(
        reverse("members:post-assign", args=[units["compound_a"].code]),
        {"member": roster["carol"].pk, "post": PostKind.PATROL},
        follow=True,
    )

    holding = VolunteerPost.objects.get(member=roster["carol"])
    assert (holding.compound, holding.post, holding.ended_on) == (units["compound_a"], PostKind.PATROL, None)
    assert holding.started_on == timezone.localdate()
    text = response.content.decode()
    patrol = re.search(r'data-post="patrol">(.*?)</ul>', text, re.S).group(1)
    assert "王凯" in patrol
    assert zh("%(member)s now holds the post %(post)s.", member="王凯", post=label(PostKind.PATROL)) in body(response)


def test_assigning_a_member_who_holds_a_post_is_refused(roster, units, compound_secretary, client):
    services.volunteer_post_assign(
        member=roster["carol"], compound=units["compound_a"], post=PostKind.SAFETY, started_on=date(2025, 1, 1)
    )
    client.force_login(compound_secretary)

    response = client.post(
        reverse("members:post-assign", args=[units["compound_a"].code]),
        {"member": roster["carol"].pk, "post": PostKind.PARKING},
        follow=True,
    )

    assert list(VolunteerPost.objects.filter(member=roster["carol"]).values_list("post", flat=True)) == ["safety"]
    assert zh("This member already holds a post.") in body(response)


def test_assigning_an_unknown_post_or_outsider_is_refused(roster, units, compound_secretary, client):
    client.force_login(compound_secretary)
    url = reverse("members:post-assign", args=[units["compound_a"].code])

    bad_post = client.post(url, {"member": roster["carol"].pk, "post": "mayor"}, follow=True)
    outsider = client.post(url, {"member": roster["frank"].pk, "post": PostKind.PATROL}, follow=True)

    assert not VolunteerPost.objects.exists()
    for response in (bad_post, outsider):
        assert '<ul class="messages"><li class="error">' in response.content.decode()


def test_assign_in_another_communitys_compound_is_not_found(roster, units, community_secretary, client):
    client.force_login(community_secretary)
    response = client.post(
        reverse("members:post-assign", args=[units["compound_b"].code]),
        {"member": roster["dave"].pk, "post": PostKind.PATROL},
    )
    assert response.status_code == 404
    assert not VolunteerPost.objects.exists()


def test_end_closes_a_post_once(roster, units, compound_secretary, client):
    holding = services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2025, 1, 1)
    )
    client.force_login(compound_secretary)
    url = reverse("members:post-end", args=[holding.pk])

    first = client.post(url, follow=True)
    holding.refresh_from_db()
    assert holding.ended_on == timezone.localdate()
    sanitation = re.search(r'data-post="sanitation">(.*?)</ul>', first.content.decode(), re.S).group(1)
    assert '<li class="vacant">' in sanitation

    second = client.post(url, follow=True)
    holding.refresh_from_db()
    assert holding.ended_on == timezone.localdate()
    assert zh("This post has already ended.") in body(second)


def test_end_outside_reach_is_not_found(tree, units, other_secretary, client):
    member = make_member(home_organization=tree["compound_a"], residence=units["compound_a"])
    holding = services.volunteer_post_assign(
        member=member, compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2025, 1, 1)
    )
    client.force_login(other_secretary)
    assert client.post(reverse("members:post-end", args=[holding.pk])).status_code == 404
    holding.refresh_from_db()
    assert holding.ended_on is None


# --- actions: method and CSRF ---------------------------------------------------------------------


def test_action_addresses_answer_get_without_changing_anything(roster, units, compound_secretary, client):
    """An action's address opened or reloaded (after a refused form) is never a 405: it leads back to
    the page that holds the action, or to the step that asks first; nothing is written."""
    client.force_login(compound_secretary)
    checkin = roster["alice_checkin"]
    page = unit_url(units["compound_a"])
    redirects = {
        reverse("members:checkin-confirm", args=[checkin.pk]): f"{page}#pending",
        reverse("members:checkin-submit", args=[units["compound_a"].code]): f"{page}#register",
        reverse("members:post-assign", args=[units["compound_a"].code]): f"{page}#posts",
    }
    for url, target in redirects.items():
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, target)
    asks = client.get(reverse("members:checkin-return", args=[checkin.pk]))
    assert asks.status_code == 200
    assert zh("Return the report-in of %(member)s?", member=roster["alice"].name) in body(asks)
    reveal = client.get(reverse("members:member-reveal", args=[roster["alice"].pk]))
    assert (reveal.status_code, reveal["Location"]) == (302, roster["alice"].get_absolute_url())
    assert not PersonalDataAccess.objects.exists()
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING
    assert not VolunteerPost.objects.exists()


def test_ending_a_post_asks_first_and_offers_the_way_back(roster, units, compound_secretary, client):
    holding = services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2025, 1, 1)
    )
    client.force_login(compound_secretary)
    page = client.get(unit_url(units["compound_a"]))
    end_url = reverse("members:post-end", args=[holding.pk])
    # The compound page links to the question; it has no form that ends the post at once.
    assert f'href="{end_url}"' in page.content.decode()
    assert f'action="{end_url}"' not in page.content.decode()

    asked = client.get(end_url)
    text = body(asked)
    assert zh("End the post %(post)s of %(member)s?", post=label(PostKind.SANITATION), member="李博") in text
    assert "不再担任" in text and "撤销" in text
    assert f'action="{end_url}"' in asked.content.decode()
    holding.refresh_from_db()
    assert holding.ended_on is None

    ended = client.post(end_url, follow=True)
    holding.refresh_from_db()
    assert holding.ended_on == timezone.localdate()
    success = re.search(r'<li class="success">(.*?)</li>', ended.content.decode(), re.S).group(1)
    sanitation = label(PostKind.SANITATION)
    assert zh("%(member)s no longer holds the post %(post)s.", member="李博", post=sanitation) in success
    undo = html.unescape(re.search(r'<a class="undo" href="([^"]+)">撤销</a>', success).group(1))
    assert undo == reverse("members:post-resume", args=[holding.pk])

    # The way back asks too, then gives the post back as it was, from its first day.
    again = client.get(undo)
    assert zh("Undo ending the post %(post)s of %(member)s?", member="李博", post=sanitation) in body(again)
    assert VolunteerPost.objects.active().filter(member=roster["bob"]).count() == 0
    client.post(undo)
    resumed = VolunteerPost.objects.active().get(member=roster["bob"])
    assert (resumed.pk, resumed.post, resumed.started_on) == (holding.pk, PostKind.SANITATION, holding.started_on)
    assert resumed.ended_on is None


def test_only_a_post_ended_today_is_resumed(roster, units, compound_secretary, client):
    holding = services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2024, 1, 1)
    )
    services.volunteer_post_end(volunteer_post=holding, ended_on=date(2025, 1, 1))
    client.force_login(compound_secretary)
    resume = reverse("members:post-resume", args=[holding.pk])

    asked = client.get(resume, follow=True)
    refused = client.post(resume, follow=True)

    said = zh("Only a post ended today can be resumed; assign the post again instead.")
    assert said in body(asked) and said in body(refused)
    holding.refresh_from_db()
    assert holding.ended_on == date(2025, 1, 1)


def test_the_question_before_ending_is_only_for_who_may_end(tree, units, other_secretary, client):
    member = make_member(home_organization=tree["compound_a"], residence=units["compound_a"])
    holding = services.volunteer_post_assign(
        member=member, compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2025, 1, 1)
    )
    client.force_login(other_secretary)
    assert client.get(reverse("members:post-end", args=[holding.pk])).status_code == 404


def test_returning_a_report_in_asks_for_the_reason_and_says_what_happens(roster, compound_secretary, client):
    checkin = roster["alice_checkin"]
    client.force_login(compound_secretary)
    url = reverse("members:checkin-return", args=[checkin.pk])
    asked = body(client.get(url))
    assert "以后可以重新报到" in asked and 'name="reason"' in asked

    refused = client.post(url, {"reason": "   "})
    assert refused.status_code == 200
    assert 'name="reason"' in body(refused)
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING

    client.post(url, {"reason": "不住本小区"})
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.RETURNED


def test_actions_need_the_csrf_token(roster, compound_secretary):
    client = Client(enforce_csrf_checks=True)
    client.force_login(compound_secretary)
    checkin = roster["alice_checkin"]

    assert client.post(reverse("members:checkin-confirm", args=[checkin.pk])).status_code == 403

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING


# --- personal data --------------------------------------------------------------------------------


def test_no_full_id_number_or_phone_on_any_page_for_anyone(roster, tree, units, client):
    revealer = user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    grant_personal_data(revealer)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    members = list(Member.objects.all())
    for user in [revealer, superuser]:
        client.force_login(user)
        pages = [
            reverse("members:member-list"),
            unit_url(units["compound_a"]),
            unit_url(units["comm_a"]),
            *(m.get_absolute_url() for m in Member.objects.visible_to(user)),
        ]
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.content.decode()
            for member in members:
                assert member.id_number not in text, (user, url)
                assert member.phone not in text, (user, url)
        assert roster["alice"].masked_id_number in client.get(roster["alice"].get_absolute_url()).content.decode()


def test_reveal_shows_full_values_and_records_the_view(roster, community_secretary, client):
    grant_personal_data(community_secretary)
    client.force_login(community_secretary)
    alice = roster["alice"]

    detail = client.get(alice.get_absolute_url()).content.decode()
    assert reverse("members:member-reveal", args=[alice.pk]) in detail
    assert alice.id_number not in detail
    before = timezone.now()

    response = client.post(reverse("members:member-reveal", args=[alice.pk]))

    text = response.content.decode()
    assert response.status_code == 200
    assert f'<dd class="code" id="id-number">{alice.id_number}</dd>' in text
    assert f'<dd class="code" id="phone">{alice.phone}</dd>' in text
    assert "no-store" in response["Cache-Control"]
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.member, access.member_name, access.purpose) == (
        community_secretary,
        alice,
        "张爱丽",
        PersonalDataAccess.Purpose.PAGE,
    )
    assert before <= access.accessed_at <= timezone.now()


def test_reveal_without_permission_is_forbidden(roster, community_secretary, client):
    client.force_login(community_secretary)
    alice = roster["alice"]

    assert (
        reverse("members:member-reveal", args=[alice.pk]) not in client.get(alice.get_absolute_url()).content.decode()
    )
    response = client.post(reverse("members:member-reveal", args=[alice.pk]))

    assert response.status_code == 403
    assert alice.id_number not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_reveal_of_a_member_out_of_reach_is_not_found(roster, community_secretary, client):
    grant_personal_data(community_secretary)
    client.force_login(community_secretary)
    response = client.post(reverse("members:member-reveal", args=[roster["dave"].pk]))
    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


# --- query budgets --------------------------------------------------------------------------------
# session, user, role assignments: 3 queries before any page's own.


def add_residents(tree, compound, count: int, *, start: int = 0) -> None:
    """``count`` in-service residents of ``compound``, each reported in; every third holding a post."""
    kinds = PostKind.values
    for i in range(start, start + count):
        member = make_member(
            name=f"住户{i:03d}",
            home_organization=compound.organization,
            residence=compound,
            category=Category.IN_SERVICE,
            employer=tree["agency"],
        )
        services.checkin_submit(member=member, unit=compound)
        if i % 3 == 0:
            services.volunteer_post_assign(
                member=member, compound=compound, post=kinds[i % 6], started_on=date(2025, 1, 1)
            )


def test_member_list_query_budget(tree, units, compound_secretary, client, django_assert_num_queries):
    client.force_login(compound_secretary)
    url = reverse("members:member-list")
    add_residents(tree, units["compound_a"], 5)
    # session, user, assignments, count, page, my units
    with django_assert_num_queries(6):
        small = client.get(url)
    add_residents(tree, units["compound_a"], 10, start=5)
    with django_assert_num_queries(6):
        large = client.get(url)
    assert len(member_rows(small)) == 5 and len(member_rows(large)) == 15


def test_member_list_filtered_by_unit_query_budget(tree, units, community_secretary, client, django_assert_num_queries):
    client.force_login(community_secretary)
    url = reverse("members:member-list")
    add_residents(tree, units["compound_a"], 5)
    # + the unit
    with django_assert_num_queries(7):
        small = client.get(url, {"unit": units["compound_a"].code})
    add_residents(tree, units["compound_a"], 10, start=5)
    with django_assert_num_queries(7):
        large = client.get(url, {"unit": units["compound_a"].code})
    assert len(member_rows(small)) == 5 and len(member_rows(large)) == 15


def add_history(member, tree, units, count: int) -> None:
    """``count`` of each record: returned report-ins, ended posts, closed floating records, transfers."""
    day = date(2020, 1, 1)
    for i in range(count):
        checkin = services.checkin_submit(member=member, unit=units["compound_a"])
        services.checkin_return(checkin=checkin, by=None, reason=f"样例理由{i}")
        holding = services.volunteer_post_assign(
            member=member, compound=units["compound_a"], post=PostKind.SAFETY, started_on=day + timedelta(days=i)
        )
        services.volunteer_post_end(volunteer_post=holding, ended_on=day + timedelta(days=i))
        record = services.floating_record_open(
            member=member, direction="outgoing", place="武汉", reason="务工", started_on=day + timedelta(days=i)
        )
        services.floating_record_close(record=record, ended_on=day + timedelta(days=i))
        target = tree["compound_a"] if i % 2 else tree["comm_a"]
        services.member_transfer(member=member, to_organization=target, transferred_on=day, reason=f"调动{i}")


def test_member_detail_query_budget(tree, units, community_secretary, client, django_assert_num_queries):
    client.force_login(community_secretary)
    small = make_member(home_organization=tree["compound_a"], residence=units["compound_a"], category="in_service")
    large = make_member(home_organization=tree["compound_a"], residence=units["compound_a"], category="in_service")
    add_history(small, tree, units, 2)
    add_history(large, tree, units, 6)
    # session, user, assignments, member, 4 record lists, 2 permission lookups, may the user call
    with django_assert_num_queries(11):
        small_page = client.get(small.get_absolute_url())
    with django_assert_num_queries(11):
        large_page = client.get(large.get_absolute_url())
    assert small_page.content.decode().count("样例理由") == 2
    assert large_page.content.decode().count("样例理由") == 6


def test_reveal_query_budget(tree, units, community_secretary, client, django_assert_num_queries):
    grant_personal_data(community_secretary)
    client.force_login(community_secretary)
    small = make_member(home_organization=tree["compound_a"], residence=units["compound_a"], category="in_service")
    large = make_member(home_organization=tree["compound_a"], residence=units["compound_a"], category="in_service")
    add_history(small, tree, units, 2)
    add_history(large, tree, units, 6)
    # detail + the access row
    with django_assert_num_queries(11):
        small_page = client.post(reverse("members:member-reveal", args=[small.pk]))
    with django_assert_num_queries(11):
        large_page = client.post(reverse("members:member-reveal", args=[large.pk]))

    for member, page, records in [(small, small_page, 2), (large, large_page, 6)]:
        text = page.content.decode()
        assert page.status_code == 200
        assert f'<dd class="code" id="id-number">{member.id_number}</dd>' in text
        assert f'<dd class="code" id="phone">{member.phone}</dd>' in text
        assert text.count("样例理由") == records
    assert list(PersonalDataAccess.objects.order_by("pk").values_list("user", "member", "purpose")) == [
        (community_secretary.pk, small.pk, PersonalDataAccess.Purpose.PAGE),
        (community_secretary.pk, large.pk, PersonalDataAccess.Purpose.PAGE),
    ]


def test_compound_page_query_budget(tree, units, compound_secretary, client, django_assert_num_queries):
    client.force_login(compound_secretary)
    url = unit_url(units["compound_a"])
    add_residents(tree, units["compound_a"], 5)
    # session, user, assignments, unit, pending, residents, post board
    with django_assert_num_queries(7):
        small = client.get(url)
    add_residents(tree, units["compound_a"], 10, start=5)
    with django_assert_num_queries(7):
        large = client.get(url)
    assert len(member_rows(small)) == 5 and len(member_rows(large)) == 15
    assert small.content.decode().count("<tr data-checkin=") == 5
    assert large.content.decode().count("<tr data-checkin=") == 15


def test_community_page_query_budget(tree, units, community_secretary, client, django_assert_num_queries):
    client.force_login(community_secretary)
    url = unit_url(units["comm_a"])

    def add_compounds(count: int) -> None:
        for _ in range(count):
            org = make_org(tree["comm_a"], unit_type=UnitType.COMPOUND, unit_parent=units["comm_a"])
            add_residents(tree, org.unit, 2)
            erin = make_member(
                home_organization=tree["comm_a"], residence=units["comm_a"], category=Category.IN_SERVICE
            )
            services.checkin_confirm(checkin=services.checkin_submit(member=erin, unit=units["comm_a"]), by=None)

    add_compounds(2)
    # session, user, assignments, unit, pending, direct residents, compound summaries, reported in
    with django_assert_num_queries(8):
        small = client.get(url)
    add_compounds(4)
    with django_assert_num_queries(8):
        large = client.get(url)
    assert small.content.decode().count("<tr data-unit=") == 1 + 2
    assert large.content.decode().count("<tr data-unit=") == 1 + 6
    assert large.content.decode().count("<tr data-checkin=") == 12


def test_bare_compound_is_reached_through_its_community(tree, client):
    """A compound without a branch is covered by the community: its secretary acts there."""
    bare = tree["bare_b"]
    member = make_member(home_organization=tree["comm_b"], residence=bare, category=Category.IN_SERVICE)
    checkin = services.checkin_submit(member=member, unit=bare)
    client.force_login(user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_b"]))

    client.post(reverse("members:checkin-confirm", args=[checkin.pk]))

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.CONFIRMED


# --- calling a member ------------------------------------------------------------------------------


def test_a_secretary_calls_a_member_of_their_own_organization(roster, compound_secretary, client):
    client.force_login(compound_secretary)
    bob = roster["bob"]
    call_url = reverse("members:member-call", args=[bob.pk])
    detail = client.get(bob.get_absolute_url()).content.decode()
    # One tap away: the page holds the button, not the number.
    assert f'action="{call_url}"' in detail
    assert bob.phone not in detail and "tel:" not in detail
    before = timezone.now()

    response = client.post(call_url)

    text = response.content.decode()
    assert f'<a class="tel" href="tel:{bob.phone}">{bob.phone}</a>' in text
    assert "no-store" in response["Cache-Control"]
    # The ID number stays masked: calling is not seeing the whole record.
    assert bob.id_number not in text and bob.masked_id_number in text
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.member, access.member_name, access.purpose) == (
        compound_secretary,
        bob,
        bob.name,
        PersonalDataAccess.Purpose.CALL,
    )
    assert before <= access.accessed_at <= timezone.now()
    # The address reloaded shows the member page again, without the number and without a new record.
    again = client.get(call_url)
    assert (again.status_code, again["Location"]) == (302, bob.get_absolute_url())
    assert PersonalDataAccess.objects.count() == 1


def test_a_community_secretary_reaches_the_compounds_below(roster, community_secretary, client):
    client.force_login(community_secretary)
    for name in ("bob", "erin", "frank"):  # compound A, the community itself, membership held in compound A
        assert client.post(reverse("members:member-call", args=[roster[name].pk])).status_code == 200
    assert PersonalDataAccess.objects.filter(purpose=PersonalDataAccess.Purpose.CALL).count() == 3


@pytest.mark.parametrize("who", ["other_secretary", "agency_contact", "district_staff"])
def test_only_the_members_own_secretaries_may_call(roster, tree, request, client, who):
    if who == "district_staff":
        user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    bob = roster["bob"]
    page = client.get(bob.get_absolute_url())
    assert reverse("members:member-call", args=[bob.pk]) not in page.content.decode()
    response = client.post(reverse("members:member-call", args=[bob.pk]))
    assert response.status_code == 404
    assert bob.phone not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_calling_costs_a_fixed_number_of_queries(roster, compound_secretary, client, django_assert_num_queries):
    client.force_login(compound_secretary)
    # session, user, assignments, member to call, the access row, member records (4), permissions,
    # and the CSRF-protected POST's session work: the same for every member
    for name in ("bob", "carol"):
        with django_assert_num_queries(13):
            response = client.post(reverse("members:member-call", args=[roster[name].pk]))
        assert f'href="tel:{roster[name].phone}"' in response.content.decode()


def test_the_masked_birth_date_reads_year_and_month_in_chinese(roster, community_secretary, client):
    client.force_login(community_secretary)
    member = roster["alice"]
    text = client.get(member.get_absolute_url()).content.decode()
    shown = re.search(r'<dd class="code" id="birth-date">([^<]*)</dd>', text).group(1)
    assert shown == f"{member.birth_date.year}年{member.birth_date.month}月"


def test_resuming_a_post_is_only_for_who_may_end_it(roster, units, other_secretary, client):
    holding = services.volunteer_post_assign(
        member=roster["bob"], compound=units["compound_a"], post=PostKind.SANITATION, started_on=date(2024, 1, 1)
    )
    services.volunteer_post_end(volunteer_post=holding, ended_on=timezone.localdate())
    client.force_login(other_secretary)
    resume = reverse("members:post-resume", args=[holding.pk])

    assert client.get(resume).status_code == 404
    assert client.post(resume).status_code == 404
    holding.refresh_from_db()
    assert holding.ended_on == timezone.localdate()
