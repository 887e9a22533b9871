"""No log line carries a full ID number or phone, whoever logs it."""

from __future__ import annotations

import io
import logging

from yiling.privacy import RedactingFilter

ID = "11010519491231002X"


def test_redacting_filter_masks_message_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "member %s phone %s", (ID, "13812345678"), None)
    try:
        raise ValueError(f"duplicate {ID}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "member 1101************** phone 138****5678"
    assert ID not in record.exc_text
    assert "1101**************" in record.exc_text


def test_configured_handlers_redact():
    # The console handler of settings.LOGGING carries the filter: log through the real configuration.
    [console] = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger("members.test").warning("importing %s", ID)
    finally:
        console.setStream(previous)
    assert ID not in stream.getvalue()
    assert "importing 1101**************" in stream.getvalue()


def _written_through(logger_name: str, message: str, *args) -> str:
    """What the handlers of ``logger_name`` write for one record."""
    logger = logging.getLogger(logger_name)
    streams = []
    for handler in logger.handlers:
        if type(handler) is not logging.StreamHandler:  # pytest's own capture handlers
            continue
        stream = io.StringIO()
        streams.append((handler, handler.setStream(stream), stream))
    try:
        logger.info(message, *args)
    finally:
        for handler, previous, _stream in streams:
            handler.setStream(previous)
    assert streams, f"{logger_name} has no handler of its own"
    return "".join(s.getvalue() for _h, _p, s in streams)


def test_every_configured_handler_masks(settings):
    assert all("redact" in handler.get("filters", []) for handler in settings.LOGGING["handlers"].values())


def test_development_server_request_lines_are_masked():
    line = _written_through("django.server", '"%s" %s %s', f"GET /admin/members/member/?q={ID} HTTP/1.1", "200", "1")
    assert ID not in line
    assert "q=1101**************" in line


def test_gunicorn_access_log_is_masked():
    import logging.config
    import runpy
    from pathlib import Path

    from django.conf import settings as django_settings

    config = dict(runpy.run_path(str(Path(django_settings.BASE_DIR) / "gunicorn.conf.py"))["logconfig_dict"])
    config.pop("root")  # leave this process's root logger (the portal's configuration) alone
    logging.config.dictConfig(config)
    try:
        # gunicorn formats its access line with a dict of atoms.
        line = _written_through("gunicorn.access", "%(r)s %(s)s", {"r": f"GET /members/?q={ID} HTTP/1.1", "s": "200"})
    finally:
        for name in ("gunicorn.access", "gunicorn.error"):
            logging.getLogger(name).handlers.clear()
    assert ID not in line
    assert "1101**************" in line
