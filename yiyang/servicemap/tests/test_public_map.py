"""The public service map: no login, only what facilities publish, never anyone's personal data."""

import json
import random
from datetime import date

import pytest
from django.test import Client

from yiyang.core import coords
from yiyang.core.audit import Actor
from yiyang.facilities import services as facilities
from yiyang.facilities.models import Facility

PUBLIC_URLS = [
    "/api/v1/public/facilities",
    "/api/v1/public/facilities?q=魏都",
    "/api/v1/public/facilities/{pk}",
    "/api/v1/facilities/nearby?lat=34.03&lng=113.85&radius=5000",
    "/map/",
    "/map/facilities/{pk}/",
]


@pytest.fixture
def published(facility, elder, county_officer):
    Facility.objects.filter(pk=facility.pk).update(lat=34.03, lng=113.85, contact_person="王院长")
    facilities.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 2))
    return facility


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_pages_and_api_need_no_login_and_leak_no_personal_data(published, elder, url):
    response = Client().get(url.format(pk=published.pk))
    assert response.status_code == 200
    body = json.dumps(response.json(), ensure_ascii=False) if "/api/" in url else response.content.decode()
    for secret in (elder.name, elder.id_number, elder.phone, elder.address, "王院长"):
        assert secret not in body, secret


def test_unpublished_or_closed_facilities_stay_off_the_map(published):
    client = Client()
    Facility.objects.filter(pk=published.pk).update(is_published=False)
    assert client.get(f"/api/v1/public/facilities/{published.pk}").status_code == 404
    assert client.get(f"/map/facilities/{published.pk}/").status_code == 404
    assert client.get("/api/v1/public/facilities").json() == []
    Facility.objects.filter(pk=published.pk).update(is_published=True, status="closed")
    assert client.get("/api/v1/facilities/nearby?lat=34.03&lng=113.85&radius=5000").json() == []


def test_search_by_region_name_and_filters(published, neighbour_facility):
    client = Client()
    names = lambda url: {f["name"] for f in client.get(url).json()}  # noqa: E731
    assert names("/api/v1/public/facilities?q=魏都区") == {"花园康养中心"}
    assert names("/api/v1/public/facilities?q=建安") == {"灵井敬老院"}
    assert names("/api/v1/public/facilities?facility_type=support_home") == {"灵井敬老院"}
    assert names("/api/v1/public/facilities?has_vacancy=true") == {"花园康养中心", "灵井敬老院"}
    assert client.get("/api/v1/public/facilities?facility_type=hotel").status_code == 422


@pytest.mark.parametrize(
    "query, field",
    [
        ("lat=51.5&lng=-0.12", "lat"),
        ("lat=34&lng=113&radius=60000", "radius"),
        ("lat=34&lng=113&radius=0", "radius"),
        ("lat=34&lng=113&type=hotel", "type"),
        ("lat=abc&lng=113", "lat"),
        ("lng=113", "lat"),
        ("lat=34&lng=113&coord_system=mars", "lat"),
    ],
)
def test_nearby_refuses_bad_input_with_a_4xx_naming_the_field(db, query, field):
    response = Client().get(f"/api/v1/facilities/nearby?{query}")
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_nearby_matches_brute_force_on_random_facilities(regions):
    rng = random.Random(4)
    rows = [
        Facility(code=f"F{i}", name=f"设施{i}", facility_type=rng.choice(["day_care", "canteen", "institution"]),
                 operation_model="public", region_code="411002001001", county_code="411002", address="x",
                 lat=34.0 + rng.uniform(-0.05, 0.05), lng=113.8 + rng.uniform(-0.05, 0.05))
        for i in range(300)
    ]  # fmt: skip
    Facility.objects.bulk_create(rows)
    client = Client()
    for _ in range(15):
        lat, lng = 34.0 + rng.uniform(-0.05, 0.05), 113.8 + rng.uniform(-0.05, 0.05)
        radius = rng.choice([300, 1000, 2500])
        kind = rng.choice(["", "canteen"])
        got = client.get(f"/api/v1/facilities/nearby?lat={lat}&lng={lng}&radius={radius}&type={kind}&limit=100").json()
        expected = sorted(
            (coords.distance_m(lat, lng, f.lat, f.lng), f.pk, f.name)
            for f in Facility.objects.all()
            if coords.distance_m(lat, lng, f.lat, f.lng) <= radius and (not kind or f.facility_type == kind)
        )
        assert [f["name"] for f in got] == [name for _, _, name in expected[:100]]
        assert all(f["walking_minutes"] >= f["distance_m"] / 60 for f in got)


def test_gcj02_input_is_converted_before_searching(published):
    from fast_geocn import coord

    gcj_lng, gcj_lat = coord.wgs84_to_gcj02(113.85, 34.03)  # the same spot as AMap reports it
    got = Client().get(f"/api/v1/facilities/nearby?lat={gcj_lat}&lng={gcj_lng}&radius=200&coord_system=gcj02").json()
    assert [f["name"] for f in got] == ["花园康养中心"]
