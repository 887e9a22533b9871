"""The confirm step of the admin's django-import-export import (yiling.admin_imports): only the file
this user's own preview stored, in this session, in time; anything else is refused with a message and
the import page again, and nothing is imported."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import OwnersCommittee

from . import test_governance_admin as admin_tests
from .test_governance_admin import CSV_FORMAT, committee_csv, messages_of, service_message, staff_user

pytestmark = pytest.mark.django_db

# The fixtures of the governance admin tests, used here as they are.
tree_fixtures = (admin_tests.compound_c, admin_tests.gov_a, admin_tests.gov_c)
compound_c, gov_a, gov_c = tree_fixtures

IMPORT = reverse("admin:organizations_ownerscommittee_import")
CONFIRM = reverse("admin:organizations_ownerscommittee_process_import")
FOREIGN = "This import cannot be confirmed: it is not the file you previewed. Upload the file again."
EXPIRED = "The preview of this import has expired: upload the file again."
MISSING = "The uploaded file is no longer available; upload it again."


@pytest.fixture
def import_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("organizations.admin.ScopedModelAdmin.import_dir", tmp_path / "imports", raising=False)
    return tmp_path / "imports"


def street_client(tree) -> Client:
    client = Client()
    client.force_login(staff_user(tree["street_a"], street=True))
    return client


def preview(client: Client, unit, elected_on: str = "2025-05-01") -> dict:
    """Upload a one-term file; the confirm form's data, as the page would post it."""
    upload = client.post(
        IMPORT,
        {
            "resource": "0",
            "format": CSV_FORMAT,
            "import_file": committee_csv([[unit.code, elected_on, "2030-04-30", "第二届"]]),
        },
    )
    assert upload.status_code == 200
    confirm = upload.context["confirm_form"]
    assert confirm is not None
    # What the page posts back is the token, as rendered in the form.
    token = confirm.initial["import_file_name"]
    assert f'name="import_file_name" value="{token}"' in upload.content.decode()
    return dict(confirm.initial)


def imported() -> bool:
    return OwnersCommittee.objects.filter(elected_on=date(2025, 5, 1)).exists()


def assert_refused(response, msgid: str) -> None:
    assert response.status_code == 302 and response.url == IMPORT
    # The latest message (those of earlier steps wait in the same client until a page shows them).
    assert messages_of(response)[-1] == service_message(msgid)
    assert re.search(r"[\u4e00-\u9fff]", messages_of(response)[-1])
    assert not imported()


def test_the_users_own_preview_is_imported_once(tree, gov_a, import_dir):
    client = street_client(tree)
    data = preview(client, gov_a["unit"])
    (stored,) = import_dir.iterdir()
    assert stored.name not in data["import_file_name"]  # the page carries a token, not the file's name

    done = client.post(CONFIRM, data)

    assert done.status_code == 302 and imported()
    assert list(import_dir.iterdir()) == []
    # The same token again: the file is gone, nothing more happens.
    OwnersCommittee.objects.filter(elected_on=date(2025, 5, 1)).delete()
    assert_refused(client.post(CONFIRM, data), MISSING)


def test_another_users_preview_cannot_be_confirmed(tree, gov_a, import_dir):
    owner, other = street_client(tree), street_client(tree)
    data = preview(owner, gov_a["unit"])
    (stored,) = import_dir.iterdir()

    # Their token, and the name of their file as the library would have posted it.
    assert_refused(other.post(CONFIRM, data), FOREIGN)
    assert_refused(other.post(CONFIRM, {**data, "import_file_name": stored.name}), FOREIGN)

    # The owner's preview is untouched and still confirms.
    assert owner.post(CONFIRM, data).status_code == 302 and imported()


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "0123456789abcdef0123456789abcdef",
        "tmpk3x9q2wz",
        "",
    ],
)
def test_a_guessed_or_traversing_name_is_refused(name, tree, gov_a, import_dir):
    client = street_client(tree)
    data = preview(client, gov_a["unit"])

    response = client.post(CONFIRM, {**data, "import_file_name": name})

    assert response.status_code == 302 and response.url == IMPORT
    message = messages_of(response)[-1]
    assert message in (service_message(FOREIGN), service_message("This field is required."))
    assert not imported()


def test_a_token_for_a_file_no_longer_there_is_refused(tree, gov_a, import_dir):
    client = street_client(tree)
    data = preview(client, gov_a["unit"])
    for stored in import_dir.iterdir():
        stored.unlink()

    assert_refused(client.post(CONFIRM, data), MISSING)


def test_an_expired_preview_is_refused(tree, gov_a, import_dir, monkeypatch):
    client = street_client(tree)
    data = preview(client, gov_a["unit"])
    later = time.time() + 2 * 3600 + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)

    assert_refused(client.post(CONFIRM, data), EXPIRED)


def test_the_same_user_in_another_session_cannot_confirm(tree, gov_a, import_dir):
    user = staff_user(tree["street_a"], street=True)
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    data = preview(first, gov_a["unit"])

    assert_refused(second.post(CONFIRM, data), FOREIGN)


def test_the_format_and_resource_are_those_previewed(tree, gov_a, import_dir):
    client = street_client(tree)
    data = preview(client, gov_a["unit"])

    # The CSV read as XLSX would fail; the token's format is used, whatever the page posts.
    done = client.post(CONFIRM, {**data, "format": "0", "resource": "7"})

    assert done.status_code == 302 and imported()


def test_confirming_needs_post(tree, import_dir):
    assert street_client(tree).get(CONFIRM).status_code == 405
