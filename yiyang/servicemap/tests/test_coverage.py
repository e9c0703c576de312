"""The 15-minute service circle on a small hand-made county where the answer is known."""

import json

import pytest
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.facilities import services as facilities
from yiyang.regions.models import Region
from yiyang.servicemap import services
from yiyang.servicemap.models import CommunityCoverage, CoverageRule

# 0.009 degrees of latitude is about 1,000 m.
PLACES = {
    "411002001001": (34.000, 113.800, "111"),  # urban, facility A 500 m away: covered
    "411002001002": (34.030, 113.800, "111"),  # urban, nearest facility 1,500 m away: not covered
    "411002002001": (34.100, 113.800, "111"),  # urban, nothing near
    "411003100201": (34.200, 113.800, "220"),  # rural village, facility B 1,500 m away: covered (2,000 m rule)
    "410105001001": (34.750, 113.650, "111"),  # Zhengzhou, far from everything
}


@pytest.fixture
def layout(regions, county_officer):
    for code, (lat, lng, urban_rural) in PLACES.items():
        Region.objects.filter(code=code).update(lat=lat, lng=lng, urban_rural=urban_rural)
    admin = Actor(user=county_officer.__class__.objects.create(username="root", is_superuser=True))
    base = {"operation_model": "public", "address": "x", "beds_total": 0}
    a = facilities.register_facility(
        admin,
        {
            **base,
            "code": "A",
            "name": "甲日照中心",
            "facility_type": "day_care",
            "region_code": "411002001001",
            "lat": 34.0045,
            "lng": 113.800,
        },
    )
    facilities.register_facility(admin, {**base, "code": "B", "name": "乙幸福院", "facility_type": "rural_happiness",
                                         "region_code": "411003100201", "lat": 34.2135, "lng": 113.800})  # fmt: skip
    services.recompute(None)
    return a


def test_coverage_follows_urban_and_rural_radii(layout):
    covered = dict(CommunityCoverage.objects.values_list("community_code", "covered"))
    assert covered == {"411002001001": True, "411002001002": False, "411002002001": False, "411003100201": True,
                       "410105001001": False}  # fmt: skip
    far = CommunityCoverage.objects.get(community_code="411002001002")
    assert far.nearest_facility_id == layout.pk and 2800 < far.nearest_m < 2900


def test_rates_per_child_region_split_urban_and_rural(layout, city_officer):
    whole, children = services.rates(city_officer, "411000000000")
    assert (whole.total, whole.covered, whole.urban_total, whole.urban_covered) == (4, 2, 3, 1)
    assert (whole.rural_total, whole.rural_covered) == (1, 1)
    assert [(c.code, c.covered, c.total) for c in children] == [("411002000000", 1, 3), ("411003000000", 1, 1)]


def test_region_rule_overrides_the_default(layout):
    CoverageRule.objects.create(region_code="411002001000", area="urban", radius_m=3000)
    services.recompute("411002000000")
    assert CommunityCoverage.objects.get(community_code="411002001002").covered


def test_rule_can_count_only_some_facility_types(layout):
    CoverageRule.objects.create(region_code="", area="rural", radius_m=2000, facility_types=["day_care"])
    services.recompute(None)
    assert not CommunityCoverage.objects.get(community_code="411003100201").covered


def test_what_if_counts_the_communities_a_planned_facility_would_cover(layout, county_officer):
    result = services.what_if(county_officer, "411002000000", 34.095, 113.800, "day_care")
    assert [c["community_code"] for c in result["newly_covered"]] == ["411002002001"]
    assert (result["before"]["covered"], result["after"]["covered"]) == (1, 2)
    assert CommunityCoverage.objects.filter(covered=True).count() == 2  # nothing stored


def test_new_facility_recomputes_the_communities_around_it(layout, county_officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        facilities.register_facility(
            Actor(user=county_officer),
            {"code": "C", "name": "丙站", "facility_type": "home_care_station", "operation_model": "social",
             "region_code": "411002002001", "address": "y", "lat": 34.101, "lng": 113.801},
        )  # fmt: skip
    assert CommunityCoverage.objects.get(community_code="411002002001").covered


def test_supply_and_demand_counts_disabled_elders_outside_the_circle(layout, county_officer, make_elder):
    from yiyang.elders.models import Elder

    inside = make_elder("411002001001")
    outside = make_elder("411002002001")
    Elder.objects.filter(pk__in=[inside.pk, outside.pk]).update(capability_level=3)
    rows = {r["code"]: r for r in services.supply_and_demand(county_officer, "411002000000")}
    assert rows["411002002000"]["unmet_demand"] == 1 and rows["411002001000"]["unmet_demand"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/map/coverage?region=411002000000",
        "/api/v1/map/coverage/uncovered?region=411002000000",
        "/api/v1/map/supply-demand?region=411002000000",
        "/api/v1/map/boundaries?region=411000000000",
        "/map/coverage/?region=411002000000",
    ],
)
def test_neighbour_officer_cannot_see_or_recompute_another_countys_coverage(layout, neighbour_officer, url):
    client = Client()
    client.force_login(neighbour_officer)
    assert client.get(url).status_code == 404
    body = {"region": "411002000000", "lat": 34.095, "lng": 113.8}
    response = client.post("/api/v1/map/coverage/what-if", json.dumps(body), content_type="application/json")
    assert response.status_code == 404
    assert client.post("/map/coverage/recompute/", {"region": "411002000000"}).status_code == 404


def test_county_officer_sees_coverage_page_and_api(layout, county_officer):
    client = Client()
    client.force_login(county_officer)
    data = client.get("/api/v1/map/coverage?region=411002000000").json()
    assert data["region"]["covered"] == 1 and data["region"]["total"] == 3
    page = client.get("/map/coverage/").content.decode()
    assert "西大街道" in page and "金桥社区" in page and "春晖社区" in page
    assert client.post("/map/coverage/recompute/", {"region": "411002000000"}).status_code == 302
    bad = client.post(
        "/api/v1/map/coverage/what-if",
        json.dumps({"region": "411002000000", "lat": 51.5, "lng": -0.1}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "lat" in bad.json()["fields"]


def test_boundaries_of_a_citys_counties_carry_rates(layout, city_officer):
    client = Client()
    client.force_login(city_officer)
    data = client.get("/api/v1/map/boundaries?region=411000000000").json()
    names = {f["properties"]["name"]: f["properties"].get("rate") for f in data["features"]}
    assert names == {"魏都区": pytest.approx(1 / 3, abs=1e-3), "建安区": 1.0}
