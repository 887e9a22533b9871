from django.urls import reverse

from merchants import services
from merchants.models import Feedback, Merchant
from organizations.models import Role
from tests.organizations.factories import grant_admin, user_with_role


def _staff(market, organization, role=Role.STREET_STAFF):
    user = user_with_role(role, organization=organization)
    grant_admin(user, Merchant, Feedback)
    return user


def test_merchant_changelist_is_scoped(client, market):
    client.force_login(_staff(market, market["street_b"]))
    page = client.get(reverse("admin:merchants_merchant_changelist")).content.decode()
    assert "东城鲜肉铺" in page and "张记粮油店" not in page
    other = market["m_a"]
    assert client.get(reverse("admin:merchants_merchant_change", args=[other.pk])).status_code in (302, 403, 404)


def test_merchant_export_masks_the_operators_id_number(client, market):
    client.force_login(_staff(market, market["street_a"]))
    response = client.get(reverse("admin:merchants_merchant_export") + "?format=csv")
    text = response.content.decode("utf-8-sig")
    assert "张记粮油店" in text and market["m_a"].operator.id_number not in text
    assert "东城鲜肉铺" not in text


def test_feedback_admin_masks_the_phone(client, market):
    feedback = services.feedback_submit(
        merchant=market["m_a"], kind="complaint", text="差", contact_phone="13812345678"
    )
    client.force_login(_staff(market, market["street_a"]))
    page = client.get(reverse("admin:merchants_feedback_change", args=[feedback.pk])).content.decode()
    assert "138****5678" in page and "13812345678" not in page
