"""No admin list, export or autocomplete lets a user without ``members.view_personal_data`` filter,
search or sort on personal data.

The walk takes every model registered in the admin site, finds every path from it to a personal field
(``Model.personal_fields``: the member's ID number, phone and birth date), directly and through up
to two relations, and asks its changelist and its export for each path with every kind of lookup, a
value that matches nobody and one that matches the member, and for every ordering. Each answer must
be the refusal (400) or exactly what the same page shows without the parameter. The companions show
that a user with the permission is answered (so the walk can fail), and that sorting on a personal
column, were an admin to offer one, is refused too.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from members import services as member_services
from members.admin import MemberAdmin
from members.models import Category, Member
from organizations.models import Role
from tests.members.factories import make_member
from tests.organizations.factories import district_tree, grant_admin, user_with_role
from tests.organizations.test_governance_admin import governance_of
from tests.walks import REQUEST_LOGGERS, many_requests
from yiling.admin import SpreadsheetAdminMixin, personal_fields, touches_personal_data

pytestmark = pytest.mark.django_db

#: Lookups (and transforms) tried on every personal path, each with a value matching nobody; text
#: fields and date fields have their own.
TEXT_LOOKUPS = {
    "": "999999999999999999",
    "exact": "999999999999999999",
    "iexact": "999999999999999999",
    "contains": "99999999",
    "icontains": "99999999",
    "startswith": "9",
    "istartswith": "9",
    "endswith": "9999",
    "iendswith": "9999",
    "regex": "^Z",
    "iregex": "^Z",
    "gt": "9",
    "gte": "9",
    "lt": "0",
    "lte": "0",
    "range": "0,1",
    "in": "0,1",
    "isnull": "true",
    "length": "3",
    "length__gt": "30",
    "lower": "z",
    "lower__startswith": "z",
    "0": "z",
}
DATE_LOOKUPS = {
    "": "1800-01-01",
    "exact": "1800-01-01",
    "gt": "2100-01-01",
    "gte": "2100-01-01",
    "lt": "1800-01-01",
    "lte": "1800-01-01",
    "range": "1800-01-01,1800-01-02",
    "in": "1800-01-01",
    "isnull": "true",
    "year": "1800",
    "year__gt": "2100",
    "month": "13",
    "day": "32",
    "week_day": "9",
    "quarter": "9",
    "iso_year": "1800",
}
#: Relations followed from each model to find its paths to personal data.
DEPTH = 2


def personal_paths(model: type[Model], depth: int = DEPTH, seen: tuple[type[Model], ...] = ()) -> list[str]:
    """Every lookup path from ``model`` to a personal field, directly and through ``depth`` relations."""
    found = sorted(personal_fields(model))
    if depth == 0:
        return found
    for field in model._meta.get_fields():
        related = field.related_model if field.is_relation else None
        if related is None or related is model or related in seen or isinstance(related, str):
            continue
        found += [f"{field.name}__{path}" for path in personal_paths(related, depth - 1, (*seen, model))]
    return found


def lookups_of(path: str) -> dict[str, str]:
    return DATE_LOOKUPS if path.endswith("birth_date") else TEXT_LOOKUPS


def own_value(member: Member, path: str, lookup: str, nobody: str) -> str:
    """The member's own value for ``lookup`` on ``path`` (so a filter that was honoured keeps them)."""
    field = path.rsplit("__", 1)[-1]
    # merchants (issue 11): a complaint's contact phone is the victim's phone (see the victim fixture)
    value = getattr(member, {"contact_phone": "phone"}.get(field, field))
    if isinstance(value, date):
        return {"year": str(value.year), "month": str(value.month), "day": str(value.day)}.get(
            lookup, value.isoformat()
        )
    if lookup in ("startswith", "istartswith", "regex", "iregex"):
        return ("^" if "regex" in lookup else "") + value[:10]
    if lookup in ("range", "in"):
        return f"{value},{value}"
    if lookup.startswith("length"):
        return str(len(value))
    return value if lookup not in ("isnull", "0", "lower", "lower__startswith") else nobody


ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
GUARDED = [(model, model_admin) for model, model_admin in ADMINS if personal_paths(model)]


def admin_id(item) -> str:
    return item[0]._meta.label


def changelist_url(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def export_url(model: type[Model]) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    except NoReverseMatch:
        return None


# --- the district and its users -------------------------------------------------------------------


def make_victim(tree) -> Member:
    """A member on every kind of record (post, seat, allowance, report-in, floating, transfer, access log),
    among other members, in the street of the street staff."""
    unit = tree["compound_a"].unit
    for i in range(2):
        make_member(name=f"邻居{i}", home_organization=tree["compound_a"], residence=unit)
    make_member(name="丙街党员", home_organization=tree["comm_c"], residence=tree["comm_c"].unit)
    secretary = governance_of(tree["compound_a"], "甲")["secretary"]
    worker = make_member(
        name="在职党员", home_organization=tree["compound_a"], residence=unit, category=Category.IN_SERVICE,
        employer=tree["agency"],
    )  # fmt: skip
    member_services.checkin_submit(member=worker, unit=unit)
    member_services.volunteer_post_assign(member=secretary, compound=unit, post="patrol", started_on=date(2026, 1, 1))
    member_services.floating_record_open(
        member=secretary, direction="outgoing", place="深圳", reason="务工", started_on=date(2025, 1, 1)
    )
    member_services.member_transfer(
        member=worker, to_organization=tree["comm_a"], transferred_on=date(2026, 3, 1), reason="调整"
    )
    viewer = user_with_role(Role.DISTRICT_STAFF, organization=tree["root"])
    member_services.personal_data_viewed(user=viewer, members=[secretary, worker], purpose="page")
    # The accounts' phones are personal data too; a permission group (as seed_demo makes them) has
    # rows for a filter through its accounts to lose.
    Group.objects.create(name="district staff").user_set.add(viewer)
    # An account the street staff manage (a secretary in their street), for the accounts admin's rows.
    user_with_role(Role.COMMUNITY_SECRETARY, organization=tree["comm_a"])
    # --- notices (yiling.notices): rows in the programme, task, progress, notice, delivery and robot admins
    from tests.yiling.notices_factories import notices_for_admin_walk

    notices_for_admin_walk(tree)
    # --- end notices
    # --- merchants (issue 11): the victim runs a shop in a market of the street, with every record ---
    from merchants import services as merchant_services
    from tests.merchants.factories import make_market, make_merchant

    market = make_market(tree["street_a"], name="甲市场党总支")
    zone = merchant_services.zone_create(district=market.unit, name="一区", duties="巡查")
    merchant = make_merchant(market, operator=secretary, pledges="诚信经营", zone=zone)
    make_merchant(market)
    feedback = merchant_services.feedback_submit(
        merchant=merchant, kind="complaint", text="差", contact_phone=secretary.phone
    )
    merchant_services.contact_phone_viewed(user=viewer, feedback=feedback)
    cycle = merchant_services.rating_cycle_create(organization=market, year=2026, criteria="诚信")
    merchant_services.rating_record(cycle=cycle, merchant=merchant, inspection_score=30)
    team = merchant_services.team_create(organization=market, kind="patrol", name="巡逻队", members=[secretary])
    merchant_services.activity_record(team=team, held_on=date(2026, 5, 1), title="夜间巡逻")
    # --- end merchants ---
    # --- liaisons: a row for each liaisons admin, in the street of the street staff ---------------
    from liaisons import services as liaison_services
    from tests.liaisons.factories import long_ago, raise_demand

    pairing = liaison_services.liaison_start(agency=tree["agency"], compound=unit, started_on=long_ago(30))
    demand = raise_demand(unit, state="in_progress")
    liaison_services.contribution_record(liaison=pairing, kind="goods", given_on=long_ago(1), description="物资")
    liaison_services.deliberation_record(
        compound=unit, held_on=long_ago(1), topic="议事", attendees="张三", attendance=1, decisions="同意",
        demands=[demand],
    )  # fmt: skip
    # --- end liaisons -----------------------------------------------------------------------------
    # --- alliances (issue 13): a row of every alliances model, the member as an instructor ---
    from tests.alliances.factories import alliance_rows

    alliance_rows(tree["street_a"], instructor=secretary)
    # --- end alliances ---
    return secretary


def admin_of_everything(role: str, organization, *, full: bool):
    """A user with every admin permission on every registered model, personal data only if ``full``."""
    user = user_with_role(role, organization=organization)
    grant_admin(user, *(model for model, _admin in ADMINS))
    if not full:
        user.user_permissions.remove(Permission.objects.get(codename="view_personal_data"))
    assert user.has_perm("members.view_personal_data") is full
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The district, the member on every kind of record, and the three admins' clients: made once for
    the module, in a transaction rolled back at its end. Each test runs in a savepoint inside it (the
    ``django_db`` mark), so what a test writes is gone before the next. The walk's thousands of
    requests keep their sessions in cookies, load each admin (with their roles and permissions) once
    and log nothing (``tests/walks.py``: what that leaves out, and where it is tested)."""
    with django_db_blocker.unblock(), many_requests(), transaction.atomic():
        tree = district_tree()
        victim = make_victim(tree)
        yield {
            "tree": tree,
            "victim": victim,
            # Street staff, with every admin permission but the personal-data one.
            "masked": logged_in(masked := admin_of_everything(Role.STREET_STAFF, tree["street_a"], full=False)),
            "masked_user": masked,
            "masked_district": logged_in(admin_of_everything(Role.DISTRICT_STAFF, tree["root"], full=False)),
            "full": logged_in(admin_of_everything(Role.DISTRICT_STAFF, tree["root"], full=True)),
        }
        transaction.set_rollback(True)


@pytest.fixture
def tree(world):
    return world["tree"]


@pytest.fixture
def victim(world) -> Member:
    return world["victim"]


@pytest.fixture
def masked_client(world) -> Client:
    """Street staff, with every admin permission but the personal-data one."""
    return world["masked"]


@pytest.fixture
def masked_user(world):
    """The street staff member behind ``masked_client``."""
    return world["masked_user"]


@pytest.fixture
def masked_district_client(world) -> Client:
    return world["masked_district"]


@pytest.fixture
def full_client(world) -> Client:
    return world["full"]


# --- what an answer shows -------------------------------------------------------------------------

TAG = re.compile(r"<[^>]+>")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def shown(response) -> tuple[int, str]:
    """What a response tells: its status, and for a changelist the rows and the count of results
    (without the links, which carry the query string), for anything else its content."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "html" not in kind:
        return response.status_code, content.decode("utf-8", "replace")
    text = CSRF.sub("", content.decode())
    if 'id="changelist"' in text:
        rows = text.split('id="result_list"', 1)[1].split("</table>", 1)[0] if 'id="result_list"' in text else ""
        counter = re.findall(r'<(?:span|p) class="(?:small quiet|paginator)"[^>]*>(.*?)</(?:span|p)>', text, re.S)
        text = " ".join(TAG.sub(" ", rows + " ".join(counter)).split())
    return response.status_code, text


def refused_or_unchanged(client: Client, url: str, baseline: tuple[int, str], params: dict[str, str], method="get"):
    """None when the answer is the 400 refusal or the same as without the parameter, else what it showed."""
    sep = "&" if "?" in url else "?"
    response = getattr(client, method)(f"{url}{sep}{urlencode(params)}")
    answer = shown(response)
    if answer[0] == 400 or answer == baseline:
        return None
    return params, answer[0]


def honoured_ordering(model_admin, user, url: str, order: str) -> list | None:
    """What the changelist of ``url?o=order`` sorts ``user``'s rows by, or None when it refuses (the
    400 above). Its rows are read in that order; the page around them is not rendered, as the walk
    asks only what the rows are sorted by (644 column orderings, about 25 ms a rendered page)."""
    request = RequestFactory().get(url, {"o": order})
    request.user = user
    try:
        changelist = model_admin.get_changelist_instance(request)
    except DisallowedModelAdminLookup:
        return None
    list(changelist.result_list)
    return changelist.get_ordering(request, changelist.root_queryset)


# --- the guard's reading of paths ------------------------------------------------------------------


def test_which_paths_touch_personal_data():
    from django.db.models import F, Q
    from django.db.models.functions import Lower

    from members.models import CheckIn
    from organizations.models import OwnersCommittee
    from yiling.admin import referenced_paths

    assert touches_personal_data(Member, "id_number__startswith")
    assert touches_personal_data(Member, "-phone")
    assert touches_personal_data(CheckIn, "member__phone__lower__startswith")
    assert touches_personal_data(OwnersCommittee, "seats__member__birth_date__year")
    # The member's own ordering (name, pk) is what "sort by member" means: nothing personal.
    assert not touches_personal_data(CheckIn, "member")
    assert not touches_personal_data(CheckIn, "member__name__startswith")
    assert not touches_personal_data(Member, "pk")
    assert list(referenced_paths(Q(name="phone") | Q(member__phone=F("member__id_number")))) == [
        "name",
        "member__phone",
        "member__id_number",
    ]
    assert list(referenced_paths(Lower("member__phone").desc())) == ["member__phone"]


# --- the walk -------------------------------------------------------------------------------------


def test_the_walk_covers_every_admin_reaching_personal_data():
    """The walk finds the roster and governance admins by itself (so a new admin joins it unasked)."""
    labels = {model._meta.label for model, _admin in GUARDED}
    assert {
        "members.Member",
        "members.CheckIn",
        "members.PersonalDataAccess",
        "organizations.OwnersCommittee",
        "organizations.BranchPost",
        "organizations.Allowance",
        "organizations.Unit",
        "organizations.Compound",
        "organizations.Organization",
    } <= labels
    assert {"id_number", "phone", "birth_date"} <= set(personal_paths(Member))


@pytest.mark.parametrize("item", GUARDED, ids=admin_id)
def test_no_changelist_filters_on_personal_data(masked_client, victim, item):
    model, _model_admin = item
    url = changelist_url(model)
    baseline = shown(masked_client.get(url))
    # Rows to lose: a filter that was honoured would show.
    assert baseline[0] == 200 and 'id="result_list"' in masked_client.get(url).content.decode()

    leaks = []
    for path in personal_paths(model):
        for lookup, nobody in lookups_of(path).items():
            key = f"{path}__{lookup}" if lookup else path
            # The value matching nobody would empty the list if the filter were honoured; on the
            # model's own fields the member's value too.
            values = {nobody, own_value(victim, path, lookup, nobody)} if "__" not in path else {nobody}
            for value in values:
                leaks.append(refused_or_unchanged(masked_client, url, baseline, {key: value}))
    leaks = [leak for leak in leaks if leak]
    assert leaks == []


@pytest.mark.parametrize("item", GUARDED, ids=admin_id)
def test_no_changelist_ordering_or_search_on_personal_data(masked_client, masked_user, victim, item):
    model, model_admin = item
    url = changelist_url(model)
    baseline = shown(masked_client.get(url))
    columns = len(model_admin.list_display) + 1

    leaks = []
    for path in personal_paths(model):
        # ?o= takes column numbers; a personal field named there instead is refused like a filter.
        for order in (path, f"-{path}", f"0.{path}"):
            leaks.append(refused_or_unchanged(masked_client, url, baseline, {"o": order}))
        leaks.append(refused_or_unchanged(masked_client, url, baseline, {"_to_field": path, "_popup": "1"}))
    for column in range(columns):
        for order in (str(column), f"-{column}"):
            ordering = honoured_ordering(model_admin, masked_user, url, order)
            # An ordering that was honoured sorts by something other than personal data.
            if ordering is not None:
                assert not any(isinstance(o, str) and touches_personal_data(model, o) for o in ordering), order
    # A search for a member's number or phone shows what a search for any other number shows.
    for real, other in [
        (victim.id_number, "110101190001010000"),
        (victim.masked_id_number, victim.id_number[:4] + "*" * 10 + "0000"),
        (victim.phone, "13000000000"),
        (victim.id_number[:10], "1101011900"),
    ]:
        answer = shown(masked_client.get(url, {"q": other}))
        if shown(masked_client.get(url, {"q": real})) != answer:
            leaks.append(({"q": real}, "differs"))
    assert [leak for leak in leaks if leak] == []


@pytest.mark.parametrize("item", [i for i in GUARDED if export_url(i[0])], ids=admin_id)
def test_no_export_filters_on_personal_data(masked_client, victim, item):
    model, model_admin = item
    # The roster's and the compounds' own export takes the format in the address; django-import-export's
    # shows a form first (its GET builds the queryset too) and takes it in the POST.
    url = export_url(model) + ("?format=csv" if isinstance(model_admin, SpreadsheetAdminMixin) else "")
    # A POST: the full roster export's own method, and django-import-export's export itself.
    baseline = shown(masked_client.post(url))
    assert baseline[0] == 200
    leaks = []
    for path in personal_paths(model):
        for lookup, nobody in lookups_of(path).items():
            key = f"{path}__{lookup}" if lookup else path
            leaks.append(refused_or_unchanged(masked_client, url, baseline, {key: nobody}, "post"))
        leaks.append(refused_or_unchanged(masked_client, url, baseline, {"o": path}, "post"))
    assert [leak for leak in leaks if leak] == []


@pytest.mark.parametrize("item", [i for i in ADMINS if i[1].autocomplete_fields], ids=admin_id)
def test_no_autocomplete_answers_by_personal_data(masked_client, victim, item):
    model, model_admin = item
    leaks = []
    for field_name in model_admin.autocomplete_fields:
        params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name}
        for real, other in [
            (victim.id_number, "110101190001010000"),
            (victim.masked_id_number, victim.id_number[:4] + "*" * 10 + "0000"),
            (victim.phone, "13000000000"),
        ]:
            answers = [
                masked_client.get(reverse("admin:autocomplete"), {**params, "term": term}) for term in (real, other)
            ]
            if [(a.status_code, a.content) for a in answers][0] != [(a.status_code, a.content) for a in answers][1]:
                leaks.append((field_name, real, json.loads(answers[0].content)))
    assert leaks == []


def test_district_staff_without_the_permission_are_refused_too(masked_district_client, victim):
    url = changelist_url(Member)
    baseline = shown(masked_district_client.get(url))
    leaks = []
    for path in personal_paths(Member, depth=0):
        for lookup, nobody in lookups_of(path).items():
            key = f"{path}__{lookup}" if lookup else path
            for value in {nobody, own_value(victim, path, lookup, nobody)}:
                leaks.append(refused_or_unchanged(masked_district_client, url, baseline, {key: value}))
        leaks.append(refused_or_unchanged(masked_district_client, url, baseline, {"o": path}))
    assert shown(masked_district_client.get(url, {"q": victim.id_number})) == shown(
        masked_district_client.get(url, {"q": "110101190001010000"})
    )
    assert [leak for leak in leaks if leak] == []


# --- companions: the walk can fail ----------------------------------------------------------------


def test_with_the_permission_the_same_filters_and_search_are_answered(full_client, victim):
    url = changelist_url(Member)
    everyone = shown(full_client.get(url))

    by_number = full_client.get(url, {"id_number__startswith": victim.id_number[:17]})
    by_phone = full_client.get(url, {"phone": "13000000000"})
    by_birth = full_client.get(url, {"birth_date__year": "1800"})
    searched = full_client.get(url, {"q": victim.id_number})
    export = full_client.get(export_url(Member), {"format": "csv", "phone__startswith": victim.phone})

    assert by_number.status_code == 200 and shown(by_number) != everyone
    assert [m.pk for m in by_number.context["cl"].result_list] == [victim.pk]
    assert by_phone.status_code == by_birth.status_code == 200
    assert list(by_phone.context["cl"].result_list) == list(by_birth.context["cl"].result_list) == []
    assert [m.pk for m in searched.context["cl"].result_list] == [victim.pk]
    assert export.status_code == 200 and victim.name in export.content.decode("utf-8-sig")
    assert export.content.decode("utf-8-sig").count("\n") == 2  # the header and the one member


def test_without_the_permission_a_filter_on_personal_data_is_a_400_that_tells_nothing(masked_client, victim):
    url = changelist_url(Member)

    matching = masked_client.get(url, {"id_number__startswith": victim.id_number[:17]})
    matching_nobody = masked_client.get(url, {"id_number__startswith": "9"})

    assert matching.status_code == matching_nobody.status_code == 400
    assert matching.content == matching_nobody.content
    assert victim.id_number[:17] not in matching.content.decode()


def test_a_refused_lookup_is_logged_without_the_value(masked_client, victim, caplog):
    """The refusal is logged (the walk keeps these logs quiet), and the value asked for is not in it."""
    for name in REQUEST_LOGGERS:
        caplog.set_level(logging.INFO, logger=name)

    response = masked_client.get(changelist_url(Member), {"phone__startswith": victim.phone})

    assert response.status_code == 400
    refusals = [r for r in caplog.records if r.name == "django.security.DisallowedModelAdminLookup"]
    assert len(refusals) == 1 and "phone__startswith" in refusals[0].getMessage()
    assert victim.phone not in caplog.text and victim.phone[:7] not in caplog.text


@pytest.fixture
def personal_columns(monkeypatch):
    """An admin offering a column sorted by a personal field, directly and through a relation."""
    from members.admin import CheckInAdmin

    @admin.display(description="phone", ordering="phone")
    def phone_column(self, obj):
        return obj.masked_phone

    @admin.display(description="id", ordering="member__id_number")
    def member_id_column(self, obj):
        return obj.member.masked_id_number

    monkeypatch.setattr(MemberAdmin, "phone_column", phone_column, raising=False)
    monkeypatch.setattr(MemberAdmin, "list_display", ("name", "phone_column"))
    monkeypatch.setattr(CheckInAdmin, "member_id_column", member_id_column, raising=False)
    monkeypatch.setattr(CheckInAdmin, "list_display", ("member", "member_id_column"))


def test_sorting_by_a_personal_column_is_refused_without_the_permission(
    personal_columns, masked_client, full_client, victim
):
    members = changelist_url(Member)
    checkins = reverse("admin:members_checkin_changelist")

    assert masked_client.get(members, {"o": "2"}).status_code == 400
    assert masked_client.get(members, {"o": "-2"}).status_code == 400
    assert masked_client.get(checkins, {"o": "2"}).status_code == 400
    listing = masked_client.get(members).content.decode()
    assert "?o=2" not in listing and "?o=-2" not in listing  # the column header is not a sort link

    by_phone = full_client.get(members, {"o": "2"})
    assert by_phone.status_code == 200
    phones = [m.phone for m in by_phone.context["cl"].result_list]
    assert phones == sorted(phones) and len(phones) > 1
    assert full_client.get(checkins, {"o": "-2"}).status_code == 200


def test_an_admin_ordering_by_personal_data_is_refused_without_the_permission(monkeypatch, masked_client, full_client):
    monkeypatch.setattr(MemberAdmin, "ordering", ("phone",))

    assert masked_client.get(changelist_url(Member)).status_code == 400
    assert full_client.get(changelist_url(Member)).status_code == 200


def test_a_list_filter_on_personal_data_is_left_out_without_the_permission(
    monkeypatch, masked_client, full_client, victim
):
    monkeypatch.setattr(MemberAdmin, "list_filter", ("category", "phone"))

    masked = masked_client.get(changelist_url(Member)).content.decode()
    full = full_client.get(changelist_url(Member)).content.decode()

    assert victim.phone not in masked
    assert f"?phone={victim.phone}" in full  # the filter lists every phone, so the test can fail
