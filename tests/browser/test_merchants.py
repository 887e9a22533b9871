"""The public pledge board and the merchant's page on a phone (390×844): a customer's complaint from
the QR address to the board, through the secretary's review and the merchant's reply; the rate limit;
the A5 plaque with its QR code."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from merchants.models import Feedback
from organizations.models import Role
from tests.merchants.factories import make_market, make_merchant
from tests.organizations.factories import district_tree, user_with_role

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDTH = "document.scrollingElement.scrollWidth"
SCRIPT = "<script>window.hacked = 1</script>缺斤少两"


@pytest.fixture
def shop():
    tree = district_tree()
    market = make_market(tree["street_a"], name="长江市场党总支")
    merchant = make_merchant(market, name="张记粮油店", pledges="明码标价\n足斤足两")
    user_with_role(Role.MARKET_SECRETARY, organization=market, username="market")
    user_with_role(Role.MERCHANT, unit=merchant.shop, username="merchant")
    return merchant


def _send(page, kind_label: str, text: str) -> None:
    page.locator("#feedback-form label.kind-choice", has_text=kind_label).locator("input").check()
    page.fill("#feedback-form textarea[name=text]", text)
    page.locator("#feedback-form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_complaint_goes_from_the_qr_address_to_the_board(live_server, browser, page, shop):
    board = f"{live_server.url}{reverse('board:board', kwargs={'code': shop.board_code})}"
    page.set_viewport_size(PHONE)
    page.goto(board)
    assert page.locator("h1").inner_text() == "张记粮油店"
    assert "明码标价" in page.locator("#pledges").inner_text()
    assert page.evaluate(WIDTH) <= PHONE["width"]

    page.fill("#feedback-form input[name=contact_phone]", "13912345678")
    _send(page, "投诉", SCRIPT)
    assert "待审核" in page.locator("#receipt .feedback-status").inner_text()
    receipt = page.locator("#receipt .receipt-no").inner_text()
    assert receipt == Feedback.objects.get().receipt
    assert SCRIPT in page.locator("#receipt .feedback-text").inner_text()
    assert page.evaluate("window.hacked") is None
    assert page.evaluate(WIDTH) <= PHONE["width"]
    page.goto(board)
    assert SCRIPT not in page.locator("#feedback-list").inner_text()

    secretary = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE).new_page()
    log_in(secretary, f"{live_server.url}{reverse('merchants:moderation')}", "market")
    item = secretary.locator(".feedback-item", has_text="缺斤少两")
    assert "13912345678" not in secretary.content()
    assert secretary.evaluate(WIDTH) <= PHONE["width"]
    item.locator("button", has_text="公开").click()
    secretary.wait_for_load_state()
    assert "已在公示牌上公开" in secretary.locator("ul.messages").inner_text()

    owner = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE).new_page()
    log_in(owner, f"{live_server.url}/", "merchant")
    assert owner.locator("h1").inner_text() == "张记粮油店"
    assert owner.evaluate(WIDTH) <= PHONE["width"]
    message = owner.locator(".feedback-item", has_text="缺斤少两")
    message.locator("input[name=reply]").fill("已核实，当面补足分量并致歉")
    message.locator("button[type=submit]").click()
    owner.wait_for_load_state()
    assert "回复已保存" in owner.locator("ul.messages").inner_text()

    page.goto(board)
    shown = page.locator("#feedback-list").inner_text()
    assert SCRIPT in shown and "已核实，当面补足分量并致歉" in shown
    assert "13912345678" not in page.content() and page.evaluate("window.hacked") is None

    # Four more this hour from this address make five; the sixth is refused, kindly.
    for i in range(4):
        page.goto(board)
        _send(page, "建议", f"建议{i}")
        assert page.locator("#thanks").count() == 1
    page.goto(board)
    page.locator("#feedback-form label.kind-choice", has_text="表扬").locator("input").check()
    page.fill("#feedback-form textarea[name=text]", "第六条")
    with page.expect_response(lambda r: "/feedback/" in r.url) as answer:
        page.locator("#feedback-form button[type=submit]").click()
    assert answer.value.status == 429
    assert page.locator("h1").inner_text() == "请稍后再试"
    assert Feedback.objects.count() == 5


def test_the_plaque_prints_on_one_a5_page_with_the_boards_qr_code(live_server, page, shop):
    board_path = reverse("board:board", kwargs={"code": shop.board_code})
    page.goto(f"{live_server.url}{reverse('board:plaque', kwargs={'code': shop.board_code})}")
    assert "党员承诺公示牌" in page.locator("h1").inner_text()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1
    box = [float(n) for n in re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf).groups()]
    assert abs(box[2] - 419.5) < 2 and abs(box[3] - 595.3) < 2  # A5 in points
    # The QR code as printed: the PDF's page rendered to pixels and decoded, as a customer's phone would.
    assert qr_codes_in(pdf) == [f"{live_server.url}{board_path}"]


def qr_codes_in(pdf: bytes) -> list[str]:
    """The texts of the QR codes on the first page of ``pdf``, rendered at 3× and decoded by zxing-cpp."""
    import pypdfium2
    import zxingcpp

    bitmap = pypdfium2.PdfDocument(pdf)[0].render(scale=3, grayscale=True)
    width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
    raw = bytes(bitmap.buffer)
    rows = b"".join(raw[y * stride : y * stride + width * channels] for y in range(height))
    image = memoryview(rows).cast("B", shape=[height, width] if channels == 1 else [height, width, channels])
    return [code.text for code in zxingcpp.read_barcodes(image)]
