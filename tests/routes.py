"""Every route of the project, as "METHOD route" keys: the page URL patterns (Django's resolver) and the
API operations (Ninja's path views, one key per method). The route-walking test compares this list with
the scope table, so a new route without an entry fails the build."""

from django.urls import URLPattern, URLResolver, get_resolver

# Django's admin (staff only, read-only by decision 0003) and the language switch are not our routes;
# the API's schema and docs pages describe routes and hold no rows.
NOT_OURS = ("admin/", "i18n/", "api/openapi.json", "api/docs")


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _path_view(callback):
    from ninja.operation import PathView

    for cell in getattr(callback, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def all_routes() -> set[str]:
    """Pages as "PAGE route" (they answer GET and, for forms, POST); API operations as "METHOD route"."""
    keys = set()
    for route, callback in _patterns(get_resolver()):
        if route.startswith(NOT_OURS) or route == "api/":  # Ninja's root answers 404 to everyone
            continue
        view = _path_view(callback)
        if view is None:
            keys.add(f"PAGE {route}")
        else:
            keys.update(f"{method} {route}" for operation in view.operations for method in operation.methods)
    return keys
