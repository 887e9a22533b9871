"""The roster admin as district staff use it: masked personal data unless permitted (and then recorded),
writes through the services, the scoping rule, the roster import with its preview, the export, the
actions on report-ins, posts and floating records, and query budgets that do not grow with rows."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members import services
from members.idnumbers import make_id_number
from members.models import (
    Category,
    CheckIn,
    FloatingRecord,
    Member,
    MembershipTransfer,
    PersonalDataAccess,
    PostKind,
    VolunteerPost,
)
from members.roster import ROSTER_COLUMNS
from organizations.models import Role
from yiling.privacy import mask_id_number, mask_phone

from ..organizations.factories import grant_admin, user_with_role
from .factories import id_number, make_member

pytestmark = pytest.mark.django_db

MEMBER_MODELS = (Member, CheckIn, VolunteerPost, FloatingRecord, MembershipTransfer, PersonalDataAccess)
CHANGELIST = "admin:members_member_changelist"
#: Anything shaped like a full ID number or mobile number.
FULL_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])")
FULL_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def staff_user(tree, *, full: bool, role: str = Role.DISTRICT_STAFF, organization=None):
    """Admin staff with every permission on the roster models, the personal-data one only if ``full``."""
    user = user_with_role(role, organization=organization or tree["root"])
    grant_admin(user, *MEMBER_MODELS)
    if not full:
        user.user_permissions.remove(Permission.objects.get(codename="view_personal_data"))
    return user


@pytest.fixture(autouse=True)
def import_dir(tmp_path, monkeypatch):
    """Uploaded rosters wait in the test's own directory."""
    monkeypatch.setattr("members.admin.MemberAdmin.import_dir", tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def staff(tree, client):
    user = staff_user(tree, full=False)
    client.force_login(user)
    return user


@pytest.fixture
def full_staff(tree, client):
    user = staff_user(tree, full=True)
    client.force_login(user)
    return user


@pytest.fixture
def member(tree):
    return make_member(name="张三", home_organization=tree["compound_a"], residence=tree["compound_a"].unit)


def body(response) -> str:
    return response.content.decode()


def personal_data_in(text: str) -> list[str]:
    return FULL_ID.findall(text) + FULL_PHONE.findall(text)


def result_rows(response) -> str:
    """The changelist's table of results (what the search found), without the search box."""
    return body(response).split('id="result_list"', 1)[1].split("</table>", 1)[0]


def member_data(member: Member, **overrides) -> dict[str, str]:
    """The change form's fields as the browser would post them back."""
    data = {
        "name": member.name,
        "gender": member.gender,
        "ethnicity": member.ethnicity,
        "birth_date": member.birth_date.isoformat(),
        "id_number": member.id_number,
        "phone": member.phone,
        "education": member.education,
        "joined_on": member.joined_on.isoformat(),
        "full_member_on": member.full_member_on.isoformat() if member.full_member_on else "",
        "status": member.status,
        "category": member.category,
        "home_organization": str(member.home_organization_id or ""),
        "external_organization": member.external_organization,
        "employer": str(member.employer_id or ""),
        "residence": str(member.residence_id or ""),
        "_save": "Save",
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- personal data on the changelist, the change form and the history ---------------------------


def test_changelist_masks_id_numbers_and_phones(tree, staff, client, member):
    other = make_member(name="李四", home_organization=tree["comm_c"])

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    text = body(response)
    assert "张三" in text and "李四" in text
    assert mask_id_number(member.id_number) in text and mask_phone(other.phone) in text
    assert personal_data_in(text) == []


def test_changelist_stays_masked_for_a_user_with_the_permission(tree, full_staff, client, member):
    response = client.get(reverse(CHANGELIST))

    assert mask_id_number(member.id_number) in body(response)
    assert personal_data_in(result_rows(response)) == []
    assert not PersonalDataAccess.objects.exists()


def test_search_by_a_whole_id_number_finds_that_member_only(tree, full_staff, client, member):
    make_member(name="李四", home_organization=tree["compound_a"])

    found = client.get(reverse(CHANGELIST), {"q": member.id_number})
    by_part = client.get(reverse(CHANGELIST), {"q": member.id_number[:14]})
    by_name = client.get(reverse(CHANGELIST), {"q": "李"})

    rows = result_rows(found)
    assert "张三" in rows and "李四" not in rows
    assert mask_id_number(member.id_number) in rows
    # Not even the number searched for: the search box and the links carry it masked, and
    # following them (sorting, filtering) still finds the member, among all who share the
    # province and city the mask keeps.
    assert personal_data_in(body(found)) == []
    masked = client.get(reverse(CHANGELIST), {"q": mask_id_number(member.id_number), "o": "-1"})
    assert "张三" in result_rows(masked) and "李四" in result_rows(masked)
    elsewhere = client.get(reverse(CHANGELIST), {"q": "1101" + "*" * 14})
    assert "张三" not in body(elsewhere)
    assert "张三" not in body(by_part)
    assert "李四" in result_rows(by_name) and "张三" not in result_rows(by_name)


def test_without_the_permission_an_id_number_is_searched_as_a_name(tree, staff, client, member):
    # A whole number typed in would answer "is this person on the roster?"; a "masked" form could
    # carry more digits than the mask shows. Both find what a name search would: nobody.
    tried = [member.id_number, mask_id_number(member.id_number), member.id_number[:4] + "*" * 10 + "0000"]

    responses = [client.get(reverse(CHANGELIST), {"q": term}) for term in tried]

    for response in responses:
        assert response.status_code == 200
        assert 'id="result_list"' not in body(response) and "张三" not in body(response)
        assert personal_data_in(body(response)) == []
    help_text = body(responses[0]).split('id="searchbar_helptext">', 1)[1].split("<", 1)[0]
    assert help_text == "按姓名搜索"


def test_change_form_without_the_permission_shows_masked_values_that_cannot_be_edited(staff, client, member):
    url = reverse("admin:members_member_change", args=[member.pk])

    response = client.get(url)

    text = body(response)
    assert response.status_code == 200
    assert mask_id_number(member.id_number) in text and mask_phone(member.phone) in text
    assert personal_data_in(text) == []
    assert 'name="id_number"' not in text and 'name="phone"' not in text
    assert not PersonalDataAccess.objects.exists()

    # A posted ID number or phone is ignored: the fields are not on the form.
    posted = client.post(url, member_data(member, name="张三丰", id_number=id_number(), phone="13700000000"))

    assert posted.status_code == 302, body(posted)[:3000]
    member.refresh_from_db()
    saved = Member.objects.get(pk=member.pk)
    assert (saved.name, saved.id_number, saved.phone) == ("张三丰", member.id_number, member.phone)
    assert saved.history.first().history_user == staff


def test_change_form_with_the_permission_shows_full_values_and_records_the_view(full_staff, client, member):
    response = client.get(reverse("admin:members_member_change", args=[member.pk]))

    text = body(response)
    assert f'value="{member.id_number}"' in text and f'value="{member.phone}"' in text
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.member, access.member_name, access.purpose) == (full_staff, member, "张三", "admin")


def test_history_is_masked_without_the_permission(tree, client, member):
    old_id, old_phone = member.id_number, member.phone
    editor = staff_user(tree, full=True)
    client.force_login(editor)
    new_id = make_id_number("420506", date(1975, 3, 3), 457)
    client.post(
        reverse("admin:members_member_change", args=[member.pk]),
        member_data(member, id_number=new_id, birth_date="1975-03-03", phone="13611112222"),
    )
    assert Member.objects.get(pk=member.pk).id_number == new_id
    client.force_login(staff_user(tree, full=False))

    history = client.get(reverse("admin:members_member_history", args=[member.pk]))
    oldest = member.history.last()
    old_version = client.get(reverse("admin:members_member_simple_history", args=[member.pk, oldest.history_id]))

    text = body(history)
    assert history.status_code == 200
    assert mask_id_number(old_id) in text and mask_id_number(new_id) in text and mask_phone(old_phone) in text
    assert personal_data_in(text) == []
    assert old_version.status_code == 200
    assert mask_id_number(old_id) in body(old_version) and personal_data_in(body(old_version)) == []


def test_history_shows_full_values_to_a_user_with_the_permission_and_records_it(full_staff, client, member):
    services.member_update(member=member, phone="13611112222")
    history = client.get(reverse("admin:members_member_history", args=[member.pk]))

    assert "13611112222" in body(history)
    assert PersonalDataAccess.objects.filter(user=full_staff, member=member, purpose="admin").count() == 1


def test_reverting_to_an_old_version_saves_through_the_services(full_staff, client, member):
    old_phone = member.phone
    services.member_update(member=member, phone="13611112222", name="张三改")
    oldest = member.history.last()
    url = reverse("admin:members_member_simple_history", args=[member.pk, oldest.history_id])
    data = member_data(Member.objects.get(pk=member.pk), name="张三", phone=old_phone)

    response = client.post(url, data)

    assert response.status_code == 302, body(response)[:3000]
    reverted = Member.objects.get(pk=member.pk)
    assert (reverted.name, reverted.phone) == ("张三", old_phone)
    assert reverted.history.first().history_user == full_staff


def test_delete_confirmation_shows_no_personal_data(staff, client, member):
    response = client.get(reverse("admin:members_member_delete", args=[member.pk]))

    assert response.status_code == 200 and "张三" in body(response)
    assert personal_data_in(body(response)) == []


# --- writes through the services ----------------------------------------------------------------


def test_add_a_member_with_id_number_and_phone(tree, staff, client):
    number = id_number()
    data = member_data(
        Member(
            name="王五",
            gender="male",
            birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            id_number=number,
            phone="13512345678",
            joined_on=date(2005, 7, 1),
            full_member_on=date(2006, 7, 1),
            status="full",
            category=Category.RETIRED,
            home_organization=tree["compound_a"],
            residence=tree["compound_a"].unit,
        )
    )

    response = client.post(reverse("admin:members_member_add"), data)

    assert response.status_code == 302, body(response)[:3000]
    created = Member.objects.get(id_number=number)
    assert (created.name, created.phone, created.home_organization) == ("王五", "13512345678", tree["compound_a"])
    assert created.history.get().history_user == staff
    assert personal_data_in(" ".join(messages_of(response))) == []


def test_add_with_an_id_number_already_on_the_roster_shows_the_form_again(staff, client, member):
    data = member_data(member, name="重复")

    response = client.post(reverse("admin:members_member_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Member.objects.count() == 1


def new_member_data(tree, number: str, **overrides) -> dict[str, str]:
    """The add form filled in for a new member of compound A with ``number``."""
    birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    data = member_data(
        Member(
            name="王五",
            gender="male",
            birth_date=birth,
            id_number=number,
            phone="13512345678",
            joined_on=date(birth.year + 25, 7, 1),
            status="probationary",
            category=Category.RETIRED,
            home_organization=tree["compound_a"],
            residence=tree["compound_a"].unit,
        )
    )
    data.update(overrides)
    return data


def without_csrf(response) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)


@pytest.mark.parametrize("full", [False, True])
def test_street_staff_add_no_members_by_hand_so_a_number_out_of_sight_reads_like_a_new_one(tree, client, full):
    # Held and living in street B: out of street A's sight.
    hidden = make_member(name="丙街党员", home_organization=tree["comm_c"], residence=tree["comm_c"].unit)
    client.force_login(staff_user(tree, full=full, role=Role.STREET_STAFF, organization=tree["street_a"]))
    url = reverse("admin:members_member_add")

    taken = client.post(url, new_member_data(tree, hidden.id_number))
    never_used = client.post(url, new_member_data(tree, id_number()))

    # The same answer, to the byte (but the CSRF token, new on every page), for a number someone out
    # of sight holds and a number nobody holds.
    assert (taken.status_code, without_csrf(taken)) == (never_used.status_code, without_csrf(never_used))
    assert taken.status_code == 403
    assert "already exists" not in body(taken) and "已存在" not in body(taken)
    assert Member.objects.count() == 1
    assert client.get(url).status_code == 403
    changelist = client.get(reverse(CHANGELIST))
    assert changelist.status_code == 200 and url not in body(changelist)
    # The roster import stays open to them, for the members they can see.
    assert reverse("admin:members_member_import") in body(changelist)


def test_street_staff_with_the_permission_cannot_change_an_id_number(tree, client, member):
    hidden = make_member(name="丙街党员", home_organization=tree["comm_c"], residence=tree["comm_c"].unit)
    client.force_login(staff_user(tree, full=True, role=Role.STREET_STAFF, organization=tree["street_a"]))
    url = reverse("admin:members_member_change", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200 and member.id_number in body(page)
    assert 'name="id_number"' not in body(page)

    taken = client.post(url, member_data(member, id_number=hidden.id_number, name="张三丰"))
    never_used = client.post(url, member_data(member, id_number=id_number(), name="张三丰"))

    assert (taken.status_code, taken["Location"]) == (never_used.status_code, never_used["Location"])
    assert taken.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.id_number) == ("张三丰", member_data(member)["id_number"])
    assert Member.objects.filter(id_number=hidden.id_number).get() == hidden


def test_district_staff_still_add_members_and_change_id_numbers(tree, full_staff, client, member):
    number = id_number()

    added = client.post(reverse("admin:members_member_add"), new_member_data(tree, number))
    changed = client.post(
        reverse("admin:members_member_change", args=[member.pk]), member_data(member, id_number=id_number())
    )

    assert added.status_code == 302 and Member.objects.filter(id_number=number).exists()
    assert changed.status_code == 302
    assert Member.objects.get(pk=member.pk).id_number != member.id_number


def test_a_new_holder_of_the_membership_is_recorded_as_a_transfer(tree, staff, client, member):
    url = reverse("admin:members_member_change", args=[member.pk])
    data = member_data(member, home_organization=str(tree["comm_a"].pk))
    data.pop("id_number"), data.pop("phone")

    without_reason = client.post(url, data)
    with_reason = client.post(url, {**data, "transfer_reason": "工作调动"})

    assert without_reason.status_code == 200
    assert "transfer_reason" in without_reason.context["adminform"].form.errors
    assert with_reason.status_code == 302, body(with_reason)[:3000]
    transfer = MembershipTransfer.objects.get()
    assert (transfer.from_organization, transfer.to_organization) == (tree["compound_a"], tree["comm_a"])
    assert (transfer.reason, transfer.recorded_by, transfer.transferred_on) == (
        "工作调动",
        staff,
        timezone.localdate(),
    )
    assert Member.objects.get(pk=member.pk).home_organization == tree["comm_a"]


# --- scoping ------------------------------------------------------------------------------------


def test_street_staff_see_only_their_street(tree, client, member):
    elsewhere = make_member(name="丙街党员", home_organization=tree["comm_c"])
    street_a = staff_user(tree, full=False, role=Role.STREET_STAFF, organization=tree["street_a"])
    client.force_login(street_a)

    listing = client.get(reverse(CHANGELIST))
    change = client.get(reverse("admin:members_member_change", args=[elsewhere.pk]))
    history = client.get(reverse("admin:members_member_history", args=[elsewhere.pk]))

    assert "张三" in result_rows(listing) and "丙街党员" not in result_rows(listing)
    assert change.status_code == 302 and change.url == reverse("admin:index")
    assert history.status_code in (403, 404)


def test_saving_keeps_a_residence_outside_the_users_reach(tree, client):
    # Held in street A, living in a community of street B.
    member = make_member(name="跨街党员", home_organization=tree["compound_a"], residence=tree["comm_c"].unit)
    client.force_login(staff_user(tree, full=False, role=Role.STREET_STAFF, organization=tree["street_a"]))
    url = reverse("admin:members_member_change", args=[member.pk])

    form = client.get(url)
    data = member_data(member, name="跨街党员甲")
    data.pop("id_number"), data.pop("phone")
    saved = client.post(url, data)

    assert f'<option value="{member.residence_id}" selected>' in body(form)
    assert saved.status_code == 302, body(saved)[:3000]
    assert Member.objects.get(pk=member.pk).residence == tree["comm_c"].unit


# --- roster import --------------------------------------------------------------------------------


def roster_file(rows: list[list[str]]) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(ROSTER_COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "roster.xlsx"
    return out


def roster_row(name: str, number: str, org_code: str) -> list[str]:
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    personal = [name, "男", "汉族", born, number, "13800001111", "本科"]
    party = ["2005-07-01", "2006-07-01", "正式党员", "退休", org_code, "", "", ""]
    return personal + party  # in ROSTER_COLUMNS order


def test_import_preview_shows_problems_by_row_and_column_and_writes_nothing(tree, staff, client):
    good = roster_row("赵六", id_number(), tree["compound_a"].code)
    bad = roster_row("钱七", "420506198005170000", tree["compound_a"].code)

    response = client.post(reverse("admin:members_member_import"), {"file": roster_file([good, bad])})

    text = html.unescape(body(response))
    assert response.status_code == 200
    assert re.search(r"第 3 行，公民身份号码 列：.+", text), text
    assert 'id="import-confirm"' not in text
    assert "赵六" in text and personal_data_in(text) == []
    assert not Member.objects.exists()


def test_import_confirmed_after_the_preview_writes_the_roster(tree, staff, client, import_dir):
    numbers = [id_number(), id_number()]
    rows = [roster_row(f"孙{i}", n, tree["compound_a"].code) for i, n in enumerate(numbers)]
    url = reverse("admin:members_member_import")

    preview = client.post(url, {"file": roster_file(rows)})
    token = re.search(r'name="token" value="([0-9a-f]+)"', body(preview)).group(1)
    assert not Member.objects.exists()
    assert mask_id_number(numbers[0]) in body(preview) and personal_data_in(body(preview)) == []

    confirmed = client.post(url, {"token": token})

    assert confirmed.status_code == 302 and confirmed.url == reverse(CHANGELIST)
    assert set(Member.objects.values_list("id_number", flat=True)) == set(numbers)
    assert any("新增 2，更新 0，未变 0" in m for m in messages_of(confirmed))
    assert list(import_dir.iterdir()) == []  # the upload is gone once imported
    # The token is spent: posting it again imports nothing twice.
    again = client.post(url, {"token": token})
    assert again.status_code == 302 and Member.objects.count() == 2


def test_import_with_an_organization_code_outside_the_users_reach_is_refused(tree, client):
    client.force_login(staff_user(tree, full=False, role=Role.STREET_STAFF, organization=tree["street_a"]))
    rows = [roster_row("周八", id_number(), "")]

    response = client.post(
        reverse("admin:members_member_import"), {"file": roster_file(rows), "organization": tree["comm_c"].code}
    )

    assert response.status_code == 200 and "organization" in response.context["form"].errors
    assert not Member.objects.exists()


def test_import_needs_the_add_and_change_permissions(tree, client):
    user = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    grant_admin(user)
    user.user_permissions.add(Permission.objects.get(codename="view_member"))
    client.force_login(user)

    assert client.get(reverse("admin:members_member_import")).status_code == 403
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert reverse("admin:members_member_import") not in body(client.get(reverse(CHANGELIST)))


# --- roster export --------------------------------------------------------------------------------


def exported(response) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]


def test_export_without_the_permission_is_masked(tree, staff, client, member):
    response = client.get(reverse("admin:members_member_export"), {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="members-{timezone.localdate():%Y%m%d}.xlsx"'
    header, *rows = exported(response)
    row = rows[0]
    assert row[header.index("公民身份号码")] == mask_id_number(member.id_number)
    assert row[header.index("联系电话")] == mask_phone(member.phone)
    assert not PersonalDataAccess.objects.exists()


def test_export_with_the_permission_is_full_and_records_each_member(tree, full_staff, client, member):
    other = make_member(name="李四", home_organization=tree["comm_c"])

    response = client.post(reverse("admin:members_member_export") + "?format=xlsx")

    header, *rows = exported(response)
    assert {r[header.index("公民身份号码")] for r in rows} == {member.id_number, other.id_number}
    accesses = PersonalDataAccess.objects.filter(user=full_staff, purpose="export")
    assert sorted(accesses.values_list("member_name", flat=True)) == ["张三", "李四"]


def test_a_full_export_is_a_post_with_csrf_and_a_followed_link_gets_the_masked_file(tree, full_staff, member):
    # A link someone sends (a GET) must not file an export of full personal data in the user's name.
    client = Client(enforce_csrf_checks=True)
    client.force_login(full_staff)
    url = reverse("admin:members_member_export") + "?format=xlsx"

    followed = client.get(url)
    forged = client.post(url)
    listing = client.get(reverse(CHANGELIST))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body(listing)).group(1)
    asked = client.post(url, {"csrfmiddlewaretoken": token})

    header, *rows = exported(followed)
    assert rows[0][header.index("公民身份号码")] == mask_id_number(member.id_number)
    assert rows[0][header.index("联系电话")] == mask_phone(member.phone)
    assert forged.status_code == 403
    header, *rows = exported(asked)
    assert rows[0][header.index("公民身份号码")] == member.id_number
    assert list(PersonalDataAccess.objects.values_list("user", "member_name", "purpose")) == [
        (full_staff.pk, "张三", "export")
    ]
    # The changelist offers the full export as buttons of POST forms, not as links.
    text = body(listing)
    assert '<form method="post" action="/admin/members/member/export/?&amp;format=xlsx" class="export-form">' in text
    assert 'href="/admin/members/member/export/' not in text


def test_without_the_permission_the_changelist_links_to_the_masked_export(tree, staff, client, member):
    text = body(client.get(reverse(CHANGELIST)))

    assert 'href="/admin/members/member/export/?&amp;format=xlsx"' in text and "export-form" not in text
    header, *rows = exported(client.post(reverse("admin:members_member_export") + "?format=xlsx"))
    assert rows[0][header.index("公民身份号码")] == mask_id_number(member.id_number)
    assert not PersonalDataAccess.objects.exists()
    assert client.put(reverse("admin:members_member_export") + "?format=xlsx").status_code == 405


def test_export_holds_what_the_changelist_shows(tree, full_staff, client, member):
    make_member(name="在职党员", home_organization=tree["comm_c"], category=Category.IN_SERVICE)

    csv_response = client.post(reverse("admin:members_member_export") + "?format=csv&category=retired")

    text = csv_response.content.decode("utf-8-sig")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "张三" in text and "在职党员" not in text
    assert PersonalDataAccess.objects.filter(purpose="export").count() == 1
    # The changelist links to the export with its own filters.
    listing = body(client.get(reverse(CHANGELIST), {"category": "retired"}))
    assert 'action="/admin/members/member/export/?category=retired&amp;format=xlsx"' in listing


# --- report-ins, posts, floating records ----------------------------------------------------------


@pytest.fixture
def in_service(tree):
    return make_member(
        name="在职甲",
        home_organization=tree["compound_a"],
        residence=tree["compound_a"].unit,
        category=Category.IN_SERVICE,
        employer=tree["agency"],
    )


def test_confirm_selected_report_ins_through_the_service(tree, staff, client, in_service):
    pending = services.checkin_submit(member=in_service, unit=tree["compound_a"].unit)
    other = make_member(residence=tree["compound_a"].unit, category=Category.IN_SERVICE)
    decided = services.checkin_submit(member=other, unit=tree["compound_a"].unit)
    services.checkin_return(checkin=decided, by=None, reason="信息不全")

    response = client.post(
        reverse("admin:members_checkin_changelist"),
        {"action": "confirm_selected", "_selected_action": [pending.pk, decided.pk]},
        follow=True,
    )

    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == (CheckIn.Status.CONFIRMED, staff)
    assert CheckIn.objects.get(pk=decided.pk).status == CheckIn.Status.RETURNED
    shown = messages_of(response) or [str(m) for m in response.context["messages"]]
    assert any("已确认 1 条报到。" in m for m in shown)
    assert any("该报到已处理" in m for m in shown)


def test_add_a_report_in_checks_the_service_rules(tree, staff, client, in_service, member):
    url = reverse("admin:members_checkin_add")

    refused = client.post(url, {"member": member.pk, "unit": tree["compound_a"].unit.pk})
    accepted = client.post(url, {"member": in_service.pk, "unit": tree["compound_a"].unit.pk})

    assert refused.status_code == 200
    assert "只有在职党员需要到居住地报到" in " ".join(refused.context["adminform"].form.non_field_errors())
    assert accepted.status_code == 302, body(accepted)[:3000]
    assert CheckIn.objects.get().member == in_service


def test_assign_a_post_and_end_it_today(tree, staff, client, member):
    compound = tree["compound_a"].unit
    elsewhere = make_member(home_organization=tree["compound_a"], residence=tree["bare_b"])

    refused = client.post(
        reverse("admin:members_volunteerpost_add"),
        {"member": elsewhere.pk, "compound": compound.pk, "post": PostKind.SAFETY, "started_on": "2026-01-05"},
    )
    added = client.post(
        reverse("admin:members_volunteerpost_add"),
        {"member": member.pk, "compound": compound.pk, "post": PostKind.SAFETY, "started_on": "2026-01-05"},
    )
    post = VolunteerPost.objects.get()
    client.post(
        reverse("admin:members_volunteerpost_changelist"), {"action": "end_today", "_selected_action": [post.pk]}
    )

    assert refused.status_code == 200 and "member" in refused.context["adminform"].form.errors
    assert added.status_code == 302, body(added)[:3000]
    post.refresh_from_db()
    assert (post.member, post.ended_on) == (member, timezone.localdate())


def test_open_a_floating_record_and_close_it_today(tree, staff, client, member):
    url = reverse("admin:members_floatingrecord_add")
    base = {"member": member.pk, "place": "成都", "reason": "随子女居住", "started_on": "2025-01-01"}

    refused = client.post(url, {**base, "direction": "incoming"})  # incoming needs a local unit
    added = client.post(url, {**base, "direction": "incoming", "local_unit": tree["compound_a"].unit.pk})
    record = FloatingRecord.objects.get()
    client.post(
        reverse("admin:members_floatingrecord_changelist"), {"action": "close_today", "_selected_action": [record.pk]}
    )

    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    assert added.status_code == 302, body(added)[:3000]
    record.refresh_from_db()
    assert record.ended_on == timezone.localdate()


def test_transfers_and_the_access_log_are_read_only(tree, full_staff, client, member):
    services.member_transfer(
        member=member, to_organization=tree["comm_a"], transferred_on=date(2026, 3, 1), reason="调整"
    )
    services.personal_data_viewed(user=full_staff, members=[member], purpose="page")

    for model in ("membershiptransfer", "personaldataaccess"):
        listing = client.get(reverse(f"admin:members_{model}_changelist"))
        assert listing.status_code == 200 and "张三" in body(listing)
        assert client.get(reverse(f"admin:members_{model}_add")).status_code == 403


# --- query budgets --------------------------------------------------------------------------------


def _members(tree, count: int) -> None:
    for i in range(count):
        org = tree["compound_a"] if i % 2 else tree["comm_c"]
        make_member(home_organization=org, residence=org.unit, category=Category.IN_SERVICE, employer=tree["agency"])


def _checkins(tree, count: int) -> None:
    unit = tree["compound_a"].unit
    for _i in range(count):
        m = make_member(home_organization=tree["compound_a"], residence=unit, category=Category.IN_SERVICE)
        services.checkin_confirm(checkin=services.checkin_submit(member=m, unit=unit), by=None)


def _posts(tree, count: int) -> None:
    unit = tree["compound_a"].unit
    for _i in range(count):
        m = make_member(home_organization=tree["compound_a"], residence=unit)
        services.volunteer_post_assign(member=m, compound=unit, post=PostKind.PATROL, started_on=date(2026, 1, 1))


def _floating(tree, count: int) -> None:
    for _i in range(count):
        m = make_member(home_organization=tree["compound_a"])
        services.floating_record_open(
            member=m, direction="incoming", place="成都", reason="务工", started_on=date(2025, 1, 1),
            local_unit=tree["compound_a"].unit,
        )  # fmt: skip


def _transfers(tree, count: int) -> None:
    for _i in range(count):
        m = make_member(home_organization=tree["compound_a"])
        services.member_transfer(member=m, to_organization=tree["comm_a"], transferred_on=date(2026, 1, 1), reason="调")


def _accesses(tree, count: int) -> None:
    viewer = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    services.personal_data_viewed(
        user=viewer, members=[make_member(home_organization=tree["compound_a"]) for _ in range(count)], purpose="page"
    )


@pytest.mark.parametrize(
    ("model", "make", "expected"),
    [
        # session, user, its permissions (2), its role assignments, the counts (2), the page
        ("member", _members, 8),
        ("checkin", _checkins, 8),
        ("volunteerpost", _posts, 8),
        ("floatingrecord", _floating, 8),
        # ... and the date hierarchy's range and its days
        ("membershiptransfer", _transfers, 10),
        ("personaldataaccess", _accesses, 10),
    ],
)
def test_changelist_queries_do_not_grow_with_rows(
    tree, staff, client, django_assert_num_queries, model, make, expected
):
    url = reverse(f"admin:members_{model}_changelist")
    make(tree, 3)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    make(tree, 6)

    with django_assert_num_queries(expected):
        large = client.get(url)

    assert small.status_code == large.status_code == 200
    assert len(few) == expected
    assert result_rows(large).count("<tr") - result_rows(small).count("<tr") == 6
