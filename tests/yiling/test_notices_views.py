"""The notice pages: the header's unread count (no query of its own), the inbox, reading, preferences,
the progress roll-up and reporting progress on a task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry, services
from yiling.notices.models import DeliveryMode, Notice, NoticeKind, NoticePreference, ProgressReport, Task
from yiling.notices.registry import Draft

from .notices_factories import programme_with_tasks, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


TODAY = timezone.localdate()
INBOX = reverse("notices:inbox")


@pytest.fixture
def w():
    return world()


def send(user, n: int, url: str = "/members/") -> None:
    rule = registry.Rule(
        name="test.views",
        kind=NoticeKind.FUNDING,
        label="t",
        collect=lambda as_of: [
            Draft(subject_key=f"s{i}", period="p", title=f"经费提醒{i}", url=url, recipients=[user.pk])
            for i in range(n)
        ],
    )
    services.run_rule(rule, as_of=TODAY)


def test_the_header_shows_the_unread_count_without_a_query_of_its_own(w, client, django_assert_num_queries):
    send(w["compound"], 3)
    client.force_login(w["compound"])
    html = client.get(reverse("portal-home")).content.decode()
    assert 'data-unread="3"' in html
    other = client.get(reverse("portal-home"))  # warm
    assert other.status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("portal-home"))
    assert not any("yiling_notice" in q["sql"] for q in queries.captured_queries)


def test_the_inbox_lists_only_my_notices_newest_first_in_a_fixed_number_of_queries(
    w, client, django_assert_max_num_queries
):
    send(w["compound"], 2)
    send(w["street"], 1)
    client.force_login(w["compound"])
    response = client.get(INBOX)
    html = response.content.decode()
    assert html.count('class="card notice-item unread"') == 2
    send(w["compound"], 25)  # more rows: the same queries
    with django_assert_max_num_queries(8):
        response = client.get(INBOX)
    assert response.context["page"].paginator.count == 25  # the same 25 subjects, one new run replaced none
    assert "下一页" in response.content.decode() or 'rel="next"' in response.content.decode()


def test_opening_a_notice_marks_it_read_and_follows_its_link(w, client):
    send(w["compound"], 1, url="/organizations/compounds/X/#expense-1")
    notice = Notice.objects.get()
    client.force_login(w["compound"])
    response = client.get(reverse("notices:notice-open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == "/organizations/compounds/X/#expense-1"
    notice.refresh_from_db()
    w["compound"].refresh_from_db()
    assert notice.read_at is not None and w["compound"].unread_notices == 0


def test_someone_elses_notice_is_not_found(w, client):
    send(w["compound"], 1)
    client.force_login(w["street"])
    assert client.get(reverse("notices:notice-open", args=[Notice.objects.get().pk])).status_code == 404
    assert Notice.objects.get().read_at is None


def test_a_link_off_the_portal_is_never_followed(w, client):
    send(w["compound"], 1, url="//evil.example.com/")
    client.force_login(w["compound"])
    response = client.get(reverse("notices:notice-open", args=[Notice.objects.get().pk]))
    assert response["Location"] == INBOX


def test_mark_all_read(w, client):
    send(w["compound"], 3)
    client.force_login(w["compound"])
    assert client.get(reverse("notices:mark-all-read")).status_code == 302  # GET changes nothing
    assert Notice.objects.unread().count() == 3
    response = client.post(reverse("notices:mark-all-read"), follow=True)
    assert "3" in response.content.decode() and not Notice.objects.unread().exists()
    assert "data-unread" not in response.content.decode()


def test_a_bad_filter_is_answered_with_a_message(w, client):
    client.force_login(w["compound"])
    response = client.get(INBOX + "?unread=maybe&page=99")
    assert response.status_code == 200 and len(list(response.context["messages"])) == 2


def test_preferences_are_saved_per_kind(w, client):
    client.force_login(w["compound"])
    data = {kind: DeliveryMode.IMMEDIATE for kind in NoticeKind.values}
    data[NoticeKind.FUNDING] = DeliveryMode.WEEKLY
    assert client.post(reverse("notices:preferences"), data).status_code == 302
    assert NoticePreference.objects.get(user=w["compound"], kind=NoticeKind.FUNDING).mode == DeliveryMode.WEEKLY
    data[NoticeKind.TASK] = "never"
    response = client.post(reverse("notices:preferences"), data)
    assert response.status_code == 200 and response.context["form"].errors


def test_progress_page_rolls_up_by_street_and_community(w, client, django_assert_max_num_queries):
    programme_with_tasks([w["compound_a"], w["compound_b"], w["comm_c"]], due_on=TODAY - timedelta(days=2))
    client.force_login(w["street"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notices:progress"))
    html = response.content.decode()
    assert "甲街道党工委" in html and "乙街道党工委" not in html  # the other street is out of reach
    assert "甲小区党支部 · 建立小区党支部" in html


def test_the_secretary_reports_progress_with_evidence(w, client):
    _p, (task,) = programme_with_tasks([w["compound_a"]], due_on=TODAY + timedelta(days=10))
    url = reverse("notices:task-detail", args=[task.pk])
    client.force_login(w["compound"])
    bad = client.post(url, {"percent": "50", "evidence": SimpleUploadedFile("x.pdf", b"MZ not a pdf")})
    assert bad.status_code == 200 and Task.objects.get().progress == 0
    pdf = SimpleUploadedFile("x.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    ok = client.post(url, {"percent": "70", "note": "已完成选举", "evidence": pdf})
    assert ok.status_code == 302 and Task.objects.get().progress == 70
    evidence = reverse("notices:report-evidence", args=[ProgressReport.objects.get().pk])
    assert evidence in client.get(url).content.decode()
    served = client.get(evidence)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    client.force_login(w["other"])  # another street's secretary: not found
    assert client.get(evidence).status_code == 404


def test_others_see_a_task_only_within_reach_and_may_not_report(w, client):
    _p, (task,) = programme_with_tasks([w["compound_a"]], due_on=TODAY + timedelta(days=10))
    url = reverse("notices:task-detail", args=[task.pk])
    client.force_login(w["other"])
    assert client.get(url).status_code == 404
    client.force_login(w["street"])  # sees it (their street) but is not the responsible secretary
    assert client.get(url).status_code == 200
    assert client.post(url, {"percent": "100"}).status_code == 404
    assert Task.objects.get().progress == 0
