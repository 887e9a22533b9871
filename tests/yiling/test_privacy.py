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
    assert record.getMessage() == "member 1101**********002X phone 138****5678"
    assert ID not in record.exc_text
    assert "1101**********002X" in record.exc_text


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
    assert "importing 1101**********002X" in stream.getvalue()
