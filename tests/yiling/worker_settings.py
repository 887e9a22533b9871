"""Settings of the real Celery worker the notice tests start: the test settings, with email written
to files (so the test counts what was really sent) through a backend that can stall on request, so the
test can kill the worker's process in the middle of sending."""

import os

from yiling.test_settings import *  # noqa: F403

EMAIL_BACKEND = "tests.yiling.worker_mail.StallingFileBackend"
EMAIL_FILE_PATH = os.environ["YILING_TEST_MAILDIR"]
# A queue of its own: the worker consumes it and queues its own tasks (the deliveries) there, so no
# other test's worker on the same Redis takes them, nor this one theirs.
CELERY_TASK_DEFAULT_QUEUE = os.environ["YILING_TEST_QUEUE"]
