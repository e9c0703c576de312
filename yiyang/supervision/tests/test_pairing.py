"""Cadre pairing: registration, photos checked by their bytes, pairings, the wall board, visits a
cadre records for themselves only, points against a hand computation, and the scope of each route."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.roles import Role
from yiyang.supervision.models import Cadre, CadreVisit, Pairing, ScoringScheme
from yiyang.supervision.services import pairing as services

from .conftest import assert_locks_only_own_rows, assert_refused_to, call, client_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cadre_user(make_user, regions):
    return make_user(Role.CADRE, region_code="411002000000", username="cadre-wang")


@pytest.fixture
def cadre(county_officer, cadre_user):
    return services.register_cadre(Actor(user=county_officer), {"name": "王建国", "post": "区民政局副局长",
                                   "phone": "13900001234", "region_code": "411002000000", "user_id": cadre_user.pk})  # fmt: skip


@pytest.fixture
def other_cadre(county_officer):
    return services.register_cadre(Actor(user=county_officer), {"name": "李志强", "post": "西大街道办事处主任",
                                   "phone": "13900005678", "region_code": "411002001000"})  # fmt: skip


@pytest.fixture
def pairing(county_officer, cadre, other_cadre, facility):
    services.pair(Actor(user=county_officer), other_cadre.pk, facility.pk, date(2025, 1, 1))
    return services.pair(Actor(user=county_officer), cadre.pk, facility.pk, date(2025, 1, 1))


def visit(user, cadre, facility, day, solved=0, raised=None):
    raised = solved if raised is None else raised
    return services.record_visit(Actor(user=user), cadre.pk, facility.pk, {
        "visited_on": day, "findings": "查看消防通道与食堂", "raised_count": raised,
        "problems_raised": "消防通道堆放杂物" if raised else "", "solved_count": solved,
        "problems_solved": "已清理" if solved else "",
    })  # fmt: skip


# --- Cadres and photos ---------------------------------------------------------------------------


def test_registration_errors_name_the_field(county_officer):
    with pytest.raises(FieldErrors) as excinfo:
        services.register_cadre(Actor(user=county_officer), {"name": "", "post": "局长", "phone": "123",
                                                             "region_code": "411002000000"})  # fmt: skip
    assert {"name", "phone"} == set(excinfo.value.fields)


def test_the_linked_account_must_hold_the_cadre_role(county_officer, facility_manager):
    with pytest.raises(FieldErrors) as excinfo:
        services.register_cadre(Actor(user=county_officer), {"name": "甲", "post": "乙", "phone": "13900001111",
                                "region_code": "411002000000", "user_id": facility_manager.pk})  # fmt: skip
    assert "user_id" in excinfo.value.fields


def test_an_officer_cannot_register_a_cadre_in_another_county(county_officer):
    response = call(client_for(county_officer), "post", "/api/v1/supervision/pairing/cadres",
                    {"name": "甲", "post": "乙", "phone": "13900001111", "region_code": "411003000000"})  # fmt: skip
    assert response.status_code == 403 and not Cadre.objects.exists()


def test_photos_are_checked_by_their_bytes(county_officer, cadre):
    url = f"/api/v1/supervision/pairing/cadres/{cadre.pk}/photo"
    fake = SimpleUploadedFile("photo.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = client_for(county_officer).post(url, {"photo": fake})
    assert response.status_code == 422 and "photo" in response.json()["fields"]
    response = client_for(county_officer).post(url, {"photo": SimpleUploadedFile("a.bin", PNG)})
    assert response.status_code == 200 and response.json()["has_photo"]
    cadre.refresh_from_db()
    assert cadre.photo_extension == "png" and "a.bin" not in cadre.photo.name


# --- Pairings and the board ----------------------------------------------------------------------


def test_the_board_lists_the_cadres_paired_today(county_officer, facility_manager, pairing, cadre, facility):
    services.end_pairing(Actor(user=county_officer), Pairing.objects.exclude(pk=pairing.pk).get().pk, date(2025, 6, 30))
    board = client_for(facility_manager).get(f"/api/v1/supervision/pairing/facilities/{facility.pk}/board").json()
    assert [(c["name"], c["post"], c["phone"]) for c in board["cadres"]] == [
        ("王建国", "区民政局副局长", "139****1234")
    ]
    page = client_for(facility_manager).get(f"/supervision/pairing/board/{facility.pk}/").content.decode()
    assert "王建国" in page and "139****1234" in page and "@media print" in page and "李志强" not in page
    assert "13900001234" not in page


def test_the_bureau_prints_the_board_with_full_phones_each_written_to_the_audit_log(county_officer, pairing, cadre,
                                                                                    facility):  # fmt: skip
    from yiyang.core.models import AuditEntry

    services.end_pairing(Actor(user=county_officer), Pairing.objects.exclude(pk=pairing.pk).get().pk, date(2025, 6, 30))
    client = client_for(county_officer)
    page = client.get(f"/supervision/pairing/board/{facility.pk}/").content.decode()
    assert "13900001234" not in page and 'id="reveal-board"' in page
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    page = client.get(f"/supervision/pairing/board/{facility.pk}/?reveal=1").content.decode()
    assert "13900001234" in page
    assert list(AuditEntry.objects.filter(action="view_sensitive").values_list("object_id", flat=True)) == [
        str(cadre.pk)
    ]


def test_a_cadre_cannot_be_paired_twice_with_the_same_facility(county_officer, pairing, cadre, facility):
    response = call(client_for(county_officer), "post", "/api/v1/supervision/pairing/pairings",
                    {"cadre_id": cadre.pk, "facility_id": facility.pk, "since": "2025-02-01"})  # fmt: skip
    assert response.status_code == 409


# --- Visits ----------------------------------------------------------------------------------------


def test_a_cadre_records_their_own_visit_only(cadre_user, cadre, other_cadre, pairing, facility):
    client = client_for(cadre_user)
    body = {"cadre_id": cadre.pk, "facility_id": facility.pk, "visited_on": "2025-03-02", "findings": "走访"}
    assert call(client, "post", "/api/v1/supervision/pairing/visits", body).status_code == 201
    response = call(client, "post", "/api/v1/supervision/pairing/visits", {**body, "cadre_id": other_cadre.pk})
    assert response.status_code == 404
    assert list(CadreVisit.objects.values_list("cadre_id", flat=True)) == [cadre.pk]
    # and reads only their own pairings and visits
    ids = {p["cadre_id"] for p in client.get("/api/v1/supervision/pairing/pairings").json()["items"]}
    assert ids == {cadre.pk}
    assert client.get(f"/api/v1/supervision/pairing/cadres/{other_cadre.pk}").status_code == 404


def test_a_visit_needs_a_pairing_on_that_day(county_officer, cadre, pairing, neighbour_facility, facility):
    with pytest.raises(FieldErrors) as excinfo:
        visit(county_officer, cadre, facility, date(2024, 12, 31))
    assert set(excinfo.value.fields) == {"facility_id"}


def test_more_problems_solved_than_raised_is_refused(county_officer, cadre, pairing, facility):
    with pytest.raises(FieldErrors) as excinfo:
        visit(county_officer, cadre, facility, date(2025, 3, 1), solved=2, raised=1)
    assert "solved_count" in excinfo.value.fields


# --- Points ----------------------------------------------------------------------------------------


def test_points_against_a_hand_computation(county_officer, cadre, other_cadre, pairing, facility):
    services.save_scheme(Actor(user=county_officer), "411002000000", 2, 3, 10)
    # 王建国: January 2 visits, 1 + 2 solved -> 2*2 + 3*3 = 13, capped at 10; February 1 visit -> 2. Total 12.
    visit(county_officer, cadre, facility, date(2025, 1, 5), solved=1)
    visit(county_officer, cadre, facility, date(2025, 1, 20), solved=2)
    visit(county_officer, cadre, facility, date(2025, 2, 3))
    # 李志强: January 1 visit, 1 solved -> 5. A March visit lies outside the period.
    visit(county_officer, other_cadre, facility, date(2025, 1, 9), solved=1)
    visit(county_officer, other_cadre, facility, date(2025, 3, 9), solved=4)
    rows = services.ranking(county_officer, "411002000000", date(2025, 1, 1), date(2025, 2, 28))
    assert [(r["rank"], r["cadre"].name, r["visits"], r["solved"], r["points"]) for r in rows] == [
        (1, "王建国", 3, 3, 12),
        (2, "李志强", 1, 1, 5),
    ]
    services.save_scheme(Actor(user=county_officer), "411002000000", 2, 3, 0)  # no cap: 13 + 2
    assert services.ranking(county_officer, "411002000000", date(2025, 1, 1), date(2025, 2, 28))[0]["points"] == 15


def test_points_function_caps_each_month_on_its_own():
    scheme = services.Scheme(points_per_visit=2, points_per_solved=3, monthly_cap=10)
    assert services.points(scheme, [(2, 3), (1, 0), (5, 5)]) == 10 + 2 + 10


def test_a_region_without_a_scheme_uses_the_nearest_above_then_the_configuration(settings, regions):
    settings.PAIRING_POINTS_PER_VISIT = 7
    assert services.scheme_for("411002001000").points_per_visit == 7
    ScoringScheme.objects.create(region_code="411000000000", county_code="411000", points_per_visit=4,
                                 points_per_solved=1, monthly_cap=0)  # fmt: skip
    assert services.scheme_for("411002001000") == services.Scheme(4, 1, 0, "411000000000")


def test_the_ranking_page_shows_the_region(county_officer, cadre, pairing, facility):
    visit(county_officer, cadre, facility, date(2025, 1, 5), solved=1)
    page = client_for(county_officer).get("/supervision/pairing/ranking/?start=2025-01-01&end=2025-12-31")
    assert page.status_code == 200 and "王建国" in page.content.decode()


# --- Scope: every endpoint and page ----------------------------------------------------------------

ROUTES = [
    ("get", "/api/v1/supervision/pairing/cadres/{cadre}", None),
    ("patch", "/api/v1/supervision/pairing/cadres/{cadre}", {"name": "改名"}),
    ("post", "/api/v1/supervision/pairing/cadres/{cadre}/photo", "photo"),
    ("post", "/api/v1/supervision/pairing/pairings", {"cadre_id": "{cadre}", "facility_id": "{facility}",
                                                      "since": "2025-05-01"}),
    ("post", "/api/v1/supervision/pairing/pairings/{pairing}/end", {"until": "2025-06-01"}),
    ("get", "/api/v1/supervision/pairing/facilities/{facility}/board", None),
    ("get", "/api/v1/supervision/pairing/visits/{visit}", None),
    ("post", "/api/v1/supervision/pairing/visits", {"cadre_id": "{cadre}", "facility_id": "{facility}",
                                                    "visited_on": "2025-04-01", "findings": "外人"}),
    ("get", "/supervision/pairing/cadres/{cadre}/", None),
    ("post", "/supervision/pairing/cadres/{cadre}/", {"action": "end", "pairing": "{pairing}", "until": "2025-06-01"}),
    ("get", "/supervision/pairing/cadres/{cadre}/photo/", None),
    ("get", "/supervision/pairing/board/{facility}/", None),
]  # fmt: skip


@pytest.fixture
def pairing_rows(county_officer, cadre, pairing, facility):
    services.set_photo(Actor(user=county_officer), cadre.pk, SimpleUploadedFile("p.png", PNG))
    first = visit(county_officer, cadre, facility, date(2025, 3, 1), solved=1)
    return {"{cadre}": cadre.pk, "{facility}": facility.pk, "{pairing}": pairing.pk, "{visit}": first.pk}


def _fill(value, rows):
    if isinstance(value, dict):
        return {k: _fill(v, rows) for k, v in value.items()}
    if isinstance(value, str):
        if value in rows:
            return rows[value]
        for token, replacement in rows.items():
            value = value.replace(token, str(replacement))
    return value


def _snapshot():
    return (
        list(Cadre.objects.values_list("name", "photo")),
        list(Pairing.objects.values_list("pk", "until")),
        CadreVisit.objects.count(),
    )


def _call(client, method, url, body):
    if body == "photo":
        return call(client, "post", url, files={"photo": SimpleUploadedFile("x.png", PNG)})
    return call(client, method, url, body)


@pytest.mark.parametrize("method, route, body", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, pairing_rows, method, route, body, who):
    user = request.getfixturevalue(who) if who else None
    before = _snapshot()
    url = _fill(route, pairing_rows)
    assert_refused_to(user, _call(client_for(user), method, url, _fill(body, pairing_rows)), url)
    assert _snapshot() == before


@pytest.mark.parametrize("method, route, body", ROUTES)
def test_the_rightful_officer_succeeds(county_officer, pairing_rows, method, route, body):
    if route.endswith("/pairings"):
        Pairing.objects.filter(pk=pairing_rows["{pairing}"]).update(until=date(2025, 4, 30))
    url = _fill(route, pairing_rows)
    response = _call(client_for(county_officer), method, url, _fill(body, pairing_rows))
    assert response.status_code in (200, 201, 302), (url, response.status_code, response.content[:300])


def test_lists_show_only_own_county(pairing_rows, neighbour_officer, county_officer):
    for url in ("/api/v1/supervision/pairing/cadres", "/api/v1/supervision/pairing/visits",
                "/api/v1/supervision/pairing/pairings"):  # fmt: skip
        assert client_for(neighbour_officer).get(url).json()["count"] == 0, url
        assert client_for(county_officer).get(url).json()["count"] >= 1, url
    assert "王建国" not in client_for(neighbour_officer).get("/supervision/pairing/").content.decode()
    assert "王建国" not in client_for(neighbour_officer).get("/supervision/pairing/visits/").content.decode()


def test_neighbour_county_officer_cannot_see_a_cadre_through_the_scoping_mechanism(
    pairing_rows, cadre, neighbour_officer, county_officer, city_officer
):
    assert not Cadre.objects.visible_to(neighbour_officer).filter(pk=cadre.pk).exists()
    assert not Pairing.objects.visible_to(neighbour_officer).filter(cadre=cadre).exists()
    assert Cadre.objects.visible_to(county_officer).filter(pk=cadre.pk).exists()
    assert Cadre.objects.visible_to(city_officer).filter(pk=cadre.pk).exists()
    assert client_for(neighbour_officer).get(f"/supervision/pairing/cadres/{cadre.pk}/").status_code == 404


def test_a_cadre_membership_reaches_only_the_cadre_s_own_rows(cadre_user, cadre, other_cadre, pairing, facility):
    assert list(Cadre.objects.visible_to(cadre_user)) == [cadre]
    assert {p.cadre_id for p in Pairing.objects.visible_to(cadre_user)} == {cadre.pk}
    # Facilities carry no owner: the cadre's region membership still reads the county's facilities.
    from yiyang.facilities.models import Facility

    assert Facility.objects.visible_to(cadre_user).filter(pk=facility.pk).exists()


# --- Review fixes ---------------------------------------------------------------------------------


def test_a_city_ranking_scores_each_cadre_by_the_scheme_of_the_cadre_s_county(
    county_officer, neighbour_officer, city_officer, cadre, pairing, facility, neighbour_facility
):
    services.save_scheme(Actor(user=county_officer), "411002000000", 2, 3, 0)
    services.save_scheme(Actor(user=neighbour_officer), "411003000000", 10, 1, 0)
    jianan = services.register_cadre(Actor(user=neighbour_officer), {"name": "霍振华", "post": "镇党委副书记",
                                     "phone": "13900009999", "region_code": "411003100000"})  # fmt: skip
    services.pair(Actor(user=neighbour_officer), jianan.pk, neighbour_facility.pk, date(2025, 1, 1))
    # 王建国 (魏都区: 2 a visit, 3 a problem): 2 visits, 1 solved -> 7. 霍振华 (建安区: 10, 1): 1 visit, 1 -> 11.
    visit(county_officer, cadre, facility, date(2025, 1, 5), solved=1)
    visit(county_officer, cadre, facility, date(2025, 1, 6))
    visit(neighbour_officer, jianan, neighbour_facility, date(2025, 1, 7), solved=1)
    rows = services.ranking(city_officer, "411000000000", date(2025, 1, 1), date(2025, 1, 31))
    assert [(r["cadre"].name, r["points"]) for r in rows if r["visits"]] == [("霍振华", 11), ("王建国", 7)]
    body = client_for(city_officer).get("/api/v1/supervision/pairing/ranking?region=411000000000"
                                        "&start=2025-01-01&end=2025-01-31").json()  # fmt: skip
    assert {r["name"]: r["points"] for r in body["rows"]}["霍振华"] == 11


def test_the_ranking_looks_each_region_s_scheme_up_once(county_officer, cadre, other_cadre, pairing, monkeypatch):
    looked_up = []
    original = services.scheme_for
    monkeypatch.setattr(services, "scheme_for", lambda code: looked_up.append(code) or original(code))
    extra = services.register_cadre(Actor(user=county_officer), {"name": "赵明德", "post": "科员",
                                    "phone": "13900002222", "region_code": "411002000000"})  # fmt: skip
    services.ranking(county_officer, "411002000000", date(2025, 1, 1), date(2025, 1, 31))
    assert sorted(looked_up) == sorted({cadre.region_code, other_cadre.region_code, extra.region_code})


def test_a_simultaneous_second_pairing_is_a_conflict_not_a_server_error(county_officer, pairing, cadre, facility,
                                                                        monkeypatch):  # fmt: skip
    from django.db.models import QuerySet

    # The other request's row is already written, but this request's check did not see it yet.
    real_exists = QuerySet.exists
    monkeypatch.setattr(QuerySet, "exists", lambda qs: False if qs.model is Pairing else real_exists(qs))
    with pytest.raises(Conflict) as excinfo:
        services.pair(Actor(user=county_officer), cadre.pk, facility.pk, date(2025, 2, 1))
    assert "facility_id" in excinfo.value.fields and "已包联" in excinfo.value.message
    monkeypatch.undo()
    assert Pairing.objects.filter(cadre=cadre, facility=facility).count() == 1


def test_ending_a_pairing_locks_the_pairing_row_only(county_officer, pairing, locked_queries):
    services.end_pairing(Actor(user=county_officer), pairing.pk, date(2025, 6, 1))
    assert_locks_only_own_rows(locked_queries)
    assert any(model is Pairing and of == ("self",) for model, of, _ in locked_queries)


@pytest.mark.parametrize("route", [
    "/api/v1/supervision/pairing/cadres/{id}", "/api/v1/supervision/pairing/visits/{id}",
    "/api/v1/supervision/pairing/facilities/{id}/board",
])  # fmt: skip
def test_oversized_path_ids_are_refused_not_a_server_error(county_officer, route):
    for value in (99999999999999999999, 2**63):
        response = client_for(county_officer).get(route.format(id=value))
        assert response.status_code in (404, 422), (route, value, response.status_code)
    response = call(client_for(county_officer), "post", f"/api/v1/supervision/pairing/pairings/{2**64}/end",
                    {"until": "2025-06-01"})  # fmt: skip
    assert response.status_code in (404, 422)


def test_another_region_s_scoring_scheme_is_not_readable_through_the_ranking(
    county_officer, neighbour_officer, make_user, elder, cadre, pairing
):
    services.save_scheme(Actor(user=neighbour_officer), "411003000000", 17, 9, 40)
    url = "/api/v1/supervision/pairing/ranking?start=2025-01-01&end=2025-01-31&region="
    family = make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="family-of-elder")
    facility_manager = make_user(Role.FACILITY_MANAGER, region_code="411002001001", scope_id=pairing.facility_id)
    # Those who hold no right to read cadres are refused whatever region they name.
    for user in (family, facility_manager):
        for region in ("411003000000", "411002000000", ""):
            response = client_for(user).get(url + region)
            assert response.status_code == 403, (user.username, region, response.status_code)
            assert "40" not in str(response.json().get("scheme", ""))
    # An officer of another county gets 404, as for any row outside the scope; their own region still works.
    assert client_for(county_officer).get(url + "411003000000").status_code == 404
    assert client_for(neighbour_officer).get(url + "411003000000").json()["scheme"]["points_per_visit"] == 17
    page = client_for(county_officer).get("/supervision/pairing/ranking/?region=411003000000")
    assert page.status_code == 404


# --- The cadre's phone: masked everywhere, revealed on request with one audit entry ----------------


def test_cadre_phone_is_masked_in_every_answer_and_shown_after_one_audited_reveal(county_officer, viewer, pairing,
                                                                                  cadre, facility):  # fmt: skip
    from yiyang.core.models import AuditEntry

    for user in (county_officer, viewer):
        client = client_for(user)
        bodies = [
            client.get("/supervision/pairing/").content.decode(),
            client.get(f"/supervision/pairing/cadres/{cadre.pk}/").content.decode(),
            client.get(f"/supervision/pairing/board/{facility.pk}/").content.decode(),
            client.get("/api/v1/supervision/pairing/cadres").content.decode(),
            client.get(f"/api/v1/supervision/pairing/cadres/{cadre.pk}").content.decode(),
            client.get(f"/api/v1/supervision/pairing/facilities/{facility.pk}/board").content.decode(),
            client.get("/supervision/pairing/ranking/").content.decode(),
            client.get("/supervision/pairing/visits/").content.decode(),
        ]
        text = "\n".join(bodies)
        assert "王建国" in text and "139****1234" in text, user
        assert "13900001234" not in text and "3900001234" not in text, user
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()

    # The viewer's reveal is refused quietly (masked); the bureau's is the full number and one entry.
    asked = client_for(viewer).get(f"/api/v1/supervision/pairing/cadres/{cadre.pk}?reveal=true").json()
    assert (asked["phone"], asked["revealed"]) == ("139****1234", False)
    full = client_for(county_officer).get(f"/api/v1/supervision/pairing/cadres/{cadre.pk}?reveal=true").json()
    assert (full["phone"], full["revealed"]) == ("13900001234", True)
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert (entry.object_id, entry.changes, entry.user) == (str(cadre.pk), {"fields": ["phone"]}, county_officer)
    page = client_for(county_officer).get(f"/supervision/pairing/cadres/{cadre.pk}/?reveal=1").content.decode()
    assert "13900001234" in page and AuditEntry.objects.filter(action="view_sensitive").count() == 2


def test_a_patch_that_sends_back_the_masked_phone_keeps_the_stored_one(county_officer, cadre):
    response = call(client_for(county_officer), "patch", f"/api/v1/supervision/pairing/cadres/{cadre.pk}",
                    {"phone": "139****1234", "post": "区民政局局长"})  # fmt: skip
    assert response.status_code == 200, response.content
    cadre.refresh_from_db()
    assert (cadre.phone, cadre.post) == ("13900001234", "区民政局局长")
