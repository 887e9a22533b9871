"""The admin of compound governance and funds: every changelist behind the scoping rule, writes through
the services (so their refusals show on the form and nothing is written), the seats of a committee
term, the yearly grant, receipts, masked personal data and query budgets that do not grow with rows."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from members.models import Category
from organizations import services
from organizations.demo import DISTRICT_ONLY, STAFF_APPS
from organizations.models import (
    ActivityKind,
    Allowance,
    AnnualFunding,
    BranchPosition,
    BranchPost,
    CommitteePosition,
    CommitteeSeat,
    Expense,
    FundAllocation,
    FundSource,
    OwnersCommittee,
    PropertyCompany,
    Role,
    UnitType,
    Venue,
    VenueKind,
)

from ..members.factories import make_member
from .factories import make_org, make_unit, user_with_role

pytestmark = pytest.mark.django_db

#: Anything shaped like a full ID number or mobile number.
FULL_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])")
FULL_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def today() -> date:
    return timezone.localdate()


def staff_user(organization, *, street: bool):
    """Admin staff with the demo's group permissions: all of organizations and members for the district;
    view, add and change (without the district-only ones) for a street."""
    perms = list(Permission.objects.filter(content_type__app_label__in=STAFF_APPS).select_related("content_type"))
    if street:
        perms = [
            p
            for p in perms
            if p.codename.split("_", 1)[0] in {"view", "add", "change"}
            and f"{p.content_type.app_label}.{p.codename}" not in DISTRICT_ONLY
        ]
    group, _created = Group.objects.get_or_create(name="street staff" if street else "district staff")
    group.permissions.set(perms)
    user = user_with_role(
        Role.STREET_STAFF if street else Role.DISTRICT_STAFF, organization=organization, is_staff=True
    )
    user.groups.add(group)
    return user


@pytest.fixture
def compound_c(tree):
    """A compound with its own branch in the other street (乙街道 / 丙社区)."""
    return make_org(tree["comm_c"], name="丙小区党支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_c"].unit)


@pytest.fixture
def district(tree, client):
    user = staff_user(tree["root"], street=False)
    client.force_login(user)
    return user


@pytest.fixture
def street_a(tree, client):
    user = staff_user(tree["street_a"], street=True)
    client.force_login(user)
    return user


def governance_of(org, marker: str) -> dict:
    """One compound branch's governance and money, every name starting with ``marker``."""
    unit = org.unit
    secretary = make_member(name=f"{marker}书记", home_organization=org, residence=unit)
    company = services.property_company_create(code=f"PC-{org.code}", name=f"{marker}物业公司", is_red=True)
    services.unit_update(unit=unit, property_company=company)
    committee = services.owners_committee_record(
        compound=unit, elected_on=date(2021, 5, 1), term_ends_on=date(2026, 4, 30), notes=f"{marker}首届"
    )
    seat = services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, member=secretary)
    post = services.branch_post_appoint(
        organization=org, member=secretary, position=BranchPosition.SECRETARY, started_on=date(2021, 5, 1)
    )
    venue = services.venue_create(unit=unit, name=f"{marker}党员活动室", kind=VenueKind.ACTIVITY_ROOM)
    activity = services.activity_record(
        compound=unit, kind=ActivityKind.THEME_DAY, title=f"{marker}主题党日", held_on=today(), attendance=12
    )
    allocation = services.fund_allocation_create(
        organization=org, year=today().year, source=FundSource.ACTIVITY_FUND, amount=Decimal("1000.00"),
        granted_on=today(),
    )  # fmt: skip
    allowance = services.allowance_grant(
        organization=org, year=today().year, member=secretary, amount=Decimal("600.00")
    )
    expense = services.expense_record(
        allocation=allocation, amount=Decimal("200.00"), spent_on=today(), purpose=f"{marker}购买党建书籍",
        receipt_number=f"R-{org.code}",
    )  # fmt: skip
    return {
        "org": org,
        "unit": unit,
        "secretary": secretary,
        "company": company,
        "committee": committee,
        "seat": seat,
        "post": post,
        "venue": venue,
        "activity": activity,
        "allocation": allocation,
        "allowance": allowance,
        "expense": expense,
    }


@pytest.fixture
def gov_a(tree):
    return governance_of(tree["compound_a"], "甲")


@pytest.fixture
def gov_c(compound_c):
    return governance_of(compound_c, "丙")


def body(response) -> str:
    return response.content.decode()


def result_rows(response) -> str:
    """The changelist's table of results, without the search box, filters and sidebar."""
    return body(response).split('id="result_list"', 1)[1].split("</table>", 1)[0]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def service_message(msgid: str, **params) -> str:
    """A service's message as a user of the portal reads it (zh-hans)."""
    with translation.override("zh-hans"):
        return gettext(msgid) % params


def changelist(model: str) -> str:
    return reverse(f"admin:organizations_{model}_changelist")


#: What identifies each street's row in each changelist (the text of governance_of(org, marker)).
ROW_TEXT = {
    "propertycompany": "{m}物业公司",
    "ownerscommittee": "{m}小区党支部·单位",
    "branchpost": "{m}书记",
    "venue": "{m}党员活动室",
    "activity": "{m}主题党日",
    "fundallocation": "{m}小区党支部",
    "allowance": "{m}书记",
    "expense": "{m}购买党建书籍",
}


# --- scoping ------------------------------------------------------------------------------------


def test_district_staff_see_every_street(gov_a, gov_c, district, client):
    for model, text in ROW_TEXT.items():
        response = client.get(changelist(model))
        assert response.status_code == 200, model
        rows = result_rows(response)
        assert text.format(m="甲") in rows and text.format(m="丙") in rows, model


def test_street_staff_see_only_their_street(gov_a, gov_c, street_a, client):
    for model, text in ROW_TEXT.items():
        response = client.get(changelist(model))
        assert response.status_code == 200, model
        rows = result_rows(response)
        assert text.format(m="甲") in rows, model
        assert text.format(m="丙") not in rows, model


def test_street_staff_cannot_open_another_streets_rows(gov_a, gov_c, street_a, client):
    for model, key in [("ownerscommittee", "committee"), ("expense", "expense"), ("fundallocation", "allocation")]:
        response = client.get(reverse(f"admin:organizations_{model}_change", args=[gov_c[key].pk]))
        assert response.status_code == 302 and response.url == reverse("admin:index"), model


def test_street_staff_pick_only_their_streets_compounds(gov_a, gov_c, street_a, client):
    response = client.post(
        reverse("admin:organizations_venue_add"),
        {"unit": gov_c["unit"].pk, "name": "越界活动室", "kind": VenueKind.OUTDOOR, "is_active": "on"},
    )

    assert response.status_code == 200
    assert "unit" in response.context["adminform"].form.errors
    assert not Venue.objects.filter(name="越界活动室").exists()


GOVERNANCE_MODELS = [*ROW_TEXT, "annualfunding"]


def test_every_add_and_change_page_opens(gov_a, district, client):
    keys = {
        "propertycompany": "company",
        "ownerscommittee": "committee",
        "branchpost": "post",
        "venue": "venue",
        "activity": "activity",
        "fundallocation": "allocation",
        "allowance": "allowance",
        "expense": "expense",
    }
    for model in GOVERNANCE_MODELS:
        assert client.get(reverse(f"admin:organizations_{model}_add")).status_code == 200, model
        if model in keys:
            change = client.get(reverse(f"admin:organizations_{model}_change", args=[gov_a[keys[model]].pk]))
            assert change.status_code == 200, model


def test_the_admin_index_lists_the_governance_models_in_chinese(district, client):
    text = body(client.get(reverse("admin:index")))

    for label in [
        "物业公司",
        "业委会（届）",
        "支部职务",
        "阵地",
        "活动",
        "年度经费标准",
        "经费拨付",
        "书记津贴",
        "支出",
    ]:
        assert label in text, label


# --- money --------------------------------------------------------------------------------------


def expense_post(allocation, amount: str, **extra) -> dict:
    data = {
        "allocation": allocation.pk,
        "spent_on": today().isoformat(),
        "amount": amount,
        "purpose": "购买活动用品",
        "receipt_number": "R-NEW",
    }
    data.update(extra)
    return data


def test_an_overdrawing_expense_shows_the_refusal_on_the_amount_and_writes_nothing(gov_a, district, client):
    allocation = gov_a["allocation"]  # 1,000 yuan, 200 spent
    expenses_before = Expense.objects.count()

    response = client.post(reverse("admin:organizations_expense_add"), expense_post(allocation, "900.00"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    expected = service_message(
        "This expense of %(amount)s would overdraw the %(allocation)s: only %(balance)s is left.",
        amount="900.00 元",
        allocation=service_message("Activity fund"),
        balance="800.00 元",
    )
    assert errors["amount"] == [expected]
    assert re.search(r"[\u4e00-\u9fff]", expected) and "overdraw" not in expected
    assert expected in body(response)
    assert Expense.objects.count() == expenses_before
    assert Expense.history.count() == expenses_before


def test_an_expense_within_the_balance_is_recorded_by_the_user_with_its_receipt(
    gov_a, district, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    receipt = SimpleUploadedFile("fapiao.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")

    response = client.post(
        reverse("admin:organizations_expense_add"),
        expense_post(gov_a["allocation"], "800.00", receipt=receipt, receipt_number=""),
    )

    assert response.status_code == 302, body(response)[:3000]
    expense = Expense.objects.get(purpose="购买活动用品")
    assert (expense.amount, expense.recorded_by, expense.allocation) == (
        Decimal("800.00"),
        district,
        gov_a["allocation"],
    )
    # The trial run's copy of the file is gone: only the recorded one is stored.
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [expense.receipt.name.rsplit("/", 1)[-1]]
    listing = client.get(changelist("expense"))
    receipt_url = reverse("admin:organizations_expense_receipt", args=[expense.pk])
    assert receipt_url in result_rows(listing)
    download = client.get(receipt_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 receipt"


def test_receipts_stay_within_the_users_reach(gov_a, tree, compound_c, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    other = services.fund_allocation_create(
        organization=compound_c, year=today().year, source=FundSource.ACTIVITY_FUND, amount=Decimal("1000.00"),
        granted_on=today(),
    )  # fmt: skip
    expense = services.expense_record(
        allocation=other, amount=Decimal("10.00"), spent_on=today(), purpose="丙街道的票据",
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 other", content_type="application/pdf"),
    )  # fmt: skip
    client.force_login(staff_user(tree["street_a"], street=True))

    response = client.get(reverse("admin:organizations_expense_receipt", args=[expense.pk]))

    assert response.status_code == 404


def test_allocations_list_spent_and_balance(gov_a, district, client):
    services.expense_record(
        allocation=gov_a["allocation"], amount=Decimal("50.50"), spent_on=today(), purpose="茶水", receipt_number="R2"
    )

    rows = result_rows(client.get(changelist("fundallocation")))

    assert '<td class="field-spent">250.50</td>' in rows
    assert '<td class="field-balance">749.50</td>' in rows


def test_an_expense_naming_another_compounds_activity_is_refused_on_that_field(gov_a, gov_c, district, client):
    expenses_before = Expense.objects.count()

    response = client.post(
        reverse("admin:organizations_expense_add"),
        expense_post(gov_a["allocation"], "50.00", activity=gov_c["activity"].pk),
    )

    assert response.status_code == 200
    expected = service_message("Choose an activity of this compound.")
    assert response.context["adminform"].form.errors == {"activity": [expected]}
    assert expected == "请选择本小区的活动。" and expected in body(response)
    assert Expense.objects.count() == expenses_before

    response = client.post(
        reverse("admin:organizations_expense_add"),
        expense_post(gov_a["allocation"], "50.00", activity=gov_a["activity"].pk),
    )
    assert response.status_code == 302
    assert Expense.objects.get(purpose="购买活动用品").activity == gov_a["activity"]


def test_grant_action_gives_each_operating_branch_its_fund_once(tree, compound_c, district, client):
    standard = services.funding_standard_set(year=today().year, activity_fund=Decimal("1000.00"))
    inactive = make_org(
        tree["comm_a"], name="停止运转支部", unit_type=UnitType.COMPOUND, unit_parent=tree["comm_a"].unit
    )
    services.organization_update(organization=inactive, is_active=False)
    branches = {tree["compound_a"].pk, tree["compound_b"].pk, compound_c.pk}
    action = {"action": "grant_activity_funds", "_selected_action": [standard.pk]}

    first = client.post(changelist("annualfunding"), action, follow=True)
    second = client.post(changelist("annualfunding"), action, follow=True)

    granted = FundAllocation.objects.filter(year=today().year, source=FundSource.ACTIVITY_FUND)
    assert sorted(granted.values_list("organization_id", flat=True)) == sorted(branches)
    assert set(granted.values_list("amount", flat=True)) == {Decimal("1000.00")}
    assert messages_of(first) == [
        service_message(
            "Activity fund of %(year)s granted: %(count)d branches, %(amount)s yuan each.",
            year=today().year,
            count=3,
            amount=Decimal("1000.00"),
        )
    ]
    assert messages_of(second) == [
        service_message("Activity fund of %(year)s: every operating branch already has it.", year=today().year)
    ]
    assert "已拨付" in messages_of(first)[0]


def test_street_staff_read_the_standard_but_neither_set_it_nor_grant(tree, street_a, client):
    standard = services.funding_standard_set(year=today().year, activity_fund=Decimal("1000.00"))

    listing = client.get(changelist("annualfunding"))
    add = client.get(reverse("admin:organizations_annualfunding_add"))
    client.post(changelist("annualfunding"), {"action": "grant_activity_funds", "_selected_action": [standard.pk]})

    assert listing.status_code == 200 and str(today().year) in result_rows(listing)
    assert "grant_activity_funds" not in body(listing)
    assert add.status_code == 403
    assert not FundAllocation.objects.exists()


def test_setting_the_standard_twice_for_a_year_is_refused(district, client):
    url = reverse("admin:organizations_annualfunding_add")
    data = {"year": "2025", "activity_fund": "1000.00", "secretary_allowance": "600.00"}

    first = client.post(url, data)
    second = client.post(url, {**data, "activity_fund": "1500.00"})

    assert first.status_code == 302, body(first)[:3000]
    assert second.status_code == 200 and second.context["adminform"].form.errors
    assert AnnualFunding.objects.get(year=2025).activity_fund == Decimal("1000.00")


def test_an_allowance_goes_only_to_the_branch_secretary(gov_a, district, client):
    other = make_member(name="普通党员", home_organization=gov_a["org"], residence=gov_a["unit"])
    url = reverse("admin:organizations_allowance_add")
    base = {"organization": gov_a["org"].pk, "year": str(today().year - 1), "paid_on": today().isoformat()}
    services.funding_standard_set(
        year=today().year - 1, activity_fund=Decimal("1000"), secretary_allowance=Decimal("500")
    )

    refused = client.post(url, {**base, "member": other.pk})
    paid = client.post(url, {**base, "member": gov_a["secretary"].pk})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["member"] == [
        service_message("%(member)s is not this branch's secretary.", member="普通党员")
    ]
    assert paid.status_code == 302, body(paid)[:3000]
    # No amount given: the year's standard.
    assert Allowance.objects.get(year=today().year - 1).amount == Decimal("500.00")


# --- the owners' committee ----------------------------------------------------------------------


def test_recording_a_term_makes_the_previous_one_history(gov_a, district, client):
    previous = gov_a["committee"]

    response = client.post(
        reverse("admin:organizations_ownerscommittee_add"),
        {"compound": gov_a["unit"].pk, "elected_on": "2025-05-01", "term_ends_on": "2030-04-30", "notes": "第二届"},
    )

    new = OwnersCommittee.objects.get(compound=gov_a["unit"], elected_on=date(2025, 5, 1))
    assert response.status_code == 302
    # Straight on to the new term's page, where its seats are added.
    assert response.url == reverse("admin:organizations_ownerscommittee_change", args=[new.pk])
    assert new.is_current and new.notes == "第二届"
    previous.refresh_from_db()
    assert previous.is_current is False
    assert list(OwnersCommittee.objects.filter(compound=gov_a["unit"], is_current=True)) == [new]


def test_a_term_elected_before_the_current_one_is_refused(gov_a, district, client):
    response = client.post(
        reverse("admin:organizations_ownerscommittee_add"),
        {"compound": gov_a["unit"].pk, "elected_on": "2019-05-01", "term_ends_on": "2024-04-30"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["elected_on"] == [
        service_message("The new term must be elected after the current one (elected on %(day)s).", day="2021年5月1日")
    ]
    assert OwnersCommittee.objects.filter(compound=gov_a["unit"]).count() == 1
    assert OwnersCommittee.objects.get(pk=gov_a["committee"].pk).is_current


def seats_post(committee, seats: list[dict], extra: list[dict]) -> dict:
    """The term's change form with its seats inline, as the browser posts it."""
    data = {
        "elected_on": committee.elected_on.isoformat(),
        "term_ends_on": committee.term_ends_on.isoformat(),
        "notes": committee.notes,
        "seats-TOTAL_FORMS": str(len(seats) + len(extra)),
        "seats-INITIAL_FORMS": str(len(seats)),
        "seats-MIN_NUM_FORMS": "0",
        "seats-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, row in enumerate([*seats, *extra]):
        data[f"seats-{i}-committee"] = str(committee.pk)
        for key, value in row.items():
            data[f"seats-{i}-{key}"] = str(value)
    return data


def test_seats_are_added_and_vacated_through_the_services(gov_a, district, client):
    committee, chair = gov_a["committee"], gov_a["seat"]
    neighbour = make_member(name="邻居党员", home_organization=gov_a["org"], residence=gov_a["unit"])
    url = reverse("admin:organizations_ownerscommittee_change", args=[committee.pk])
    existing = [{"id": chair.pk, "ended_on": "2024-06-30"}]
    extra = [
        {"position": CommitteePosition.MEMBER, "member": neighbour.pk, "name": ""},
        {"position": CommitteePosition.MEMBER, "name": "李业主"},
    ]

    response = client.post(url, seats_post(committee, existing, extra))

    assert response.status_code == 302, body(response)[:4000]
    chair.refresh_from_db()
    assert chair.ended_on == date(2024, 6, 30)
    added = dict(CommitteeSeat.objects.filter(committee=committee, ended_on__isnull=True).values_list("name", "member"))
    assert added == {"邻居党员": neighbour.pk, "李业主": None}


def test_a_seat_refused_by_its_service_is_shown_on_its_row_and_nothing_is_written(gov_a, tree, district, client):
    committee = gov_a["committee"]
    elsewhere = make_member(name="外小区党员", home_organization=tree["compound_b"], residence=tree["compound_b"].unit)
    url = reverse("admin:organizations_ownerscommittee_change", args=[committee.pk])
    extra = [
        {"position": CommitteePosition.MEMBER, "name": "王业主"},
        {"position": CommitteePosition.MEMBER, "member": elsewhere.pk},
    ]

    response = client.post(url, seats_post(committee, [{"id": gov_a["seat"].pk, "ended_on": ""}], extra))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[2].errors["member"] == [
        service_message("%(member)s does not live in %(compound)s.", member="外小区党员", compound=gov_a["unit"].name)
    ]
    assert not formset.forms[1].errors
    assert CommitteeSeat.objects.filter(committee=committee).count() == 1


def test_two_new_chairs_in_one_submission_are_refused(gov_a, district, client):
    committee, chair = gov_a["committee"], gov_a["seat"]
    services.committee_seat_end(seat=chair, ended_on=date(2024, 1, 1))
    url = reverse("admin:organizations_ownerscommittee_change", args=[committee.pk])
    extra = [
        {"position": CommitteePosition.CHAIR, "name": "赵业主"},
        {"position": CommitteePosition.CHAIR, "name": "钱业主"},
    ]

    response = client.post(url, seats_post(committee, [{"id": chair.pk, "ended_on": "2024-01-01"}], extra))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert not formset.forms[1].errors and formset.forms[2].errors
    assert CommitteeSeat.objects.filter(committee=committee).count() == 1


def test_committee_list_shows_seats_and_red(gov_a, district, client):
    services.committee_seat_add(committee=gov_a["committee"], position=CommitteePosition.MEMBER, name="李业主")
    bare = services.owners_committee_record(
        compound=make_unit(UnitType.COMPOUND, gov_a["org"], name="无党员业委会小区", parent=gov_a["unit"].parent),
        elected_on=date(2022, 1, 1),
        term_ends_on=date(2027, 1, 1),
    )
    services.committee_seat_add(committee=bare, position=CommitteePosition.CHAIR, name="孙业主")

    response = client.get(changelist("ownerscommittee"))

    rows = result_rows(response).split("<tr")
    red = next(r for r in rows if "甲小区党支部·单位" in r)
    plain = next(r for r in rows if "无党员业委会小区" in r)
    assert '<td class="field-seat_count">2</td>' in red and 'class="field-is_red_committee"><img' in red
    assert 'alt="True"' in red.split("field-is_red_committee")[1]
    assert 'alt="False"' in plain.split("field-is_red_committee")[1]
    assert "甲社区党委·单位" in red  # the community


def committee_csv(rows: list[list[str]]) -> SimpleUploadedFile:
    lines = ["小区编码,成立日期,届满日期,备注", *(",".join(r) for r in rows)]
    return SimpleUploadedFile("terms.csv", ("\n".join(lines) + "\n").encode("utf-8"), content_type="text/csv")


CSV_FORMAT = "1"  # IMPORT_EXPORT_FORMATS = [XLSX, CSV]


def test_street_staff_import_terms_through_the_admin(gov_a, gov_c, street_a, client):
    upload = client.post(
        reverse("admin:organizations_ownerscommittee_import"),
        {
            "resource": "0",
            "format": CSV_FORMAT,
            "import_file": committee_csv([[gov_a["unit"].code, "2025-05-01", "2030-04-30", "第二届"]]),
        },
    )
    assert upload.status_code == 200
    confirm = upload.context["confirm_form"]
    assert confirm is not None, body(upload)[:3000]
    assert not OwnersCommittee.objects.filter(elected_on=date(2025, 5, 1)).exists()  # the preview writes nothing

    done = client.post(reverse("admin:organizations_ownerscommittee_process_import"), confirm.initial)

    assert done.status_code == 302
    new = OwnersCommittee.objects.get(compound=gov_a["unit"], elected_on=date(2025, 5, 1))
    assert new.is_current and not OwnersCommittee.objects.get(pk=gov_a["committee"].pk).is_current


def test_an_admin_import_outside_the_users_street_is_refused(gov_a, gov_c, street_a, client):
    terms_before = OwnersCommittee.objects.count()

    upload = client.post(
        reverse("admin:organizations_ownerscommittee_import"),
        {
            "resource": "0",
            "format": CSV_FORMAT,
            "import_file": committee_csv(
                [
                    [gov_a["unit"].code, "2025-05-01", "2030-04-30", ""],
                    [gov_c["unit"].code, "2025-05-01", "2030-04-30", ""],
                ]
            ),
        },
    )

    assert upload.status_code == 200
    assert upload.context.get("confirm_form") is None
    outside = service_message("“%(obj)s” is outside your part of the organization tree.", obj=gov_c["unit"].name)
    assert outside in body(upload).replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert OwnersCommittee.objects.count() == terms_before


def test_admin_export_of_companies_holds_the_users_street_only(gov_a, gov_c, street_a, client):
    response = client.post(
        reverse("admin:organizations_propertycompany_export"),
        {
            "resource": "0",
            "format": CSV_FORMAT,
            **{
                f"propertycompanyresource_{f}": "on"
                for f in ("code", "name", "is_red", "party_organization", "contact")
            },
        },
    )

    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "代码,名称,红色物业,党组织代码,联系人"
    assert lines[1:] == [f"{gov_a['company'].code},甲物业公司,是,,"]


# --- the branch, property companies ---------------------------------------------------------------


def test_appoint_a_secretary_and_end_the_post_today(gov_a, district, client):
    successor = make_member(name="新书记", home_organization=gov_a["org"], residence=gov_a["unit"])
    url = reverse("admin:organizations_branchpost_add")

    appointed = client.post(
        url,
        {
            "organization": gov_a["org"].pk,
            "member": successor.pk,
            "position": BranchPosition.SECRETARY,
            "started_on": today().isoformat(),
        },
    )
    post = BranchPost.objects.get(member=successor)
    client.post(changelist("branchpost"), {"action": "end_today", "_selected_action": [post.pk]})

    assert appointed.status_code == 302, body(appointed)[:3000]
    # One secretary at a time: the previous one's post ended the day the new one started.
    assert BranchPost.objects.get(pk=gov_a["post"].pk).ended_on == today()
    post.refresh_from_db()
    assert post.ended_on == today()


def test_a_first_secretary_must_be_in_service(gov_a, district, client):
    retired = make_member(name="退休党员", home_organization=gov_a["org"], category=Category.RETIRED)

    response = client.post(
        reverse("admin:organizations_branchpost_add"),
        {
            "organization": gov_a["org"].pk,
            "member": retired.pk,
            "position": BranchPosition.FIRST_SECRETARY,
            "started_on": today().isoformat(),
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["member"] == [
        service_message("A first secretary is an in-service member sent to lead the branch.")
    ]
    assert not BranchPost.objects.filter(member=retired).exists()


def test_recorded_rows_are_read_only(gov_a, district, client):
    for model, key in [("expense", "expense"), ("activity", "activity"), ("fundallocation", "allocation")]:
        url = reverse(f"admin:organizations_{model}_change", args=[gov_a[key].pk])
        page = client.get(url)
        assert page.status_code == 200 and 'name="_save"' not in body(page), model
        assert client.post(url, {}).status_code == 403, model


def test_property_company_list_and_a_change_through_the_service(gov_a, tree, district, client):
    company = gov_a["company"]
    services.unit_update(unit=tree["bare_b"], property_company=company)

    rows = result_rows(client.get(changelist("propertycompany")))
    response = client.post(
        reverse("admin:organizations_propertycompany_change", args=[company.pk]),
        {
            "code": company.code,
            "name": "甲物业服务有限公司",
            "is_red": "",
            "party_organization": "",
            "contact": "周经理",
        },
    )

    assert '<td class="field-compound_count">2</td>' in rows
    assert response.status_code == 302, body(response)[:3000]
    company.refresh_from_db()
    assert (company.name, company.is_red, company.contact) == ("甲物业服务有限公司", False, "周经理")
    assert [h.history_type for h in company.history.order_by("history_date")] == ["+", "~"]


def test_a_duplicate_company_name_is_refused(gov_a, district, client):
    response = client.post(
        reverse("admin:organizations_propertycompany_add"), {"code": "PC-NEW", "name": "甲物业公司", "contact": ""}
    )

    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not PropertyCompany.objects.filter(code="PC-NEW").exists()


# --- personal data ------------------------------------------------------------------------------


def test_no_full_id_number_or_phone_on_governance_pages(gov_a, district, client):
    secretary = gov_a["secretary"]
    pages = [
        changelist("branchpost"),
        reverse("admin:organizations_branchpost_change", args=[gov_a["post"].pk]),
        changelist("allowance"),
        reverse("admin:organizations_allowance_change", args=[gov_a["allowance"].pk]),
        reverse("admin:organizations_ownerscommittee_change", args=[gov_a["committee"].pk]),
        reverse("admin:autocomplete")
        + f"?app_label=organizations&model_name=branchpost&field_name=member&term={secretary.name}",
    ]
    for url in pages:
        response = client.get(url)
        is_json = response["Content-Type"].startswith("application/json")
        text = json.dumps(response.json(), ensure_ascii=False) if is_json else body(response)
        assert response.status_code == 200, url
        assert secretary.name in text, url
        assert secretary.id_number not in text and secretary.phone not in text, url
        assert not FULL_ID.findall(text) and not FULL_PHONE.findall(text), url


# --- query budgets --------------------------------------------------------------------------------


def _companies(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        company = services.property_company_create(code=f"PC-{i:03d}", name=f"物业{i}", is_red=bool(i % 2))
        make_unit(UnitType.COMPOUND, ctx["org"], parent=ctx["unit"].parent, property_company=company)


def _committees(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        unit = make_unit(UnitType.COMPOUND, ctx["org"], parent=ctx["unit"].parent)
        committee = services.owners_committee_record(
            compound=unit, elected_on=date(2022, 1, 1), term_ends_on=date(2027, 1, 1)
        )
        services.committee_seat_add(committee=committee, position=CommitteePosition.CHAIR, name=f"业主{i}")


def _posts(ctx, start: int, count: int) -> None:
    for _i in range(count):
        member = make_member(home_organization=ctx["org"], residence=ctx["unit"])
        services.branch_post_appoint(
            organization=ctx["org"],
            member=member,
            position=BranchPosition.COMMITTEE_MEMBER,
            started_on=date(2024, 1, 1),
        )


def _venues(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        services.venue_create(unit=ctx["unit"], name=f"活动室{i}", kind=VenueKind.OUTDOOR)


def _activities(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        services.activity_record(
            compound=ctx["unit"], kind=ActivityKind.STUDY, title=f"学习{i}", held_on=today(), attendance=5,
            venue=ctx["venue"],
        )  # fmt: skip


def _allocations(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        allocation = services.fund_allocation_create(
            organization=ctx["org"], year=today().year, source=FundSource.PUBLIC_REVENUE, amount=Decimal("300"),
            granted_on=today(), resolution_ref=f"业主大会决议{i}",
        )  # fmt: skip
        services.expense_record(
            allocation=allocation, amount=Decimal("10"), spent_on=today(), purpose="用品", receipt_number=f"R{i}"
        )


def _allowances(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        services.allowance_grant(organization=ctx["org"], year=1980 + i, member=ctx["secretary"], amount=Decimal("1"))


def _expenses(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        services.expense_record(
            allocation=ctx["allocation"], amount=Decimal("1"), spent_on=today(), purpose=f"支出{i}",
            receipt_number=f"R{i}",
        )  # fmt: skip


def _standards(ctx, start: int, count: int) -> None:
    for i in range(start, start + count):
        services.funding_standard_set(year=2000 + i, activity_fund=Decimal("1000"))


@pytest.mark.parametrize("street", [False, True], ids=["district", "street"])
@pytest.mark.parametrize(
    ("model", "make"),
    [
        ("propertycompany", _companies),
        ("ownerscommittee", _committees),
        ("branchpost", _posts),
        ("venue", _venues),
        ("activity", _activities),
        ("fundallocation", _allocations),
        ("allowance", _allowances),
        ("expense", _expenses),
        ("annualfunding", _standards),
    ],
)
def test_changelist_queries_do_not_grow_with_rows(
    tree, gov_a, gov_c, client, django_assert_num_queries, model, make, street
):
    client.force_login(staff_user(tree["street_a"] if street else tree["root"], street=street))
    url = changelist(model)
    make(gov_a, 10, 3)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    make(gov_a, 20, 9)

    with django_assert_num_queries(len(few)):
        large = client.get(url)

    assert small.status_code == large.status_code == 200
    assert result_rows(large).count("<tr") - result_rows(small).count("<tr") == 9
