"""The phone app's API: assignments as a delta, idempotent visit upload with versions and conflicts,
photos keyed by their hash; outsiders get 404 and anonymous callers 401."""

import hashlib
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yiyang.visits import services
from yiyang.visits.choices import VisitorKind
from yiyang.visits.models import Visit, VisitConflict, VisitPhoto, VisitTarget

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def client_for(user):
    client = Client()
    if user:
        client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def visit_body(target, **fields):
    return {"id": str(uuid.uuid4()), "target_id": target.pk, "method": "home",
            "visited_at": timezone.now().isoformat(), "lat": 34.03, "lng": 113.85, "accuracy_m": 12,
            "elder_present": True, "health": "行动自如", "mood": "good", "hazards": ["gas"], "needs": [],
            "risk_after": "low", **fields}  # fmt: skip


@pytest.fixture
def neighbour_target(officer_actor, neighbour_officer, neighbour_elder, neighbour_worker):
    from yiyang.core.audit import Actor
    from yiyang.elders.models import Elder

    Elder.objects.filter(pk=neighbour_elder.pk).update(living_situation="alone")
    actor = Actor(user=neighbour_officer)
    services.register_visitor(actor, {"kind": VisitorKind.GRID_WORKER, "name": "建安网格",
                                      "region_code": "411003000000", "user": neighbour_worker})  # fmt: skip
    services.enrol_from_registry(actor, "411003000000")
    return VisitTarget.objects.get(elder=neighbour_elder)


ROUTES = [
    ("get", "/api/v1/visits/assignments"),
    ("post", "/api/v1/visits/sync"),
    ("get", "/api/v1/visits/{visit}/photos"),
    ("post", "/api/v1/visits/{visit}/photos"),
]


@pytest.mark.parametrize("method, route", ROUTES)
def test_anonymous_callers_are_asked_to_sign_in(method, route, db):
    url = route.format(visit=uuid.uuid4())
    response = getattr(Client(), method)(url)
    assert response.status_code == 401


def test_assignments_download_only_the_visitors_own_elders_then_deltas(
    grid_worker, target, neighbour_target, officer_actor, colleague
):
    client = client_for(grid_worker)
    first = client.get("/api/v1/visits/assignments").json()
    assert first["full"] and [t["target_id"] for t in first["changed"]] == [target.pk]
    assert first["changed"][0]["address"] == "西大街道花园社区 3 号楼 201"  # in full: the visitor must find the home
    assert first["removed"] == []
    # Nothing changed since: an empty delta with the same cursor.
    again = client.get(f"/api/v1/visits/assignments?since={first['cursor']}").json()
    assert (again["changed"], again["removed"], again["cursor"]) == ([], [], first["cursor"])
    services.assign(officer_actor, target.pk, colleague.pk)
    delta = client.get(f"/api/v1/visits/assignments?since={first['cursor']}").json()
    assert delta["changed"] == [] and delta["removed"] == [target.pk]
    mine = client_for(colleague.user).get(f"/api/v1/visits/assignments?since={first['cursor']}").json()
    assert [t["target_id"] for t in mine["changed"]] == [target.pk]


def test_someone_who_is_no_visitor_gets_404(county_officer, neighbour_officer, target):
    assert client_for(neighbour_officer).get("/api/v1/visits/assignments").status_code == 404
    assert post(client_for(neighbour_officer), "/api/v1/visits/sync", {"items": []}).status_code == 404


def test_same_visit_twice_changes_nothing(grid_worker, target):
    client = client_for(grid_worker)
    body = visit_body(target)
    first = post(client, "/api/v1/visits/sync", {"items": [body]})
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "created"
    replay = post(client, "/api/v1/visits/sync", {"items": [dict(reversed(list(body.items())))]})
    assert replay.status_code == 200 and replay.json()["results"][0] == {
        "id": body["id"], "status": "unchanged", "version": 1, "message": "", "fields": {}}  # fmt: skip
    assert Visit.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.received_at >= visit.visited_at and visit.counts and visit.visitor_kind == "grid_worker"
    target.refresh_from_db()
    assert target.last_visit_at == visit.visited_at and target.last_counted_on == timezone.localdate()


def test_an_edit_names_the_version_it_replaces_and_a_stale_one_is_a_conflict(grid_worker, target):
    client = client_for(grid_worker)
    body = visit_body(target)
    post(client, "/api/v1/visits/sync", {"items": [body]})
    unversioned = post(client, "/api/v1/visits/sync", {"items": [{**body, "health": "感冒"}]})
    assert unversioned.status_code == 409 and unversioned.json()["results"][0]["status"] == "conflict"
    edit = post(client, "/api/v1/visits/sync", {"items": [{**body, "health": "感冒", "base_version": 1}]})
    assert edit.status_code == 200 and edit.json()["results"][0] == {
        "id": body["id"], "status": "updated", "version": 2, "message": "", "fields": {}}  # fmt: skip
    stale = post(client, "/api/v1/visits/sync", {"items": [{**body, "health": "发烧", "base_version": 1}]})
    assert stale.status_code == 409
    visit = Visit.objects.get()
    assert (visit.health, visit.version) == ("感冒", 2)
    conflicts = list(VisitConflict.objects.order_by("id"))
    assert [(c.base_version, c.stored_version, c.body["health"]) for c in conflicts] == [
        (None, 1, "感冒"), (1, 2, "发烧")]  # fmt: skip


def test_a_visit_for_an_elder_not_assigned_to_the_visitor_is_404(grid_worker, neighbour_worker, target,
                                                                 neighbour_target):  # fmt: skip
    response = post(client_for(grid_worker), "/api/v1/visits/sync", {"items": [visit_body(neighbour_target)]})
    assert response.status_code == 404 and response.json()["results"][0]["status"] == "not_found"
    response = post(client_for(neighbour_worker), "/api/v1/visits/sync", {"items": [visit_body(target)]})
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_someone_elses_visit_id_is_not_found_and_untouched(grid_worker, neighbour_worker, target, neighbour_target):
    body = visit_body(target)
    post(client_for(grid_worker), "/api/v1/visits/sync", {"items": [body]})
    theirs = {**visit_body(neighbour_target), "id": body["id"], "base_version": 1}
    response = post(client_for(neighbour_worker), "/api/v1/visits/sync", {"items": [theirs]})
    assert response.status_code == 404
    assert Visit.objects.get().target == target and Visit.objects.get().version == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"method": "telepathy"}, "method"),
        ({"visited_at": "yesterday"}, "visited_at"),
        ({"elder_present": False}, "absent_reason"),
        ({"hazards": ["fire"]}, "hazards"),
        ({"risk_after": ""}, "risk_after"),
        ({"lat": 91}, "lat"),
        ({"visited_at": "2099-01-01T00:00:00+08:00"}, "visited_at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(grid_worker, target, fields, field):
    response = post(client_for(grid_worker), "/api/v1/visits/sync", {"items": [visit_body(target, **fields)]})
    assert response.status_code == 422
    assert field in response.json()["results"][0]["fields"]
    assert not Visit.objects.exists()


def _photo(content, name="a.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def test_photos_by_hash_refused_with_reason_and_idempotent(grid_worker, neighbour_worker, target, neighbour_target):
    client = client_for(grid_worker)
    body = visit_body(target)
    post(client, "/api/v1/visits/sync", {"items": [body]})
    url = f"/api/v1/visits/{body['id']}/photos"
    digest = hashlib.sha256(PNG).hexdigest()
    not_image = client.post(url, {"sha256": hashlib.sha256(b"hello").hexdigest(), "file": _photo(b"hello", "a.txt")})
    assert not_image.status_code == 422 and "不是 JPEG、PNG 或 WebP" in not_image.json()["fields"]["file"]
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    too_large = client.post(url, {"sha256": hashlib.sha256(big).hexdigest(), "file": _photo(big)})
    assert too_large.status_code == 422 and "超过 5 MB" in too_large.json()["fields"]["file"]
    wrong_hash = client.post(url, {"sha256": "0" * 64, "file": _photo(PNG)})
    assert wrong_hash.status_code == 422 and "sha256" in wrong_hash.json()["fields"]
    assert client.post(url, {"sha256": digest, "file": _photo(PNG)}).status_code == 201
    assert client.post(url, {"sha256": digest, "file": _photo(PNG)}).status_code == 200
    assert client.get(url).json() == [digest]
    assert VisitPhoto.objects.count() == 1
    outsider = client_for(neighbour_worker)
    assert outsider.post(url, {"sha256": digest, "file": _photo(PNG)}).status_code == 404
    assert outsider.get(url).status_code == 404


def test_a_batch_of_three_sent_twice_stores_three(grid_worker, target):
    client = client_for(grid_worker)
    items = [visit_body(target, method=m) for m in ("home", "phone", "video")]
    assert post(client, "/api/v1/visits/sync", {"items": items}).json()["created"] == 3
    assert post(client, "/api/v1/visits/sync", {"items": items}).json()["unchanged"] == 3
    assert Visit.objects.count() == 3


def test_a_cadre_visit_is_a_visit_of_kind_cadre(make_user, officer_actor, target, county_officer):
    from yiyang.core.roles import Role
    from yiyang.supervision.services import pairing

    account = make_user(Role.CADRE, region_code="411002000000", username="cadre-1")
    cadre = pairing.register_cadre(officer_actor, {"name": "刘干部", "post": "区民政局", "phone": "13900001111",
                                                   "region_code": "411002001000", "user_id": account.pk})  # fmt: skip
    visitor = services.visitor_of(account)
    assert visitor.kind == VisitorKind.CADRE and visitor.cadre_id == cadre.pk
    services.assign(officer_actor, target.pk, visitor.pk)
    response = post(client_for(account), "/api/v1/visits/sync", {"items": [visit_body(target)]})
    assert response.status_code == 200
    assert Visit.objects.get().visitor_kind == VisitorKind.CADRE
    from datetime import date

    rows = pairing.ranking(county_officer, "411002000000", date(2000, 1, 1), date(2100, 1, 1))
    assert [r["elder_visits"] for r in rows] == [1]


def test_a_visitor_sees_only_their_own_elders_not_a_colleagues(grid_worker, visitor, colleague, target,
                                                               officer_actor):  # fmt: skip
    services.assign(officer_actor, target.pk, visitor.pk)
    services.assign(officer_actor, target.pk, colleague.pk)
    assert client_for(grid_worker).get("/api/v1/visits/assignments").json()["changed"] == []
    response = post(client_for(grid_worker), "/api/v1/visits/sync", {"items": [visit_body(target)]})
    assert response.status_code == 200  # assigned to them before: a visit made offline meanwhile is kept
    other = VisitTarget.objects.create(elder=target.elder, region_code=target.region_code, county_code="411002",
                                       tier="key", reason="x", visitor=colleague, exited_at=timezone.now())  # fmt: skip
    response = post(client_for(grid_worker), "/api/v1/visits/sync", {"items": [visit_body(other)]})
    assert response.status_code == 404
    # The officer's pages are not for visitors.
    assert client_for(grid_worker).get("/visits/?region=411002001000").status_code == 403


def test_the_rate_api_answers_the_region_and_refuses_outsiders(county_officer, neighbour_officer, grid_worker, target):
    body = visit_body(target)
    post(client_for(grid_worker), "/api/v1/visits/sync", {"items": [body]})
    answer = client_for(county_officer).get("/api/v1/visits/rate?region=411002000000").json()
    assert answer["region"]["targets"] == 1 and answer["region"]["visited"] == 1 and answer["region"]["rate"] == 100
    assert answer["counted_methods"] == ["home", "phone", "video"]
    assert client_for(neighbour_officer).get("/api/v1/visits/rate?region=411002000000").status_code == 404
    assert client_for(grid_worker).get("/api/v1/visits/rate?region=411002001000").status_code == 404
    assert client_for(county_officer).get("/api/v1/visits/rate?month=2026-13").status_code == 422
    assert Client().get("/api/v1/visits/rate?region=411002000000").status_code == 401
