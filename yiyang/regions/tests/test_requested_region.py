"""The one answer to "which region does this request ask for", shared by pages, the API, exports and tasks."""

import pytest
from django.http import Http404
from django.test import Client

from yiyang.core.errors import FieldErrors
from yiyang.core.roles import Role
from yiyang.regions.services import requested_region


def test_an_asked_region_in_scope_comes_back_as_twelve_digits(county_officer):
    assert requested_region(county_officer, "411002") == "411002000000"
    assert requested_region(county_officer, " 411002001001 ") == "411002001001"


def test_a_blank_request_opens_on_the_users_own_region(county_officer, make_user, regions):
    assert requested_region(county_officer, "") == "411002000000"
    admin = make_user(Role.PLATFORM_ADMIN)
    assert requested_region(admin, None) == "410000000000"  # the first province on record


def test_neighbour_county_officer_gets_404_for_another_county(county_officer):
    with pytest.raises(Http404):
        requested_region(county_officer, "411003")


def test_a_malformed_code_is_a_422_naming_the_field(county_officer):
    with pytest.raises(FieldErrors) as caught:
        requested_region(county_officer, "41x", field="region_code")
    assert list(caught.value.fields) == ["region_code"] and "区划代码" in caught.value.message


def test_without_a_default_a_blank_request_is_a_422(county_officer):
    with pytest.raises(FieldErrors) as caught:
        requested_region(county_officer, "", default=None)
    assert caught.value.fields == {"region": "请指定区划代码"}


def test_pages_answer_404_for_a_malformed_or_missing_code(county_officer, make_user, regions):
    with pytest.raises(Http404):
        requested_region(county_officer, "41x", page=True)
    with pytest.raises(Http404):
        requested_region(county_officer, "", default=None, page=True)


def test_a_region_that_narrows_scoped_rows_must_lie_within_a_membership_s_region(county_officer, facility_manager):
    # A facility manager sees no region as such, yet may narrow their rows to their facility's region.
    assert requested_region(facility_manager, "411002001001", narrows=True) == "411002001001"
    assert requested_region(county_officer, "411002001", narrows=True) == "411002001000"
    for user in (facility_manager, county_officer):
        with pytest.raises(Http404):
            requested_region(user, "411003", narrows=True)
    with pytest.raises(Http404):
        requested_region(facility_manager, "411002001001")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/supervision/hazards?region=41x",
        "/api/v1/supervision/hazards/summary?region=41x",
        "/api/v1/supervision/escrow/overview?region=41x",
        "/api/v1/supervision/pairing/ranking?region=41x&start=2026-01-01&end=2026-02-01",
        "/api/v1/map/coverage?region=41x",
    ],
)
def test_the_api_answers_422_naming_the_field_for_a_malformed_code(county_officer, url):
    client = Client()
    client.force_login(county_officer)
    response = client.get(url)
    assert response.status_code == 422 and "region" in response.json()["fields"]


def test_the_coverage_api_answers_404_for_a_neighbour_county(county_officer):
    client = Client()
    client.force_login(county_officer)
    assert client.get("/api/v1/map/coverage?region=411003").status_code == 404
    assert client.get("/api/v1/map/coverage?region=411002").status_code == 200
