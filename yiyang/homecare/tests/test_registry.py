"""Maintaining the menu, providers and caregivers, within scope."""

import json

import pytest
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors, OutOfScope
from yiyang.homecare import registry
from yiyang.homecare.models import ServiceItem
from yiyang.providers import services as provider_services
from yiyang.providers.models import Staff

ITEM = {"region_code": "411002000000", "code": "clean", "name": "助洁", "category": "daily_living", "unit": "hour",
        "price": 4000, "subsidies": {"tekun": 100}}  # fmt: skip


def post(user, url, body):
    client = Client()
    client.force_login(user)
    return client.post(url, json.dumps(body), content_type="application/json")


def test_officer_adds_menu_items_for_own_county_only(county_officer):
    assert post(county_officer, "/api/v1/homecare/items", ITEM).status_code == 201
    response = post(county_officer, "/api/v1/homecare/items", {**ITEM, "region_code": "411003000000"})
    assert response.status_code == 403 and ServiceItem.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [({"category": "x"}, "category"), ({"region_code": "411002999000"}, "region_code"),
     ({"subsidies": {"rich": 10}}, "subsidies"), ({"subsidies": {"tekun": 150}}, "subsidies"), ({"name": ""}, "name")],
)  # fmt: skip
def test_bad_menu_items_are_refused_naming_the_field(county_officer, change, field):
    with pytest.raises(FieldErrors) as caught:
        registry.save_item(Actor(user=county_officer), {**ITEM, **change})
    assert field in caught.value.fields


def test_provider_manages_own_caregivers_only(provider, other_provider, provider_manager, county_officer):
    body = {"name": "王护理", "phone": "13900002222", "skill_level": 3}
    assert post(provider_manager, f"/api/v1/homecare/providers/{provider.pk}/caregivers", body).status_code == 201
    assert post(provider_manager, f"/api/v1/homecare/providers/{other_provider.pk}/caregivers", body).status_code == 404
    with pytest.raises(OutOfScope):
        provider_services.save_caregiver(Actor(user=county_officer), provider.pk, body)
    client = Client()
    client.force_login(county_officer)
    listed = client.get(f"/api/v1/homecare/providers/{provider.pk}/caregivers").json()
    assert [c["name"] for c in listed] == ["王护理"] and Staff.objects.count() == 1


def test_officer_registers_a_provider_with_its_service_area(county_officer, neighbour_officer):
    body = {
        "name": "新服务社",
        "region_code": "411002001000",
        "service_regions": ["411002000000"],
        "phone": "0374-1234567",
    }
    assert post(county_officer, "/api/v1/homecare/providers", body).status_code == 201
    assert post(neighbour_officer, "/api/v1/homecare/providers", body).status_code == 403
    bad = post(county_officer, "/api/v1/homecare/providers", {**body, "service_regions": ["999"]})
    assert bad.status_code == 422


def test_pages_for_menu_orders_and_caregivers_respect_scope(
    county_officer, neighbour_officer, provider, provider_manager, family, elder, bath, tomorrow
):
    from yiyang.homecare import services

    officer = Client()
    officer.force_login(county_officer)
    form = {"region_code": "411002000000", "code": "talk", "name": "精神慰藉", "category": "emotional", "unit": "hour",
            "price_yuan": "30", "duration_minutes": 60, "min_minutes": 30, "subsidy_tekun": 100}  # fmt: skip
    assert officer.post("/homecare/menu/", form).status_code == 302
    assert ServiceItem.objects.filter(code="talk", price=3000, subsidies={"tekun": 100}).exists()
    manager = Client()
    manager.force_login(provider_manager)
    response = manager.post(f"/homecare/providers/{provider.pk}/", {"name": "赵护理", "phone": "13900003333"})
    assert response.status_code == 302 and provider.staff.filter(name="赵护理").exists()
    outsider = Client()
    outsider.force_login(neighbour_officer)
    assert outsider.get(f"/homecare/providers/{provider.pk}/").status_code == 404
    order = services.book(Actor(user=family), elder.pk, bath.pk, tomorrow)
    daughter = Client()
    daughter.force_login(family)
    assert f"#{order.pk}" in daughter.get("/homecare/orders/").content.decode()
    assert f"#{order.pk}" not in outsider.get("/homecare/orders/").content.decode()
