"""The settings pytest runs under: the project's own, with debug on unless the environment says.

The project defaults to debug off, so that a server started without DEBUG is safe. The tests need
what debug on gives at import time (a development SECRET_KEY, static files served without a
collectstatic manifest); pytest-django still runs each test with ``settings.DEBUG = False``.
"""

import os

os.environ.setdefault("DEBUG", "1")

from .settings import *  # noqa: E402, F403

# A login hashes the password; Django's PBKDF2 (a million rounds) costs about half a second a time,
# and the suite logs in hundreds of times. Tests check behaviour, not hashing strength: the
# production hasher list is settings.PASSWORD_HASHERS, unchanged for every real server.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each parallel test worker (pytest-xdist) its own cache keys in the shared Redis, so one worker's
# cached pages never answer the other's requests, and a worker can forget its own.
CACHES["default"]["KEY_PREFIX"] = f"yiling-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # noqa: F405
