"""DESIGN.md §4, proven for every route: each page and API operation has an entry in the one scope table
(tests/scope_table.py), and each outsider gets what the entry says: 404 (or 403 whatever the row), a
login, never the home county's rows, and no change in the database."""

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.test import Client, override_settings
from django.urls import include, path

from tests import world as world_module
from tests.routes import all_routes
from tests.scope_table import ROUTES, ROW
from yiyang.core.access import login_only

OUTSIDERS = ["neighbour_officer", "other_city_officer", "other_facility_manager", "other_provider",
             "other_caregiver", "other_family"]  # fmt: skip
MISSING = 2_000_000_000
MISSING_UUID = "00000000-0000-4000-8000-000000000000"
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
REFUSED = (403, 404)


def test_every_route_has_one_entry_in_the_scope_table():
    routes = all_routes()
    assert sorted(routes - ROUTES.keys()) == [], "routes without a scope-table entry"
    assert sorted(ROUTES.keys() - routes) == [], "scope-table entries for routes that no longer exist"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world is built once for the module, inside a transaction rolled back at its end; each test runs
    in a savepoint within it, so a route that wrongly changed something changes nothing for the next."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield world_module.build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _value(world, route: str, entry, name: str, missing: bool):
    if missing and name not in ("kind", "step", "code"):
        return MISSING_UUID if "<uuid:" in route else MISSING
    if missing and name == "code":
        return "411099000000"  # a county code that no region holds
    if entry.params and name in entry.params:
        return world.rows[entry.params[name]]
    app = route.split("/")[2] if route.startswith("api/") else route.split("/")[0]
    return world.rows.get(f"{name}:{app}", world.rows.get(name))


def url_of(world, key: str, entry, missing: bool = False) -> str:
    route = key.split(" ", 1)[1]
    url = "/" + PARAM.sub(lambda m: str(_value(world, route, entry, m.group(1), missing)), route)
    query = entry.query.format(**{name: value for name, value in world.rows.items() if ":" not in name})
    return url + ("?" + query if query else "")


def fill(body, world):
    if body is None:
        return {}
    text = json.dumps(body, ensure_ascii=False)
    for name, value in world.rows.items():
        text = text.replace(f'"{{{name}}}"', json.dumps(value))
    return json.loads(text)


def call(user, key: str, entry, url: str, world):
    client = Client()
    if user is not None:
        client.force_login(user)
    method = entry.method if key.startswith("PAGE ") else key.split(" ", 1)[0]
    if key.startswith("PAGE "):
        body = fill(entry.body, world)
        return client.post(url, body) if method == "POST" else client.get(url)
    query, body = sample_request(key)
    if entry.body is not None:
        body = fill(entry.body, world)
    given = parse_qs(urlsplit(url).query)
    query = {name: value for name, value in query.items() if name not in given}
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    if entry.multipart is not None:
        form = {name: value for name, value in entry.multipart.items() if value != "<photo>"}
        field = next((name for name, value in entry.multipart.items() if value == "<photo>"), "photos")
        form[field] = SimpleUploadedFile("a.png", world_module.PNG, content_type="image/png")
        return client.post(url, form)
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, json.dumps(body), content_type="application/json")


NOT_DATA = ("sessions.Session", "axes.AccessLog", "axes.AccessAttempt", "axes.AccessFailureLog")


def fingerprint():
    """Row counts of every table and the audit entries other than sign-ins: what a refused request must
    leave unchanged (signing the test's users in writes sessions, login records and their audit)."""
    from yiyang.core.audit import AuditAction
    from yiyang.core.models import AuditEntry

    counts = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
    for label in NOT_DATA:
        counts.pop(label, None)
    sign_ins = AuditEntry.objects.filter(action__in=[AuditAction.LOGIN, AuditAction.LOGOUT]).count()
    counts["core.AuditEntry"] -= sign_ins
    return counts


def content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def asked_to_sign_in(response, key) -> bool:
    if key.startswith("PAGE "):
        return response.status_code == 302 and "/accounts/login/" in response["Location"]
    return response.status_code == 401


def leaked(response, markers) -> list[str]:
    text = content(response)
    return [marker for marker in markers if marker in text]


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(ROUTES))
def test_outsiders_get_nothing(world, key):
    problems = problems_of(world, key, ROUTES[key])
    assert problems == [], (key, problems)


def problems_of(world, key: str, entry) -> list[str]:
    """What the entry promises and the route does not keep, tried as every outsider and the owner."""
    users = world.users
    markers = list(world_module.MARKERS.values())
    real = url_of(world, key, entry)
    if entry.kind == "region":
        real += ("&" if "?" in real else "?") + "region=" + world_module.HOME_COUNTY
    before = fingerprint()
    problems = []

    if entry.kind == "public":
        response = call(None, key, entry, real, world)
        if response.status_code >= 400 or leaked(response, [world_module.MARKERS["elder"]]):
            problems.append(f"anonymous: {response.status_code} {leaked(response, markers)}")
    elif entry.kind != "signed":
        response = call(None, key, entry, real, world)
        if not asked_to_sign_in(response, key):
            problems.append(f"anonymous: {response.status_code}")

    if entry.kind == "signed":
        for who in ("anonymous", *OUTSIDERS):
            response = call(users[who], key, entry, real, world)
            if response.status_code != 401:
                problems.append(f"{who} without a signature: {response.status_code}")
    for who in OUTSIDERS if entry.kind not in ("public", "signed") else ():
        response = call(users[who], key, entry, real, world)
        status = response.status_code
        if entry.kind == "row":
            missing = call(users[who], key, entry, url_of(world, key, entry, missing=True), world).status_code
            if status not in REFUSED or status != missing:
                problems.append(f"{who}: {status} for the row, {missing} for a missing row")
        elif entry.kind == "region":
            if status not in REFUSED:
                problems.append(f"{who}: {status}")
        elif entry.kind == "own":
            continue
        elif entry.kind == "create":
            if status < 400 and not (key.startswith("PAGE ") and status == 302):
                problems.append(f"{who}: {status}")
        elif status < 400 and leaked(response, markers):
            problems.append(f"{who}: shows {leaked(response, markers)}")

    method = entry.method if key.startswith("PAGE ") else key.split(" ", 1)[0]
    # Reading may audit the reader's own export, a lookup may log itself; a refused write changes nothing.
    if method != "GET" and entry.kind != "list":
        after = fingerprint()
        changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
        if changed:
            problems.append(f"changed: {changed}")

    if entry.owner and entry.kind in ("row", "region", "list", "signed_in") and method == "GET":
        response = call(users[entry.owner], key, entry, real, world)
        if response.status_code >= 400:
            problems.append(f"owner {entry.owner}: {response.status_code} {content(response)[:200]}")

    return problems


# Writes need a body that passes the schema, or the schema's 422 would answer before the scope is ever
# checked (for the real row and a missing one alike) and prove nothing. A body is made from the OpenAPI
# schema's required fields unless the table gives one.
SAMPLES = {"date": "2026-01-05", "date-time": "2026-01-05T10:00:00+08:00", "time": "10:00:00"}


def _sample(schema, components, depth=0):
    if "$ref" in schema:
        return _sample(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            return _sample(schema[combined][0], components, depth)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _sample(prop, components, depth + 1)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", ()) and depth < 4
        }
    if kind == "array":
        return [_sample(schema.get("items", {}), components, depth + 1)] * schema.get("minItems", 0)
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return SAMPLES.get(schema.get("format"), "样例")


def sample_request(key: str) -> tuple[dict, dict]:
    """(query, body) with the required fields of an API operation, from the OpenAPI schema."""
    from yiyang.api import api

    schema = _openapi(api)
    method, route = key.split(" ", 1)
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    operation = schema["paths"].get(path, {}).get(method.lower(), {})
    components = schema.get("components", {}).get("schemas", {})
    query = {
        p["name"]: _sample(p.get("schema", {}), components)
        for p in operation.get("parameters", ())
        if p.get("in") == "query" and p.get("required")
    }
    content = operation.get("requestBody", {}).get("content", {})
    body = _sample(content["application/json"]["schema"], components) if "application/json" in content else {}
    return query, body


_schema_cache = {}


def _openapi(api):
    if "schema" not in _schema_cache:
        _schema_cache["schema"] = api.get_openapi_schema()
    return _schema_cache["schema"]


# The walk itself must be able to fail: a page that reads a row without the scoping mechanism is caught.
@login_only
def _unscoped_elder_page(request, elder_id: int):
    from yiyang.elders.models import Elder

    return HttpResponse(get_object_or_404(Elder._base_manager, pk=elder_id).name)


urlpatterns = [path("leaky/<int:elder_id>/", _unscoped_elder_page), path("", include("yiyang.urls"))]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_new_unscoped_route_fails_the_walk(world):
    assert "PAGE leaky/<int:elder_id>/" in all_routes() - ROUTES.keys()  # no entry: the first test fails
    problems = problems_of(world, "PAGE leaky/<int:elder_id>/", ROW)  # with an entry: the outsiders see it
    assert any(p.startswith("neighbour_officer: 200 for the row") for p in problems), problems
    assert any(p.startswith("other_family: 200 for the row") for p in problems), problems
