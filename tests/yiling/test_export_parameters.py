"""Every admin export, and its changelist, answers a query string it cannot read without a 500.

The walk takes every model registered in the admin site that has an export (django-import-export's or
the project's own), and asks it, by GET and by POST, with parameters no changelist knows, values of
the wrong kind on its own filters, and the library's ``_changelist_filters``. Each export must send
the user back to the whole changelist with a message and nothing exported (as the changelist starts
again on such a query string), or refuse with a 400; it must never answer 500 nor repeat what was
asked. The walk runs as street staff without the personal-data permission and as a superuser.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from import_export.admin import ExportMixin

from organizations.models import Role
from tests.members.factories import make_member
from tests.organizations.factories import district_tree
from tests.organizations.test_governance_admin import governance_of
from tests.yiling.test_admin_lookups import admin_of_everything
from yiling.admin import SpreadsheetAdminMixin

pytestmark = pytest.mark.django_db

#: A value no filter of any kind can read.
JUNK = "abc'\"<b>"


def export_url(model: type[Model]) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    except NoReverseMatch:
        return None


def changelist_url(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


EXPORTS = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if export_url(model)),
    key=lambda item: item[0]._meta.label,
)


def junk_parameters(model_admin) -> list[dict[str, str]]:
    """Parameters the changelist does not know, and wrong values on the filters it does know."""
    junk = [
        {"foo": "1"},
        {"year": JUNK},
        {"e": "1"},
        {"_changelist_filters": "foo=1"},
        {"pk__gt": JUNK},
        {"id__in": JUNK},
        {"no_such_field__exact": "1"},
        {"o": JUNK, "p": JUNK, "q": "x"},
    ]
    if not isinstance(model_admin, SpreadsheetAdminMixin):
        # The library takes the format in the POST; in the address it is a filter nobody knows.
        junk += [{"format": "csv"}, {"format": "xlsx", "file_format": "0"}]
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            junk.append({f"{entry}__exact": JUNK})
            junk.append({f"{entry}__year": JUNK})
        elif isinstance(entry, type) and hasattr(entry, "parameter_name"):
            junk.append({entry.parameter_name: JUNK})
    if model_admin.date_hierarchy:
        junk.append({f"{model_admin.date_hierarchy}__year": JUNK})
    return junk


def address(url: str, model_admin, params: dict[str, str]) -> str:
    own = {"format": "csv"} if isinstance(model_admin, SpreadsheetAdminMixin) else {}
    return f"{url}?{urlencode({**own, **params})}"


@pytest.fixture
def tree():
    tree = district_tree()
    governance_of(tree["compound_a"], "甲")
    make_member(home_organization=tree["compound_a"], residence=tree["compound_a"].unit)
    return tree


def street_staff(tree) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(admin_of_everything(Role.STREET_STAFF, tree["street_a"], full=False))
    return client


def superuser() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.cn", "x" * 12))
    return client


def test_the_walk_covers_both_kinds_of_export():
    names = {model.__name__ for model, _admin in EXPORTS}
    assert {"Organization", "Unit", "PropertyCompany", "OwnersCommittee", "Member", "Compound", "User"} <= names
    assert any(isinstance(model_admin, ExportMixin) for _model, model_admin in EXPORTS)
    assert any(isinstance(model_admin, SpreadsheetAdminMixin) for _model, model_admin in EXPORTS)


@pytest.mark.parametrize("who", ["street staff", "superuser"])
@pytest.mark.parametrize("item", EXPORTS, ids=lambda item: item[0]._meta.label)
def test_an_export_with_parameters_it_cannot_read_never_answers_500(tree, who, item):
    model, model_admin = item
    client = street_staff(tree) if who == "street staff" else superuser()
    url = export_url(model)
    # Without the junk the export answers (so the walk can fail).
    assert client.post(address(url, model_admin, {})).status_code == 200

    wrong = []
    for params in junk_parameters(model_admin):
        for method in ("get", "post"):
            response = getattr(client, method)(address(url, model_admin, params))
            body = response.content.decode("utf-8", "replace")
            if response.status_code == 302:
                # Back to the whole changelist: the address carries nothing of what was asked.
                if response["Location"] != changelist_url(model):
                    wrong.append((method, params, response["Location"]))
            elif response.status_code not in (200, 400) or "<b>" in body:
                # 200: what the export reads anyway (an ordering, a page, a search the library ignores).
                wrong.append((method, params, response.status_code))
    assert wrong == []


def test_an_unknown_parameter_brings_back_the_changelist_with_a_message_and_no_file(tree):
    client = superuser()
    for model_name in ("organization", "member"):
        url = reverse(f"admin:{'members' if model_name == 'member' else 'organizations'}_{model_name}_export")
        response = client.post(f"{url}?foo=1&format=csv", follow=True)

        assert response.redirect_chain == [(reverse(f"admin:{url.split('/')[2]}_{model_name}_changelist"), 302)]
        assert "attachment" not in response.get("Content-Disposition", "")
        assert [str(m) for m in response.context["messages"]] == [
            "导出的筛选条件无法识别，未导出任何内容。请重新筛选列表后再导出。"
        ]


@pytest.mark.parametrize("item", EXPORTS, ids=lambda item: item[0]._meta.label)
def test_the_changelist_with_parameters_it_cannot_read_never_answers_500(tree, item):
    model, model_admin = item
    client = superuser()
    url = changelist_url(model)
    statuses = {}
    for params in junk_parameters(model_admin):
        statuses[urlencode(params)] = client.get(f"{url}?{urlencode(params)}").status_code
    assert {params: status for params, status in statuses.items() if status not in (200, 302, 400)} == {}
