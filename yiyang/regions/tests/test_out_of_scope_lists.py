"""A list asked for a region outside the user's scope answers 404, as a detail does, never an empty 200
that tells "nothing here" about a region the user has no business in (issue 13)."""

import pytest
from django.test import Client

from yiyang.core.roles import Role

LISTS = [
    "/api/v1/elders/?region={code}",
    "/api/v1/elders/export.xlsx?region={code}",
    "/api/v1/facilities/?region={code}",
    "/api/v1/supervision/complaints?region={code}",
    "/api/v1/supervision/escrow/alerts?region={code}",
    "/api/v1/supervision/escrow/overview?region={code}",
    "/api/v1/supervision/subsidy-claims?region={code}",
    "/api/v1/supervision/pairing/cadres?region={code}",
    "/api/v1/supervision/pairing/ranking?region={code}&start=2025-01-01&end=2025-01-31",
    "/api/v1/supervision/hazards?region={code}",
    "/api/v1/supervision/hazards/summary?region={code}",
    "/api/v1/supervision/hazards/export.xlsx?region={code}",
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", LISTS)
def test_neighbour_county_region_on_a_list_answers_404(county_officer, url):
    client = client_for(county_officer)
    assert client.get(url.format(code="411003")).status_code == 404
    assert client.get(url.format(code="411000")).status_code == 404  # the city above the county
    assert client.get(url.format(code="411002001")).status_code == 200


@pytest.mark.parametrize(
    "url", [u for u in LISTS if "export" not in u and "ranking" not in u and "overview" not in u and "summary" not in u]
)
def test_a_viewer_gets_404_for_another_county_too(make_user, regions, url):
    viewer = make_user(Role.VIEWER, region_code="411002000000")
    assert client_for(viewer).get(url.format(code="411003")).status_code == 404


def test_a_facility_manager_narrows_to_the_facility_s_region_only(facility_manager):
    client = client_for(facility_manager)
    assert client.get("/api/v1/elders/?region=411002001001").status_code == 200
    assert client.get("/api/v1/elders/?region=411003").status_code == 404
    assert client.get("/api/v1/supervision/hazards?region=411003").status_code == 404
