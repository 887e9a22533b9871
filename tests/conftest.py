"""Project-wide pytest wiring for the optional services: PostgreSQL, Redis and Chromium.

A test that needs one of them says so with a marker (``@pytest.mark.postgres``, ``redis``,
``browser``). Without the service the test is skipped with a reason naming what to set; with
``REQUIRE_SERVICES=1`` (as ``.ci/run`` sets) the same reason fails the test instead, so CI can never
go green by silently skipping the tests that matter.

Domain fixtures (users, organizations, ...) live beside their tests in ``tests/<app>/``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright's sync API runs an asyncio event loop in the test thread; Django would otherwise
# refuse ORM calls from that thread (SynchronousOnlyOperation) in browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-results"


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable(reason: str) -> None:
    """Skip the current test, or fail it when CI requires every service."""
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def postgres_missing() -> str | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"PostgreSQL not configured: set DATABASE_URL=postgres://... (database is {connection.vendor})"
    return None


@functools.cache
def redis_missing() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "Redis not configured: set REDIS_URL=redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:  # any failure means the same thing here: no usable Redis
        return f"Redis at REDIS_URL={url} did not answer PING: {exc}"
    return None


#: Debian's Chromium builds, lightest first: the headless shell (package chromium-headless-shell, what
#: Playwright itself runs headless) spends about a third less CPU a page than the full browser.
CHROMIUM_BUILDS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


@functools.cache
def find_chromium() -> str | None:
    for path in CHROMIUM_BUILDS:
        if Path(path).exists():
            return path
    return shutil.which("chromium-headless-shell") or shutil.which("chromium")


@functools.cache
def browser_missing() -> str | None:
    if find_chromium() is None:
        return "Chromium not found: install it (Debian: apt-get install chromium-headless-shell fonts-noto-cjk)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright not importable: pip install -r requirements-dev.txt"
    return None


SERVICE_CHECKS = {"postgres": postgres_missing, "redis": redis_missing, "browser": browser_missing}


@pytest.fixture(autouse=True)
def _require_marked_services(request: pytest.FixtureRequest) -> None:
    """Skip (or fail) a test whose service markers name a service that is not available."""
    for marker, check in SERVICE_CHECKS.items():
        if request.node.get_closest_marker(marker) is not None:
            reason = check()
            if reason:
                _unavailable(reason)


#: A file's expected length, for the order files are handed out in, counted in tests that use the
#: database (about a tenth of a second each): a browser test drives Chromium through several pages
#: (seconds), a file marked ``slow`` loads the whole demo district once, and a test without the
#: database is too quick to count.
BROWSER_TEST_WEIGHT = 30
SLOW_FILE_WEIGHT = 100


def weight_of(item: pytest.Item) -> int:
    if item.get_closest_marker("browser"):
        return BROWSER_TEST_WEIGHT
    return 1 if item.get_closest_marker("django_db") else 0


def file_weight(items: list[pytest.Item]) -> int:
    """A file's expected length, in tests that use the database."""
    slow = any(item.get_closest_marker("slow") for item in items)
    return sum(weight_of(item) for item in items) + (SLOW_FILE_WEIGHT if slow else 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest files first, keeping the order within each file.

    Under `make test`, xdist hands whole files to the workers in this order (``--dist loadfile
    --no-loadscope-reorder``): the longest ones are started early, one per worker, and the last ones
    handed out are short, so the workers end together instead of one running a long file alone at
    the end. In one process (PYTEST_WORKERS=0) it is simply the order they run in.
    """
    by_file: dict[Path, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.path, []).append(item)
    weights = {path: file_weight(file_items) for path, file_items in by_file.items()}
    items.sort(key=lambda item: -weights[item.path])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Keep each phase's report on the item so the `page` fixture can tell whether its test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _module_dates_of_today(request: pytest.FixtureRequest) -> None:
    """A test module's ``TODAY`` and ``YEAR`` (``timezone.localdate()`` and its year, which the
    notices and governance tests keep as module constants) are those of the day the test runs, not
    of the day the module was imported: a run that crosses midnight in Yiling (16:00 UTC) would
    otherwise compare yesterday's date with the one the portal writes today."""
    from django.utils import timezone

    module = getattr(request, "module", None)
    if module is not None and hasattr(module, "TODAY"):
        module.TODAY = timezone.localdate()
    if module is not None and hasattr(module, "YEAR"):
        module.YEAR = timezone.localdate().year


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """pytest-django's test database, and its freshly migrated rows kept aside: a transactional test
    ends with every table emptied and those rows put back under their first keys (tests/snapshots.py:
    faster than Django's flush, whose post_migrate writes them again under new keys), so the copies
    of the demo and the small district still fit after it."""
    from django.db import DEFAULT_DB_ALIAS
    from django.test import TransactionTestCase

    from tests import snapshots

    with django_db_blocker.unblock():
        snapshots.baseline_taken()
    flush = TransactionTestCase._fixture_teardown

    def flushed_to_the_baseline(self) -> None:
        # Django's flush, unless the test flushes only some apps or keeps its data serialized.
        whole = self.available_apps is None and not self.serialized_rollback
        if whole and self._databases_names(include_mirrors=False) == [DEFAULT_DB_ALIAS]:
            if snapshots.emptied_to_the_baseline():
                return
        flush(self)
        snapshots.baseline_restored()

    TransactionTestCase._fixture_teardown = flushed_to_the_baseline  # type: ignore[method-assign]
    yield
    TransactionTestCase._fixture_teardown = flush  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, django_db_setup: None):
    """pytest-django's live server, answering one request at a time on one database connection kept
    for the session (Django's own live server opens a new PostgreSQL connection, with cold caches,
    for every request: about 7 ms more a page). Each browser connection is still read in a thread of
    its own, so a socket Chromium opens ahead and leaves idle never holds up the others. The kept
    connection is closed when the server stops, before the test database goes."""
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread = _one_at_a_time(server.thread)
    server.start()
    yield server
    server.stop()


def _one_at_a_time(thread):
    """The same live server thread, answering one request at a time on kept connections."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread

    # As the tests' own connections have them: the test databases' names.
    test_databases = {alias: connections[alias].settings_dict for alias in connections}
    kept: dict = {}

    class OneAtATimeServer(ThreadedWSGIServer):
        """Reads each browser connection in its own thread; answers under one lock, on the kept
        database connections, with the whole body (so the lock is never held while a socket waits)."""

        answering = threading.Lock()

        def set_app(self, application):
            def one_at_a_time(environ, start_response):
                with self.answering:
                    response = application(environ, start_response)
                    try:
                        body = b"".join(response)
                    finally:
                        if hasattr(response, "close"):
                            response.close()  # request_finished, while the lock is held
                return [body]

            super().set_app(one_at_a_time)

        def process_request_thread(self, request, client_address):
            for alias, connection in kept.items():
                connections[alias] = connection
            super().process_request_thread(request, client_address)

        def _close_connections(self):
            pass  # the kept connections stay open until the server stops

    class KeptConnectionThread(LiveServerThread):
        server_class = OneAtATimeServer

        def run(self):
            # The portal closes its connection when a request ends (CONN_MAX_AGE 0): these keep
            # theirs open, shared by the request threads (LiveServerThread.run closes them when it
            # stops).
            for alias, settings_dict in test_databases.items():
                connection = connections.create_connection(alias)
                connection.settings_dict = {**settings_dict, "CONN_MAX_AGE": None}
                connection.inc_thread_sharing()
                connections[alias] = kept[alias] = connection
            try:
                super().run()
            finally:
                for connection in kept.values():
                    connection.dec_thread_sharing()

    return KeptConnectionThread(
        thread.host, thread.static_handler, connections_override=thread.connections_override, port=thread.port
    )


@pytest.fixture(scope="session")
def chromium_path() -> str:
    reason = browser_missing()
    if reason:
        _unavailable(reason)
    path = find_chromium()
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session (Playwright's own download is not used)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        # While Playwright's event loop runs in this thread, Django's connections live in that loop's
        # context (asgiref's thread-critical Local), apart from the ones opened before it started:
        # close them here, or the test database cannot be dropped at the end of the session.
        connections.close_all()
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context per test, set up like a user in Yiling; screenshot kept on failure."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.nodeid)
        try:
            page.screenshot(path=str(ARTIFACTS_DIR / f"{name}.png"), full_page=True)
        except Exception:  # a screenshot is a courtesy; never mask the real failure
            pass
    context.close()
