"""The public board: what it shows and hides, its cache, and the feedback it takes."""

import html
import re

import segno
from django.test import override_settings
from django.urls import reverse

from members.services import member_update
from merchants import board_cache, selectors, services
from merchants.models import Feedback, Merchant
from organizations.services import organization_update, unit_update

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def _url(merchant, name="board:board"):
    return reverse(name, kwargs={"code": merchant.board_code})


def _forget(merchant):
    board_cache.clear_codes([merchant.board_code])


def test_board_shows_the_three_displays_and_no_personal_data(client, market):
    merchant = market["m_a"]
    _forget(merchant)
    response = client.get(_url(merchant))
    assert response.status_code == 200
    page = response.content.decode()
    assert "张记粮油店" in page and merchant.operator.name in page and market["market_a"].name in page
    assert "诚信经营" in page and "明码标价" in page
    assert merchant.operator.phone not in page and merchant.operator.id_number not in page


def test_unknown_code_is_a_chinese_404(client, market):
    response = client.get(reverse("board:board", kwargs={"code": "nosuchcode"}))
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_suspended_board_says_so_and_takes_no_feedback(client, market):
    merchant = services.merchant_set_status(merchant=market["m_a"], status="suspended", reason="停业整顿")
    page = client.get(_url(merchant)).content.decode()
    assert 'data-status="suspended"' in page and "停业整顿" in page
    assert 'id="feedback-form"' not in page


def test_board_query_budget_uncached_and_cached(client, market, django_assert_num_queries):
    merchant = market["m_a"]
    for i in range(5):
        praise = services.feedback_submit(merchant=merchant, kind="praise", text=f"好{i}")
        services.feedback_publish(feedback=praise, by=None)
    _forget(merchant)
    with django_assert_num_queries(4):
        assert client.get(_url(merchant)).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(_url(merchant)).status_code == 200


def test_board_cache_is_cleared_when_what_it_shows_changes(client, market, django_capture_on_commit_callbacks):
    merchant = market["m_a"]
    _forget(merchant)
    client.get(_url(merchant))
    with django_capture_on_commit_callbacks(execute=True):
        unit_update(unit=merchant.shop, name="张记粮油总店")
    assert "张记粮油总店" in client.get(_url(merchant)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=market["market_a"], name="长江市场联合党总支")
    assert "长江市场联合党总支" in client.get(_url(merchant)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        unit_update(unit=market["market_a"].unit, name="新长江市场")
    assert "新长江市场" in client.get(_url(merchant)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        member_update(member=merchant.operator, name="黄德明")
    assert "黄德明" in client.get(_url(merchant)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.pledge_propose(merchant=merchant, text="假一赔十")
        services.pledge_approve(pledge=proposal, by=market["secretary"])
    page = client.get(_url(merchant)).content.decode()
    assert "假一赔十" in page and "明码标价" not in page


@override_settings(CACHES=DEAD_REDIS)
def test_board_answers_and_takes_feedback_with_the_cache_down(client, market):
    merchant = market["m_a"]
    assert client.get(_url(merchant)).status_code == 200
    response = client.post(_url(merchant, "board:feedback"), {"kind": "praise", "text": "很好"})
    assert response.status_code == 302
    assert Feedback.objects.filter(merchant=merchant, text="很好").exists()


def test_feedback_waits_for_review_and_gets_a_receipt(client, market, django_capture_on_commit_callbacks):
    merchant = market["m_a"]
    _forget(merchant)
    response = client.post(
        _url(merchant, "board:feedback"),
        {"kind": "complaint", "text": "<script>alert(1)</script>缺斤少两", "contact_phone": "13912345678"},
        follow=True,
    )
    feedback = Feedback.objects.get(merchant=merchant)
    page = response.content.decode()
    assert feedback.receipt in page and feedback.get_status_display() in page
    assert feedback.contact_phone == "13912345678" and "13912345678" not in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "缺斤少两" not in client.get(_url(merchant)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_publish(feedback=feedback, by=market["secretary"])
        services.feedback_reply(feedback=feedback, reply="已核实，补足分量", by=market["merchant_user"])
    page = client.get(_url(merchant)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;缺斤少两" in page and "已核实，补足分量" in page
    assert "13912345678" not in page and "139****5678" not in page


def test_sixth_message_in_an_hour_is_refused_with_429(client, market):
    merchant = market["m_a"]
    for i in range(5):
        response = client.post(_url(merchant, "board:feedback"), {"kind": "suggestion", "text": f"建议{i}"})
        assert response.status_code == 302
    response = client.post(_url(merchant, "board:feedback"), {"kind": "suggestion", "text": "建议6"})
    assert response.status_code == 429
    assert Feedback.objects.filter(merchant=merchant).count() == 5


def test_honeypot_keeps_nothing(client, market):
    merchant = market["m_a"]
    response = client.post(
        _url(merchant, "board:feedback"), {"kind": "praise", "text": "买药", "website": "http://spam"}
    )
    assert response.status_code == 200
    assert not Feedback.objects.exists()


def test_overlong_feedback_is_refused_on_the_page(client, market):
    response = client.post(_url(market["m_a"], "board:feedback"), {"kind": "praise", "text": "好" * 501})
    assert response.status_code == 400 and not Feedback.objects.exists()


def test_receipt_shows_the_result_of_a_closed_complaint(client, market):
    merchant = market["m_a"]
    feedback = services.feedback_submit(merchant=merchant, kind="complaint", text="价格不符")
    services.complaint_close(feedback=feedback, result="已按标价退款", by=market["secretary"])
    page = client.get(_url(merchant, "board:receipt"), {"no": feedback.receipt.lower()}).content.decode()
    assert "已按标价退款" in page
    other = client.get(_url(market["m_b"], "board:receipt"), {"no": feedback.receipt}).content.decode()
    assert "已按标价退款" not in other


def test_qr_code_encodes_the_boards_absolute_address(client, market):
    merchant = market["m_a"]
    response = client.get(_url(merchant, "board:qr"))
    assert response["Content-Type"] == "image/svg+xml"
    expected = segno.make(f"http://testserver{_url(merchant)}", error="m")
    assert response.content.decode().startswith("<svg")
    assert expected.designator in {"1-M", "2-M", "3-M", "4-M", "5-M"}
    import io

    out = io.BytesIO()
    expected.save(out, kind="svg", scale=8, border=2, xmldecl=False)
    assert response.content == out.getvalue()


def test_plaque_links_the_qr_code(client, market):
    merchant = market["m_a"]
    page = client.get(_url(merchant, "board:plaque")).content.decode()
    assert _url(merchant, "board:qr") in page and "plaque.css" in page


def test_board_list_groups_displaying_merchants_and_searches(client, market, django_assert_num_queries):
    services.merchant_set_status(merchant=market["m_b"], status=Merchant.Status.REVOKED, reason="违规")
    with django_assert_num_queries(2):
        page = client.get(reverse("board:board-list")).content.decode()
    assert "张记粮油店" in page and "红星五金店" in page and "东城鲜肉铺" not in page
    page = client.get(reverse("board:board-list"), {"q": "五金"}).content.decode()
    assert "红星五金店" in page and "张记粮油店" not in page
    assert client.get(reverse("board:board-list"), {"q": "x" * 60}).status_code == 200


def test_an_over_long_board_search_is_answered_with_a_message_and_lists_all(client, market):
    response = client.get(reverse("board:board-list"), {"q": "五" * 500})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert re.findall(r'<li class="warning">([^<]*)</li>', page) == ["搜索内容最多 50 个字：请缩短后重新搜索。"]
    assert "张记粮油店" in page and "红星五金店" in page
    assert "确保该变量" not in page


def test_board_data_is_plain_data(market):
    data = selectors.board_data_uncached(market["m_a"].board_code)
    assert data["pledges"] == ["诚信经营", "明码标价"] and data["rating"] is None
