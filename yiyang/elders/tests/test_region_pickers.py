"""Region pickers on the elder form and the list filter: cascading selects from the user's own region,
each level from the regions API, which lists only the children within the user's scope; the list shows
region names with the codes as secondary text."""

import pytest
from django.test import Client

from yiyang.core.roles import Role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_and_the_filter_carry_the_picker_from_the_users_region(county_officer):
    client = client_for(county_officer)
    form = client.get("/elders/new/").content.decode()
    assert 'data-region-picker="5"' in form and 'data-region-root="411002000000"' in form
    assert "yiyang/regionpicker.js" in form
    listing = client.get("/elders/").content.decode()
    assert 'data-region-picker="any"' in listing and 'data-region-root="411002000000"' in listing


def test_the_children_are_limited_to_the_scope(county_officer, make_user, regions):
    client = client_for(county_officer)
    streets = client.get("/api/v1/regions/411002000000/children").json()
    assert [r["name"] for r in streets] == ["西大街道", "南关街道"]
    communities = client.get("/api/v1/regions/411002001000/children").json()
    assert [r["name"] for r in communities] == ["花园社区", "春晖社区"]
    assert client.get("/api/v1/regions/411003000000/children").status_code == 404  # the neighbour county
    worker = make_user(Role.COMMUNITY_WORKER, region_code="411002001000")
    assert client_for(worker).get("/api/v1/regions/411002000000/children").status_code == 404
    assert len(client_for(worker).get("/api/v1/regions/411002001000/children").json()) == 2
    assert 'data-region-root="411002001000"' in client_for(worker).get("/elders/new/").content.decode()


def test_the_list_names_the_community_with_its_code_beside(county_officer, elder):
    page = client_for(county_officer).get("/elders/").content.decode()
    assert '花园社区<br><small class="muted code">411002001001</small>' in page


def test_the_facility_list_names_its_regions_and_picks_them_too(county_officer, facility):
    page = client_for(county_officer).get("/facilities/").content.decode()
    assert '花园社区<br><small class="muted code">411002001001</small>' in page
    assert 'data-region-picker="any"' in page
