"""The merchant's shop and the secretary's desk under /merchants/."""

import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants import services
from merchants.models import ContactAccess, Feedback, Pledge
from tests.organizations.factories import PASSWORD

from .factories import make_merchant


def _login(client, user):
    client.force_login(user)


def test_merchant_lands_on_the_own_shop(client, market):
    _login(client, market["merchant_user"])
    response = client.get(reverse("portal-home"), follow=True)
    shop_url = reverse("merchants:shop", kwargs={"code": market["m_a"].shop.code})
    assert response.redirect_chain[-1][0] == shop_url
    assert "张记粮油店" in response.content.decode()


def test_merchant_cannot_open_another_shop_or_the_desk(client, market):
    _login(client, market["merchant_user"])
    assert client.get(reverse("merchants:shop", kwargs={"code": market["m_b"].shop.code})).status_code == 404
    assert client.get(reverse("merchants:moderation")).status_code == 403


def test_merchant_replies_and_proposes_pledges(client, market):
    merchant = market["m_a"]
    feedback = services.feedback_submit(merchant=merchant, kind="complaint", text="缺斤少两")
    _login(client, market["merchant_user"])
    client.post(reverse("merchants:feedback-reply", args=[feedback.pk]), {"reply": "已补足"})
    feedback.refresh_from_db()
    assert feedback.reply == "已补足"
    client.post(reverse("merchants:pledge-propose", kwargs={"code": merchant.shop.code}), {"text": "童叟无欺"})
    assert Pledge.objects.get(merchant=merchant, status=Pledge.Status.PROPOSED).text == "童叟无欺"


def test_merchant_cannot_reply_to_another_shops_feedback(client, market):
    other = services.feedback_submit(merchant=market["m_b"], kind="praise", text="好")
    _login(client, market["merchant_user"])
    assert client.post(reverse("merchants:feedback-reply", args=[other.pk]), {"reply": "x"}).status_code == 404


def test_secretary_publishes_closes_and_decides(client, market):
    merchant = market["m_a"]
    feedback = services.feedback_submit(
        merchant=merchant, kind="complaint", text="缺斤少两", contact_phone="13812345678"
    )
    proposal = services.pledge_propose(merchant=merchant, text="假一赔十")
    _login(client, market["secretary"])
    page = client.get(reverse("merchants:moderation")).content.decode()
    assert "缺斤少两" in page and "13812345678" not in page
    client.post(reverse("merchants:feedback-publish", args=[feedback.pk]))
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PUBLISHED
    page = client.get(reverse("merchants:complaints")).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    response = client.get(reverse("merchants:complaint-close", args=[feedback.pk]))
    assert 'id="confirm"' in response.content.decode()
    client.post(reverse("merchants:complaint-close", args=[feedback.pk]), {"result": "已退款"})
    feedback.refresh_from_db()
    assert feedback.closed_at and feedback.result == "已退款"
    response = client.post(reverse("merchants:pledge-return", args=[proposal.pk]), {"reason": ""})
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert proposal.status == Pledge.Status.PROPOSED
    client.post(reverse("merchants:pledge-approve", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == Pledge.Status.APPROVED


def test_revealing_a_complainants_phone_is_logged(client, market):
    feedback = services.feedback_submit(
        merchant=market["m_a"], kind="complaint", text="差", contact_phone="13812345678"
    )
    _login(client, market["secretary"])
    response = client.get(reverse("merchants:contact-phone", args=[feedback.pk]))
    assert response.status_code == 302 and not ContactAccess.objects.exists()
    response = client.post(reverse("merchants:contact-phone", args=[feedback.pk]))
    assert "tel:13812345678" in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    access = ContactAccess.objects.get()
    assert access.user == market["secretary"] and access.feedback == feedback


def test_secretary_cannot_act_on_another_districts_feedback(client, market):
    other = services.feedback_submit(merchant=market["m_a2"], kind="complaint", text="差", contact_phone="13812345678")
    _login(client, market["secretary"])
    assert client.post(reverse("merchants:feedback-publish", args=[other.pk])).status_code == 404
    assert client.post(reverse("merchants:contact-phone", args=[other.pk])).status_code == 404
    assert not ContactAccess.objects.exists()


DESK_PAGES = (
    "merchants:desk",
    "merchants:moderation",
    "merchants:complaints",
    "merchants:pledges",
    "merchants:ratings",
)


def _desk_queries(client):
    counts = {}
    for name in DESK_PAGES:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name)).status_code == 200, name
        counts[name] = len(ctx.captured_queries)
    return counts


_years = itertools.count(2001)


def _busy_merchants(market, n):
    for i in range(n):
        m = make_merchant(market["market_a"])
        services.feedback_submit(merchant=m, kind="complaint", text="差")
        services.pledge_propose(merchant=m, text=f"承诺{i}")
        services.rating_cycle_create(organization=market["market_a"], year=next(_years), criteria="x")


def test_desk_lists_page_and_do_not_grow_in_queries(client, market):
    _login(client, market["secretary"])
    _busy_merchants(market, 2)
    few = _desk_queries(client)
    _busy_merchants(market, 24)
    many = _desk_queries(client)
    assert many == few and max(many.values()) <= 10
    page = client.get(reverse("merchants:moderation")).content.decode()
    assert 'rel="next"' in page
    page2 = client.get(reverse("merchants:moderation"), {"page": 2}).content.decode()
    assert page2.count('class="card feedback-item"') == 6


def test_bad_page_and_filter_are_answered_with_a_message(client, market):
    _login(client, market["secretary"])
    response = client.get(reverse("merchants:desk"), {"page": "zz", "status": "nonsense"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "zz" in text


def test_anonymous_is_sent_to_login(client, market):
    response = client.get(reverse("merchants:index"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert PASSWORD


def test_secretary_takes_a_complaint(client, market):
    feedback = services.feedback_submit(merchant=market["m_a"], kind="complaint", text="差")
    _login(client, market["secretary"])
    client.post(reverse("merchants:complaint-take", args=[feedback.pk]))
    feedback.refresh_from_db()
    assert feedback.handler == market["secretary"] and feedback.due_on is not None
    assert str(market["secretary"]) in client.get(reverse("merchants:complaints")).content.decode()
