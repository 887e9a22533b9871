"""Walks: tests that send thousands of requests as a few fixed users to check one thing about every
answer (the admin-lookup walk sends about 16,000).

Most of each such request's time went to what the walk does not check: reading the session from
the database, loading the user, their role assignments and their permissions again, and writing
the refusal's log record with its traceback. :func:`many_requests` makes those cheap for the walk,
and only for it; every request still passes the whole middleware stack, the views and the guard:

- sessions are signed cookies, so a request reads no session row (how a session is kept is not
  what a walk asks about; ``tests/yiling/test_login_lockout.py`` and the browser tests keep the
  database sessions the portal uses);
- each user is loaded once by Django's own backend and the same user object answers for them on
  every later request, so what the portal reads once per request and keeps on the user (their role
  assignments, ``yiling.scoping.assignments_of``; their permissions, Django's own ``_perm_cache``)
  is read once for the walk (a walk's users never change their roles or permissions; ``has_perm``
  and the scoping rule are still asked every time). Every other test loads them per request;
- the request and security loggers drop their records. What a refusal writes to the log, and that it
  names no personal value, has its own test (``test_a_refused_lookup_is_logged_without_the_value``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.contrib.auth.backends import ModelBackend
from django.test import override_settings

#: The loggers a refused or failed request writes to (django.request: "Bad Request: ...";
#: django.security.*: the refusal itself, with its traceback).
REQUEST_LOGGERS = ("django.request", "django.security")


@contextmanager
def many_requests() -> Iterator[None]:
    """Signed-cookie sessions, each user loaded once, and quiet request logs, until exit."""
    loaded: dict[Any, Any] = {}
    load = ModelBackend.get_user

    def get_user(backend, user_id):
        if user_id not in loaded:
            loaded[user_id] = load(backend, user_id)
        return loaded[user_id]

    loggers = [logging.getLogger(name) for name in REQUEST_LOGGERS]
    levels = [logger.level for logger in loggers]
    with (
        override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"),
        mock.patch.object(ModelBackend, "get_user", get_user),
    ):
        for logger in loggers:
            logger.setLevel(logging.CRITICAL + 1)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
