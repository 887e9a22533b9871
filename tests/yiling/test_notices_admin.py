"""The notices in the admin: district staff add and publish a programme and its tasks through the
services; street staff may not; a failed message is sent again; each admin page opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.yiling.seeding import FAST_HASHERS
from yiling.notices import registry, services
from yiling.notices.models import Delivery, Notice, NoticeKind, Programme, ProgressReport, StreetWebhook, Task
from yiling.notices.registry import Draft

from ..organizations.factories import grant_admin
from .notices_factories import programme_with_tasks, world

pytestmark = pytest.mark.django_db

MODELS = (Programme, Task, ProgressReport, Notice, Delivery, StreetWebhook)
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def w():
    w = world()
    grant_admin(w["district"], *MODELS)
    grant_admin(w["street"], *MODELS)
    return w


def url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:yiling_{model._meta.model_name}_{view}", args=args)


def test_district_staff_add_publish_and_give_a_task(w, client):
    client.force_login(w["district"])
    response = client.post(url(Programme, "add"), {"title": "小区建支部方案", "description": "全流程督导"})
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert programme.status == Programme.Status.DRAFT
    client.post(url(Programme), {"action": "publish", "_selected_action": [programme.pk]})
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PUBLISHED and programme.published_on == TODAY
    response = client.post(url(Programme, "change", programme.pk), {"title": "小区建支部三年方案", "description": ""})
    assert response.status_code == 302 and Programme.objects.get().title == "小区建支部三年方案"
    due = TODAY + timedelta(days=30)
    response = client.post(
        url(Task, "add"),
        {
            "programme": programme.pk,
            "organization": w["compound_a"].pk,
            "title": "建立红色业委会",
            "due_on": due.isoformat(),
            "instructions": "按指导书推进",
        },
    )
    assert response.status_code == 302
    assert Task.objects.get().organization == w["compound_a"]


def test_a_task_for_the_same_organization_and_title_is_refused_on_the_form(w, client):
    programme, (task,) = programme_with_tasks([w["compound_a"]], due_on=TODAY)
    client.force_login(w["district"])
    response = client.post(
        url(Task, "add"),
        {"programme": programme.pk, "organization": w["compound_a"].pk, "title": task.title, "due_on": TODAY},
    )
    assert response.status_code == 200 and Task.objects.count() == 1
    assert "同名任务" in response.content.decode()


def test_street_staff_neither_add_programmes_nor_set_the_robot(w, client):
    client.force_login(w["street"])
    assert client.get(url(Programme, "add")).status_code == 403
    assert client.get(url(StreetWebhook, "add")).status_code == 403


def test_a_failed_message_is_sent_again_from_the_admin(w, client):
    rule = registry.Rule(
        name="test.admin",
        kind=NoticeKind.FUNDING,
        label="t",
        collect=lambda as_of: [Draft(subject_key="s", period="p", title="经费提醒", recipients=[w["compound"].pk])],
    )
    services.run_rule(rule, as_of=TODAY)
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, attempts=5, last_error="smtp down")
    client.force_login(w["district"])
    page = client.get(url(Delivery)).content.decode()
    assert "smtp down" in page
    client.post(url(Delivery), {"action": "retry", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)
    assert services.delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT


def test_every_notice_admin_page_opens(w, client):
    programme_with_tasks([w["compound_a"]], due_on=TODAY)
    client.force_login(w["district"])
    for model in MODELS:
        assert client.get(url(model)).status_code == 200, model
    assert client.get(url(Programme, "add")).status_code == 200
    assert client.get(url(Task, "add")).status_code == 200
    assert client.get(url(Task, "change", Task.objects.get().pk)).status_code == 200
    assert client.get(url(StreetWebhook, "add")).status_code == 200
