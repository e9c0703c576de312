"""DESIGN.md §4: every endpoint and page that shows or changes a row of a region, facility or person,
tried by the rightful user, a neighbour-county officer, another facility's manager and an anonymous
visitor. Rows outside the scope answer 404 (their existence does not leak); anonymous users are asked
to sign in."""

import json
from datetime import date

import pytest
from django.test import Client

from conftest import full_scores

ELDER_ROUTES = [
    ("get", "/api/v1/elders/{elder}", None),
    ("get", "/api/v1/elders/{elder}?reveal=true", None),
    ("patch", "/api/v1/elders/{elder}", {"name": "改名"}),
    ("get", "/api/v1/elders/{elder}/assessments", None),
    ("post", "/api/v1/elders/{elder}/assessments", "assessment"),
    ("get", "/elders/{elder}/", None),
    ("get", "/elders/{elder}/?reveal=1", None),
    ("get", "/elders/{elder}/edit/", None),
    ("post", "/elders/{elder}/edit/", {"name": "改名"}),
    ("get", "/elders/{elder}/assess/", None),
]
FACILITY_ROUTES = [
    ("get", "/api/v1/facilities/{facility}", None),
    ("patch", "/api/v1/facilities/{facility}", {"name": "改名"}),
    ("get", "/api/v1/facilities/{facility}/residents", None),
    ("post", "/api/v1/facilities/{facility}/residents", {"elder_id": 0, "admitted_on": "2026-01-01"}),
    ("get", "/facilities/{facility}/", None),
    ("get", "/facilities/{facility}/edit/", None),
    ("post", "/facilities/{facility}/edit/", {"name": "改名"}),
]
REGION_ROUTES = [
    ("get", "/api/v1/regions/411002000000", None),
    ("get", "/api/v1/regions/411002000000/children", None),
    ("patch", "/api/v1/regions/411002000000/population", {"population_total": 1}),
    ("get", "/regions/411002000000/", None),
]


def call(client: Client, method: str, url: str, body):
    if body == "assessment":
        body = {"assessed_on": "2026-01-05", "assessor_1": "甲", "assessor_2": "乙", "scores": full_scores()}
    if url.startswith("/api/"):
        payload = json.dumps(body) if body is not None else None
        return (
            getattr(client, method)(url, payload, content_type="application/json")
            if payload
            else getattr(client, method)(url)
        )
    return client.post(url, body) if method == "post" else client.get(url)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def rows_unchanged(elder, facility):
    from yiyang.elders.models import Assessment
    from yiyang.regions.models import Region

    elder.refresh_from_db()
    facility.refresh_from_db()
    assert elder.name == "张华山" and facility.name == "花园康养中心"
    assert not Assessment.objects.exists()
    assert Region.objects.get(code="411002000000").population_total is None


@pytest.mark.parametrize("method, route, body", ELDER_ROUTES + FACILITY_ROUTES + REGION_ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_city_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, elder, facility, method, route, body, who):
    user = request.getfixturevalue(who) if who else None
    url = route.format(elder=elder.pk, facility=facility.pk)
    response = call(client_for(user), method, url, body)
    if user is None:
        assert response.status_code in (401, 302), url
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404, (who, url, response.status_code)
    rows_unchanged(elder, facility)


@pytest.mark.parametrize("method, route, body", ELDER_ROUTES + FACILITY_ROUTES + REGION_ROUTES)
def test_rightful_county_officer_reaches_every_route(county_officer, elder, facility, method, route, body):
    url = route.format(elder=elder.pk, facility=facility.pk)
    if "residents" in url and method == "post":
        body = {"elder_id": elder.pk, "admitted_on": "2026-01-01"}
    response = call(client_for(county_officer), method, url, body)
    assert response.status_code in (200, 201, 302), (url, response.status_code, response.content[:300])


@pytest.mark.parametrize("route", ["/api/v1/elders/{elder}", "/elders/{elder}/", "/api/v1/facilities/{facility}"])
def test_facility_manager_sees_residents_of_own_facility_only(
    county_officer, facility_manager, elder, neighbour_elder, facility, route
):
    from yiyang.core.audit import Actor
    from yiyang.facilities import services

    client = client_for(facility_manager)
    assert client.get(route.format(elder=elder.pk, facility=facility.pk)).status_code == (
        404 if "elder" in route else 200
    )
    services.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 1))
    assert client.get(route.format(elder=elder.pk, facility=facility.pk)).status_code == 200
    assert client.get(route.format(elder=neighbour_elder.pk, facility=facility.pk)).status_code in (404, 200)
    if "elder" in route:
        assert client.get(route.format(elder=neighbour_elder.pk, facility=0)).status_code == 404


LIST_ROUTES = ["/api/v1/elders/", "/elders/", "/api/v1/facilities/", "/facilities/", "/"]


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_lists_and_counts_show_only_own_county(
    county_officer, elder, neighbour_elder, facility, neighbour_facility, route
):
    response = client_for(county_officer).get(route)
    body = json.dumps(response.json(), ensure_ascii=False) if "/api/" in route else response.content.decode()
    assert ("张华山" in body) or ("花园康养中心" in body) or route == "/"
    assert "李秀英" not in body and "灵井敬老院" not in body


def test_home_counts_are_scoped(county_officer, elder, neighbour_elder):
    response = client_for(county_officer).get("/")
    assert [value for label, value in response.context["stats"] if label == "在册老年人"] == [1]


@pytest.mark.parametrize(
    "route",
    ["/api/v1/elders/export.xlsx", "/elders/export.xlsx", "/api/v1/facilities/export.xlsx", "/facilities/export.xlsx"],
)
def test_exports_hold_only_own_county_rows(county_officer, elder, neighbour_elder, facility, neighbour_facility, route):
    import io

    from openpyxl import load_workbook

    response = client_for(county_officer).get(route + "?reveal=true" if "elders" in route else route)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = {row[0] if "elders" in route else row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == ({"张华山"} if "elders" in route else {"花园康养中心"})


@pytest.mark.parametrize("route", ["/api/v1/elders/export.xlsx", "/elders/export.xlsx"])
def test_facility_manager_cannot_export(facility_manager, elder, route):
    assert client_for(facility_manager).get(route).status_code == 403


def test_city_officer_sees_every_county_of_the_city_only(city_officer, other_city_officer, elder, neighbour_elder):
    names = {e["name"] for e in client_for(city_officer).get("/api/v1/elders/").json()["items"]}
    assert names == {"张华山", "李秀英"}
    assert client_for(other_city_officer).get("/api/v1/elders/").json()["count"] == 0


def test_admin_lists_are_scoped_and_read_only(county_officer, elder, neighbour_elder):
    county_officer.is_staff = True
    county_officer.save()
    client = client_for(county_officer)
    page = client.get("/admin/elders/elder/").content.decode()
    assert "张华山" in page and "李秀英" not in page
    assert client.get(f"/admin/elders/elder/{neighbour_elder.pk}/change/").status_code in (302, 403, 404)
    assert client.get("/admin/elders/elder/add/").status_code == 403
