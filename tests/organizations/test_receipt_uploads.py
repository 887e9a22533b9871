"""Expense receipts checked by content on every way in (the secretaries' page, the admin, the
service) and served by the type their content shows, PDFs as downloads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from organizations import services
from organizations.models import Expense

from ..yiling.test_uploads import HTML, JPEG_BYTES, PLAIN_PDF, PNG_BYTES, SVG, pdf
from . import test_governance_admin as admin_tests
from . import test_governance_views as view_tests
from .test_governance_admin import expense_post
from .test_governance_views import action_url, expense_data, messages_of, today

# The fixtures of the admin and portal tests of governance, used here as they are.
district, gov_a = admin_tests.district, admin_tests.gov_a
units, funds, community_secretary, secretary_client = (
    view_tests.units,
    view_tests.funds,
    view_tests.community_secretary,
    view_tests.secretary_client,
)

pytestmark = pytest.mark.django_db

REFUSED = {
    "html-as-png": ("receipt.png", HTML, "内容不是 JPG、PNG、PDF"),
    "svg-as-png": ("receipt.png", SVG, "内容不是 JPG、PNG、PDF"),
    "pdf-javascript": ("receipt.pdf", pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"), "/JS"),
    "pdf-openaction": ("receipt.pdf", pdf(b"<< /OpenAction [3 0 R /Fit] >>"), "/OpenAction"),
}
ACCEPTED = {"jpeg": ("fapiao.jpg", JPEG_BYTES), "png": ("fapiao.png", PNG_BYTES), "pdf": ("fapiao.pdf", PLAIN_PDF)}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize("case", REFUSED)
def test_the_portal_refuses_a_receipt_by_its_content(case, units, funds, media, secretary_client):
    name, content, reason = REFUSED[case]
    response = secretary_client.post(
        action_url("expense-record", units["compound_a"]),
        expense_data(funds["compound_a"], receipt=SimpleUploadedFile(name, content, content_type="image/png")),
    )
    assert response.status_code == 200
    (message,) = [m for m in messages_of(response) if m.startswith("收据（")]
    assert "票据文件" in message and reason in message, message
    assert not Expense.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("case", ACCEPTED)
def test_the_portal_accepts_a_jpeg_png_or_pdf_receipt(case, units, funds, media, secretary_client):
    name, content = ACCEPTED[case]
    response = secretary_client.post(
        action_url("expense-record", units["compound_a"]),
        expense_data(funds["compound_a"], receipt=SimpleUploadedFile(name, content), receipt_number=""),
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert (media / expense.receipt.name).read_bytes() == content


def test_the_portal_serves_a_pdf_receipt_as_a_download(units, funds, media, secretary_client):
    expense = services.expense_record(
        allocation=funds["compound_a"], amount=Decimal("10"), spent_on=today(), purpose="资料",
        receipt=SimpleUploadedFile("fapiao.pdf", PLAIN_PDF),
    )  # fmt: skip
    response = secretary_client.get(reverse("organizations:expense-receipt", args=[expense.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PLAIN_PDF


@pytest.mark.parametrize("case", REFUSED)
def test_the_admin_refuses_a_receipt_by_its_content(case, gov_a, district, client, media):
    name, content, reason = REFUSED[case]
    before = Expense.objects.count()
    response = client.post(
        reverse("admin:organizations_expense_add"),
        expense_post(gov_a["allocation"], "10.00", receipt=SimpleUploadedFile(name, content), receipt_number=""),
    )
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["receipt"]
    assert message.startswith("票据文件") and reason in message, message
    assert Expense.objects.count() == before
    assert stored_files(media) == []


@pytest.mark.parametrize("case", ACCEPTED)
def test_the_admin_accepts_a_jpeg_png_or_pdf_receipt(case, gov_a, district, client, media):
    name, content = ACCEPTED[case]
    response = client.post(
        reverse("admin:organizations_expense_add"),
        expense_post(gov_a["allocation"], "10.00", receipt=SimpleUploadedFile(name, content), receipt_number=""),
    )
    assert response.status_code == 302
    expense = Expense.objects.get(purpose="购买活动用品")
    assert [p.read_bytes() for p in stored_files(media)] == [content]
    assert (media / expense.receipt.name).read_bytes() == content


def test_the_admin_serves_a_pdf_receipt_as_a_download(gov_a, district, client, media):
    response = client.post(
        reverse("admin:organizations_expense_add"),
        expense_post(gov_a["allocation"], "10.00", receipt=SimpleUploadedFile("fapiao.pdf", PLAIN_PDF)),
    )
    assert response.status_code == 302
    expense = Expense.objects.get(receipt__endswith=".pdf")
    download = client.get(reverse("admin:organizations_expense_receipt", args=[expense.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PLAIN_PDF


@pytest.mark.parametrize("case", REFUSED)
def test_the_service_refuses_a_receipt_by_its_content_whoever_calls_it(case, gov_a, media):
    name, content, reason = REFUSED[case]
    with pytest.raises(ValidationError) as refused:
        services.expense_record(
            allocation=gov_a["allocation"], amount=Decimal("10"), spent_on=today(), purpose="资料",
            receipt=SimpleUploadedFile(name, content),
        )  # fmt: skip
    (message,) = refused.value.message_dict["receipt"]
    assert reason in message
    assert stored_files(media) == []
