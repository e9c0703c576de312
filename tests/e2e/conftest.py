"""Browser tests: Playwright for Python driving Debian's Chromium against the live test server."""

import os

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """The browser journeys run on a SQLite file, not SQLite's shared in-memory test database.

    The live server answers a page's parallel requests (a service worker storing its shell while the page
    loads) in threads. On the in-memory database they share one cache, whose table locks are not retried
    ("database table is locked"): a request failed at random and the worker could not install. A file in
    WAL mode gives each thread its own connection, and the busy timeout lets writers queue.
    """
    from django.conf import settings

    for db_settings in settings.DATABASES.values():
        if db_settings["ENGINE"] == "django.db.backends.sqlite3":
            db_settings.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "e2e.sqlite3")


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are
    # still synchronous, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A page the size of a 375 px phone screen."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def pytest_collection_modifyitems(items):
    # A browser journey takes seconds; one that waits on a page for minutes is broken, not slow.
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(180))
