"""An email backend for the real-worker tests: files, and a stall the test can kill the worker in."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class StallingFileBackend(EmailBackend):
    """Writes each message to a file in EMAIL_FILE_PATH. When the file named by YILING_TEST_STALL
    exists, the first send removes it, writes the process id beside it and waits to be killed."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        marker = Path(os.environ.get("YILING_TEST_STALL", "/nonexistent"))
        if marker.exists():
            marker.unlink()
            marker.with_suffix(".pid").write_text(str(os.getpid()))
            time.sleep(60)
        return super().send_messages(email_messages)
