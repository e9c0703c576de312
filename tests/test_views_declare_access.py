"""Pages deny by default: every page view declares who may open it (core.access: `requires`,
`login_only` or `public`), so a view without a declaration fails here instead of opening for everyone.

The API (Ninja, with its own token and session authentication), the Django admin (staff only) and
Django's language switch (a public form that only stores a language choice) are not page views of ours.
"""

from django.urls import URLPattern, URLResolver, get_resolver

from yiyang.core.access import access_of

NOT_PAGES = ("api/", "admin/", "i18n/")


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_page_view_declares_who_may_open_it():
    undeclared = [
        f"{route} -> {callback.__module__}.{callback.__name__}"
        for route, callback in _patterns(get_resolver("yiyang.urls"))
        if not route.startswith(NOT_PAGES) and access_of(callback) is None
    ]
    assert undeclared == []


def test_the_walk_reaches_the_pages_of_every_app():
    routes = {route for route, callback in _patterns(get_resolver("yiyang.urls")) if access_of(callback)}
    for start in ("elders/", "facilities/", "homecare/", "supervision/", "analytics/", "map/", "accounts/login/"):
        assert any(route.startswith(start) for route in routes), start


def test_pages_anyone_may_open_are_few_and_named():
    public = {
        route
        for route, callback in _patterns(get_resolver("yiyang.urls"))
        if not route.startswith(NOT_PAGES) and access_of(callback) and not access_of(callback).login
    }
    # The large-font switch stores only a display choice (a cookie, and the signed-in user's own setting).
    # The phone app's manifest, service worker and icon hold no data; browsers fetch them to install the app.
    assert public == {"accounts/login/", "accounts/logout/", "accounts/large-font/", "map/",
                      "map/facilities/<int:facility_id>/", "visits/app/manifest.webmanifest", "visits/app/sw.js",
                      "visits/app/icon.svg"}  # fmt: skip


def test_every_menu_link_reads_the_declaration_of_its_page():
    from yiyang.core.context_processors import NAVIGATION, page_access

    assert [name for _, name, _ in NAVIGATION if page_access(name) is None] == []
