"""No log line carries a full ID number or phone, whoever logs it and however it is written.

The tests log through the configured handlers (settings.LOGGING, gunicorn.conf.py, the Celery
worker's set-up) and read what those handlers write, not what pytest's capture sees: the capture
sits beside the handlers and would see a record before any handler's filter masked it.
"""

from __future__ import annotations

import io
import logging
import logging.config
import os
import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import RequestFactory

from yiling.privacy import RedactingFilter, mask_birth_date, mask_id_number, mask_phone, redact

ID = "11010519491231002X"
MASKED_ID = "1101**************"
YILING_ID = "420506199001011234"
MASKED_YILING_ID = "4205**************"
PHONE = "17754516767"
MASKED_PHONE = "177****6767"
FULL_WIDTH_ID = YILING_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def test_masks_keep_too_little_to_rebuild_the_number():
    assert mask_id_number(YILING_ID) == MASKED_YILING_ID
    assert mask_id_number(ID) == MASKED_ID
    assert mask_id_number("") == mask_id_number(None) == ""
    assert mask_phone(PHONE) == MASKED_PHONE
    assert mask_birth_date(date(1990, 1, 1)) == "1990-01"
    assert mask_birth_date("1975-3-03") == "1975-03"
    assert mask_birth_date(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"member {YILING_ID} saved", f"member {MASKED_YILING_ID} saved"),
        ("id 420506 19900101 1234 checked", f"id {MASKED_YILING_ID} checked"),
        ("id 420506-19900101-1234", f"id {MASKED_YILING_ID}"),
        (f"id {FULL_WIDTH_ID}", f"id {MASKED_YILING_ID}"),
        (f"id {YILING_ID}abc", f"id {MASKED_YILING_ID}abc"),
        (f"id {ID.lower()}yz", f"id {MASKED_ID}yz"),
        (f"q={YILING_ID}&page=2", f"q={MASKED_YILING_ID}&page=2"),
        ("q=420506+19900101+1234&x", f"q={MASKED_YILING_ID}&x"),
        ("q=420506%2019900101%201234", f"q={MASKED_YILING_ID}"),
        ("q=" + "".join(f"%{b:02X}" for b in FULL_WIDTH_ID.encode()), f"q={MASKED_YILING_ID}"),
        ("Not Found: /m/" + FULL_WIDTH_ID.encode("unicode_escape").decode(), f"Not Found: /m/{MASKED_YILING_ID}"),
        ("old card 420506900101123 and 6222021234567890123", "old card 4205*********** and 6222***************"),
        (f"call {PHONE}", f"call {MASKED_PHONE}"),
        ("call +8617754516767", f"call +86{MASKED_PHONE}"),
        ("call 8617754516767", f"call 86{MASKED_PHONE}"),
        ("call 008617754516767", f"call 0086{MASKED_PHONE}"),
        ("call +86 177 5451 6767.", f"call +86 {MASKED_PHONE}."),
        ("call 177-5451-6767", f"call {MASKED_PHONE}"),
        ("call 177 5451 6767", f"call {MASKED_PHONE}"),
        ("call １７７５４５１６７６７", f"call {MASKED_PHONE}"),
        ("row 3 17754516767", f"row 3 {MASKED_PHONE}"),
    ],
)
def test_redact_masks_every_way_of_writing_a_number(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02 17:08:54,123 WARNING members row 3, column 出生日期",
        '"GET /admin/?o=1.2 HTTP/1.1" 200 12345',
        "landline 0717-1234567, member 42, uuid 3f2a1b4c-1234-4abc-8def-123456789012",
        "GET /a%20b%0Ac",  # an encoded line break stays encoded: no forged log lines
    ],
)
def test_redact_leaves_ordinary_text_alone(text):
    assert redact(text) == text


def test_redacting_filter_masks_message_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "member %s phone %s", (ID, PHONE), None)
    try:
        raise ValueError(f"duplicate {ID}")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert record.getMessage() == f"member {MASKED_ID} phone {MASKED_PHONE}"
    assert ID not in record.exc_text
    assert MASKED_ID in record.exc_text


# --- through the configured handlers -------------------------------------------------------------


def _real_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers a record logged on ``logger`` reaches that write somewhere (not pytest's capture)."""
    handlers = []
    current: logging.Logger | None = logger
    while current is not None:
        handlers += [
            h
            for h in current.handlers
            if not type(h).__module__.startswith("_pytest") and not isinstance(h, logging.NullHandler)
        ]
        current = current.parent if current.propagate else None  # type: ignore[assignment]
    return handlers


@contextmanager
def written(*logger_names: str) -> Iterator[io.StringIO]:
    """Everything the handlers of these loggers write meanwhile, whichever stream they write to."""
    handlers = {h for name in logger_names for h in _real_handlers(logging.getLogger(name))}
    assert handlers, f"{logger_names} reach no handler"
    stream = io.StringIO()
    previous = {}
    for handler in handlers:
        assert isinstance(handler, logging.StreamHandler), f"{handler!r} writes where this test cannot read"
        previous[handler] = handler.setStream(stream)
    try:
        yield stream
    finally:
        for handler, old in previous.items():
            handler.setStream(old)


def test_every_handler_any_logger_reaches_masks():
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    unmasked = {
        (logger.name, repr(handler))
        for logger in loggers
        for handler in _real_handlers(logger)
        if not any(isinstance(f, RedactingFilter) for f in handler.filters)
    }
    assert not unmasked


def test_a_redis_subscription_adds_no_unmasked_handler():
    """redis-py adds a stream handler of its own to its "push_response" logger when a client first
    subscribes (the Celery worker's Redis transport does), unless that logger is configured already."""
    import redis

    redis.Redis.from_url("redis://127.0.0.1:1/0").pubsub()  # builds the subscription, connects nowhere

    handlers = _real_handlers(logging.getLogger("push_response"))
    assert handlers and all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in handlers)


def test_application_log_lines_come_out_masked():
    with written("members.roster") as out:
        logging.getLogger("members.roster").warning(
            "row %d: %s, call %s", 3, "420506 19900101 1234", "+86 177-5451-6767"
        )
        try:
            raise ValueError(f"duplicate {FULL_WIDTH_ID}")
        except ValueError:
            logging.getLogger("members.roster").exception("import failed for %s", ID)

    text = out.getvalue()
    assert f"row 3: {MASKED_YILING_ID}, call +86 {MASKED_PHONE}" in text
    assert f"import failed for {MASKED_ID}" in text and f"duplicate {MASKED_YILING_ID}" in text
    for secret in (YILING_ID, ID, PHONE, FULL_WIDTH_ID, "5451", "0101"):
        assert secret not in text


def test_djangos_not_found_line_under_debug_is_masked(client, settings):
    settings.DEBUG = True
    with written("django.request") as out:
        response = client.get(f"/no-such-page/{FULL_WIDTH_ID}/{YILING_ID}x/", {"q": PHONE})

    assert response.status_code == 404
    text = out.getvalue()
    assert f"Not Found: /no-such-page/{MASKED_YILING_ID}/{MASKED_YILING_ID}x/" in text
    assert YILING_ID not in text and "\\uff14" not in text and PHONE not in text


def test_development_server_request_lines_are_masked():
    # The request line exactly as runserver's handler logs it, query string and all.
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = RequestFactory().get("/")
    handler.client_address = ("127.0.0.1", 50000)
    encoded_id = "".join(f"%{b:02X}" for b in FULL_WIDTH_ID.encode())
    with written("django.server") as out:
        handler.requestline = f"GET /admin/members/member/?q={ID} HTTP/1.1"
        handler.log_request(200, 1234)
        handler.requestline = f"GET /members/?q={encoded_id}&phone=177+5451+6767 HTTP/1.1"
        handler.log_request(404, 99)

    text = out.getvalue()
    assert f"GET /admin/members/member/?q={MASKED_ID} HTTP/1.1" in text
    assert f"GET /members/?q={MASKED_YILING_ID}&phone={MASKED_PHONE} HTTP/1.1" in text
    assert ID not in text and encoded_id not in text and "5451" not in text


@pytest.fixture
def gunicorn_logger():
    """gunicorn's own logger, set up from gunicorn.conf.py as the production image runs it."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    cfg = Config()
    for name, value in runpy.run_path(str(Path(django_settings.BASE_DIR) / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        yield Logger(cfg)
    finally:
        root.handlers[:], root.level = saved  # this process's root stays the portal's
        for name in ("gunicorn.access", "gunicorn.error"):
            logging.getLogger(name).handlers.clear()


def test_gunicorn_access_and_error_logs_are_masked(gunicorn_logger):
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/members/?q=420506+19900101+1234",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": f"https://portal.example.cn/admin/members/member/?q={ID}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    with written("gunicorn.access", "gunicorn.error") as out:
        gunicorn_logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=20))
        gunicorn_logger.error("worker failed on %s", f"+86 {PHONE}")

    text = out.getvalue()
    assert f'"GET /members/?q={MASKED_YILING_ID} HTTP/1.1" 200 512' in text
    assert f"member/?q={MASKED_ID}" in text and f"worker failed on +86 {MASKED_PHONE}" in text
    assert "19900101" not in text and ID not in text and PHONE not in text


def test_celery_task_logs_are_masked(monkeypatch):
    """A worker sets up logging through yiling.celery's receiver: task loggers get no unmasked handler."""
    from celery.utils.log import get_task_logger

    from yiling.celery import app

    monkeypatch.setattr(os, "environ", dict(os.environ))  # Celery writes its log settings there
    monkeypatch.setattr(type(app.log), "_setup", False)
    app.log.setup_logging_subsystem(loglevel="INFO")

    with written("celery.task.members", "celery.worker") as out:
        get_task_logger("members.tasks").warning("notice to %s failed", PHONE)
        logging.getLogger("celery.worker").info("received %s", YILING_ID)

    text = out.getvalue()
    assert f"notice to {MASKED_PHONE} failed" in text and MASKED_YILING_ID in text
    assert PHONE not in text and YILING_ID not in text


def test_the_checks_above_fail_when_a_handler_does_not_mask():
    """The harness reads what handlers write: an unfiltered handler's output shows up in full."""
    logger = logging.getLogger("tests.unmasked")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with written("tests.unmasked") as out:
            logger.warning("id %s", ID)
        assert ID in out.getvalue()
        with pytest.raises(AssertionError):
            test_every_handler_any_logger_reaches_masks()
    finally:
        logger.removeHandler(handler)
