"""The liaisons pages: what each role sees and does, asked before a move, and a fixed number of queries
per page whatever the number of rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from liaisons import services
from liaisons.models import Contribution, Deliberation, Demand, State

from .factories import long_ago, raise_demand

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def login(client, world, role):
    client.force_login(world["users"][role])
    return world["users"][role]


def body(response) -> str:
    return response.content.decode()


# --- the agency contact lands on its compounds and open problems ---------------------------------------


def test_agency_contact_lands_on_its_paired_compound_and_open_problems(world, client):
    raise_demand(world["compound_a_unit"], title="甲门禁坏了")
    raise_demand(world["bare_b"], title="别家的问题")
    raise_demand(world["compound_a_unit"], title="已确认的问题", state=State.CONFIRMED)
    login(client, world, "contact")
    page = body(client.get(reverse("liaisons:home")))
    assert 'data-compound="' + world["compound_a_unit"].code + '"' in page
    assert world["bare_b"].name not in page
    assert "甲门禁坏了" in page
    assert "别家的问题" not in page
    assert "已确认的问题" not in page  # not open
    assert "unpaired" not in page  # the staff's list of compounds without an agency


def test_staff_see_which_compounds_have_no_agency(world, client):
    login(client, world, "street_staff")
    page = body(client.get(reverse("liaisons:home")))
    assert 'id="unpaired"' in page
    assert f'data-compound="{world["compound_b_unit"].code}"' in page  # its pairing has ended


def test_the_header_links_to_the_pages_for_roles_that_use_them(world, client):
    login(client, world, "contact")
    assert reverse("liaisons:home") in body(client.get(reverse("liaisons:demand-list")))
    login(client, world, "merchant")
    assert reverse("liaisons:home") not in body(client.get(reverse("portal-home")))


def test_an_ended_pairing_shows_nothing_on_any_page(world, client):
    demand = raise_demand(world["compound_a_unit"])
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    login(client, world, "contact")
    assert demand.title not in body(client.get(reverse("liaisons:home")))
    assert client.get(reverse("liaisons:demand-detail", args=[demand.pk])).status_code == 404
    code = world["compound_a_unit"].code
    assert client.get(reverse("liaisons:compound-detail", args=[code])).status_code == 404


# --- moves, asked first ------------------------------------------------------------------------------


def test_agency_resolves_with_a_note_and_the_secretary_confirms(world, client):
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS)
    login(client, world, "contact")
    detail = body(client.get(reverse("liaisons:demand-detail", args=[demand.pk])))
    assert 'data-move="resolved"' in detail and 'data-move="confirmed"' not in detail
    url = reverse("liaisons:demand-move", args=[demand.pk, State.RESOLVED])
    asked = client.get(url)
    assert asked.status_code == 200 and 'name="note"' in body(asked)
    demand.refresh_from_db()
    assert demand.state == State.IN_PROGRESS  # asking changes nothing
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 200
    demand.refresh_from_db()
    assert demand.state == State.IN_PROGRESS
    photo = SimpleUploadedFile("gate.png", PNG, content_type="image/png")
    done = client.post(url, {"note": "门禁已更换", "attachment": photo})
    assert done.status_code == 302
    demand.refresh_from_db()
    assert demand.state == State.RESOLVED
    step = demand.steps.get(to_state=State.RESOLVED)
    # The agency cannot confirm its own work, not even by posting.
    client.post(reverse("liaisons:demand-move", args=[demand.pk, State.CONFIRMED]), {"note": ""})
    demand.refresh_from_db()
    assert demand.state == State.RESOLVED
    login(client, world, "compound_secretary")
    attachment = client.get(reverse("liaisons:step-attachment", args=[step.pk]))
    assert attachment.status_code == 200 and attachment["Content-Type"] == "image/png"
    assert client.post(reverse("liaisons:demand-move", args=[demand.pk, State.CONFIRMED]), {}).status_code == 302
    demand.refresh_from_db()
    assert demand.state == State.CONFIRMED
    timeline = body(client.get(reverse("liaisons:demand-detail", args=[demand.pk])))
    assert "门禁已更换" in timeline and 'data-step="confirmed"' in timeline
    step.attachment.delete(save=False)


def test_reopening_asks_first_and_says_what_it_undoes(world, client):
    demand = raise_demand(world["compound_a_unit"], state=State.RESOLVED)
    login(client, world, "compound_secretary")
    asked = body(client.get(reverse("liaisons:demand-move", args=[demand.pk, State.REOPENED])))
    assert 'class="danger"' in asked and "confirm-step" in asked
    demand.refresh_from_db()
    assert demand.state == State.RESOLVED


def test_a_move_not_open_to_the_user_goes_back_with_a_message(world, client):
    demand = raise_demand(world["compound_a_unit"])
    login(client, world, "compound_secretary")
    response = client.get(reverse("liaisons:demand-move", args=[demand.pk, State.ACCEPTED]), follow=True)
    assert response.redirect_chain and "cannot be moved" in body(response) or "不能" in body(response)
    assert client.get(reverse("liaisons:demand-move", args=[demand.pk, "nonsense"])).status_code == 404


def test_attachments_are_served_only_to_those_who_see_the_problem(world, client):
    demand = raise_demand(world["compound_a_unit"], state=State.IN_PROGRESS)
    step = services.demand_move(
        demand=demand, to_state=State.RESOLVED, note="好了", attachment=SimpleUploadedFile("a.png", PNG)
    )
    login(client, world, "other_contact")
    assert client.get(reverse("liaisons:step-attachment", args=[step.pk])).status_code == 404
    step.attachment.delete(save=False)


# --- forms of the compound side and the agency ----------------------------------------------------------


def test_secretary_raises_a_problem_and_records_a_deliberation(world, client):
    login(client, world, "compound_secretary")
    code = world["compound_a_unit"].code
    response = client.post(
        reverse("liaisons:demand-raise", args=[code]),
        {"category": "parking", "title": "停车位不足", "priority": "high", "due_on": ""},
    )
    demand = Demand.objects.get(title="停车位不足")
    assert response.status_code == 302 and demand.state == State.RAISED
    response = client.post(
        reverse("liaisons:deliberation-record", args=[code]),
        {
            "held_on": long_ago(1).isoformat(),
            "topic": "停车议事会",
            "attendees": "张三、李四",
            "attendance": "12",
            "decisions": "划定临时车位",
            "demands": [demand.pk],
        },
    )
    assert response.status_code == 302
    assert list(Deliberation.objects.get().demands.all()) == [demand]


def test_the_agency_cannot_raise_problems_or_record_deliberations(world, client):
    login(client, world, "contact")
    code = world["compound_a_unit"].code
    assert client.get(reverse("liaisons:demand-raise", args=[code])).status_code == 404
    assert client.post(reverse("liaisons:deliberation-record", args=[code]), {}).status_code == 404


def test_a_bad_form_says_what_is_wrong_and_writes_nothing(world, client):
    login(client, world, "compound_secretary")
    code = world["compound_a_unit"].code
    due = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.post(
        reverse("liaisons:demand-raise", args=[code]), {"category": "parking", "title": "x", "due_on": due}
    )
    assert response.status_code == 200
    assert not Demand.objects.exists()


def test_the_agency_records_what_it_brought(world, client):
    login(client, world, "contact")
    url = reverse("liaisons:contribution-record", args=[world["liaison_a"].pk])
    response = client.post(
        url, {"kind": "money", "given_on": long_ago(1).isoformat(), "description": "修缮资金", "amount": "20000"}
    )
    assert response.status_code == 302
    assert Contribution.objects.get().amount == 20000
    page = body(client.get(reverse("liaisons:compound-detail", args=[world["compound_a_unit"].code])))
    assert "20,000.00" in page
    login(client, world, "other_contact")
    assert client.get(url).status_code == 404


def test_an_unknown_state_filter_or_compound_is_answered_with_a_message(world, client):
    login(client, world, "contact")
    response = client.get(reverse("liaisons:demand-list"), {"state": "bogus", "compound": "NOPE", "page": "x"})
    assert response.status_code == 200
    assert len(list(response.context["messages"])) == 3


# --- query budgets --------------------------------------------------------------------------------


def _rows(world, n):
    for i in range(n):
        demand = raise_demand(world["compound_a_unit"], title=f"问题{i}", state=State.IN_PROGRESS)
        services.deliberation_record(
            compound=world["compound_a_unit"],
            held_on=long_ago(2),
            topic=f"议事{i}",
            attendees="张三",
            attendance=3,
            decisions="同意",
            demands=[demand],
        )
        services.contribution_record(
            liaison=world["liaison_a"], kind="goods", given_on=long_ago(2), description=f"物资{i}", demand=demand
        )


PAGES = [
    ("home", lambda w, d, m: reverse("liaisons:home")),
    ("list", lambda w, d, m: reverse("liaisons:demand-list")),
    ("compound", lambda w, d, m: reverse("liaisons:compound-detail", args=[w["compound_a_unit"].code])),
    ("detail", lambda w, d, m: reverse("liaisons:demand-detail", args=[d.pk])),
    ("deliberations", lambda w, d, m: reverse("liaisons:deliberation-list")),
    ("deliberation", lambda w, d, m: reverse("liaisons:deliberation-detail", args=[m.pk])),
    ("report", lambda w, d, m: reverse("liaisons:report")),
]


@pytest.mark.parametrize("role", ["contact", "compound_secretary"])
@pytest.mark.parametrize(("name", "url_of"), PAGES)
def test_pages_read_a_fixed_number_of_queries(world, client, django_assert_max_num_queries, role, name, url_of):
    _rows(world, 2)
    demand, meeting = Demand.objects.first(), Deliberation.objects.first()
    user = login(client, world, role)
    url = url_of(world, demand, meeting)
    client.get(url)  # the session and the first reads
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _rows(world, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    assert user


def test_pages_speak_chinese_with_chinese_dates(world, client):
    demand = raise_demand(world["compound_a_unit"], state=State.RESOLVED)
    login(client, world, "contact")
    home = body(client.get(reverse("liaisons:home")))
    assert "我们联系的小区" in home and "未办结问题" in home
    detail = body(client.get(reverse("liaisons:demand-detail", args=[demand.pk])))
    raised = demand.raised_on
    assert f"{raised.year}年{raised.month}月{raised.day}日" in detail and "办理过程" in detail
    login(client, world, "compound_secretary")
    asked = body(client.get(reverse("liaisons:demand-move", args=[demand.pk, State.CONFIRMED])))
    assert "确认已解决" in asked
    refused = client.post(reverse("liaisons:demand-move", args=[demand.pk, State.REOPENED]), {"note": ""})
    assert "请在说明中写明" in body(refused) or "这个字段是必填项" in body(refused)


def test_the_agency_contact_s_home_shows_its_compounds_and_open_problems(world, client):
    raise_demand(world["compound_a_unit"], title="开放问题")
    login(client, world, "contact")
    home = body(client.get(reverse("portal-home")))
    assert f'data-compound="{world["compound_a_unit"].code}"' in home
    assert "未办结问题 1 个，其中逾期 1 个" in home
    services.liaison_end(liaison=world["liaison_a"], ended_on=timezone.localdate())
    assert "目前没有联系的小区。" in body(client.get(reverse("portal-home")))


def test_the_deliberation_choices_of_a_move_give_their_dates_in_chinese(world, client):
    demand = raise_demand(world["compound_a_unit"], title="电梯停运")
    held = long_ago(3)
    services.deliberation_record(
        compound=world["compound_a_unit"],
        held_on=held,
        topic="电梯维修",
        attendees="张三",
        attendance=3,
        decisions="同意维修",
        demands=[demand],
    )
    login(client, world, "contact")
    page = body(client.get(reverse("liaisons:demand-move", args=[demand.pk, State.ACCEPTED])))
    assert f"{held.year}年{held.month}月{held.day}日 电梯维修</option>" in page
    assert held.isoformat() not in page


def test_a_problems_category_is_named_as_a_problems_not_a_persons(world, client):
    login(client, world, "compound_secretary")
    code = world["compound_a_unit"].code
    client.post(
        reverse("liaisons:demand-raise", args=[code]),
        {"category": "parking", "title": "停车位不足", "priority": "high", "due_on": ""},
    )
    demand = Demand.objects.get(title="停车位不足")

    detail = body(client.get(reverse("liaisons:demand-detail", args=[demand.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    raise_form = body(client.get(reverse("liaisons:demand-raise", args=[code]), HTTP_ACCEPT_LANGUAGE="zh-hans"))

    assert "<dt>问题类别</dt>" in detail
    assert "人员类别" not in detail and "人员类别" not in raise_form
    assert "问题类别" in raise_form


def test_a_refused_move_asks_for_its_attachment_again_and_opens_at_the_wrong_field(world, client):
    demand = raise_demand(world["compound_a_unit"], state=State.RESOLVED)
    login(client, world, "compound_secretary")
    attachment = SimpleUploadedFile("照片.png", PNG, content_type="image/png")

    refused = client.post(
        reverse("liaisons:demand-move", args=[demand.pk, State.REOPENED]), {"note": "", "attachment": attachment}
    )

    page = body(refused)
    assert refused.status_code == 200
    assert "未保存：请更正下面标出的内容。 您附上的文件没有保留：提交前请重新选择文件。" in page
    assert re.search(r'name="note"[^>]*autofocus', page)
    demand.refresh_from_db()
    assert demand.state == State.RESOLVED
