"""Meal assistance: menus, counter records with category subsidies and a daily cap, daily counts."""

import json
from datetime import date

import pytest
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.elders.models import Elder
from yiyang.facilities.models import Facility
from yiyang.homecare import meals
from yiyang.homecare.models import MealRecord, MealSubsidyRule

DAY = date(2026, 11, 25)


@pytest.fixture
def canteen(facility):
    Facility.objects.filter(pk=facility.pk).update(services=["meals"])
    facility.refresh_from_db()
    return facility


@pytest.fixture
def menus(canteen, facility_manager):
    for meal, price in (("breakfast", 500), ("lunch", 1500), ("dinner", 1200)):
        meals.publish_menu(Actor(user=facility_manager), canteen.pk, DAY, meal, "米饭 青菜 豆腐", price)


def test_subsidy_follows_the_best_category_and_the_daily_cap(canteen, menus, facility_manager, elder):
    Elder.objects.filter(pk=elder.pk).update(categories=1 | 8)  # 特困 + 高龄
    MealSubsidyRule.objects.create(region_code="411002000000", county_code="411002", category="advanced_age",
                                   amount=300, daily_cap=2)  # fmt: skip
    MealSubsidyRule.objects.create(region_code="411002001000", county_code="411002", category="tekun", amount=1000,
                                   daily_cap=2)  # fmt: skip
    actor = Actor(user=facility_manager)
    lunch = meals.record_meal(actor, canteen.pk, elder.id_number, DAY, "lunch", "dine_in")
    assert (lunch.subsidy, lunch.self_pay) == (1000, 500)
    breakfast = meals.record_meal(actor, canteen.pk, elder.id_number, DAY, "breakfast", "pick_up")
    assert breakfast.subsidy == 500  # never more than the price
    dinner = meals.record_meal(actor, canteen.pk, elder.id_number, DAY, "dinner", "delivery")
    assert dinner.subsidy == 0  # the third meal of the day is beyond the cap of two
    with pytest.raises(Conflict):
        meals.record_meal(actor, canteen.pk, elder.id_number, DAY, "lunch", "dine_in")
    counts = meals.daily_counts(actor, canteen.pk, DAY)
    assert counts["meals"] == {"breakfast": 1, "lunch": 1, "dinner": 1} and counts["subsidy"] == 1500


def test_bad_counter_input_is_refused(canteen, menus, facility_manager):
    with pytest.raises(FieldErrors) as caught:
        meals.record_meal(Actor(user=facility_manager), canteen.pk, "110105194912310021", date(2026, 1, 1), "lunch",
                          "by_drone")  # fmt: skip
    assert {"meal", "mode", "id_number"} <= set(caught.value.fields)


def test_other_facility_manager_cannot_use_the_counter(canteen, menus, other_facility_manager, elder):
    client = Client()
    client.force_login(other_facility_manager)
    body = {"id_number": elder.id_number, "day": "2026-11-25", "meal": "lunch"}
    response = client.post(f"/api/v1/homecare/canteens/{canteen.pk}/meals", json.dumps(body),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 404
    assert client.get(f"/api/v1/homecare/canteens/{canteen.pk}/counts?day=2026-11-25").status_code == 404


def test_a_facility_without_meals_is_not_a_canteen(facility, facility_manager):
    with pytest.raises(FieldErrors, match="助餐点"):
        meals.publish_menu(Actor(user=facility_manager), facility.pk, DAY, "lunch", "面条", 800)


def test_counter_page_records_a_meal_and_shows_the_counts(canteen, menus, facility_manager, elder, settings):
    from django.utils import timezone

    from yiyang.homecare.models import MealRecord

    client = Client()
    client.force_login(facility_manager)
    assert canteen.name in client.get("/homecare/canteens/").content.decode()
    meals.publish_menu(Actor(user=facility_manager), canteen.pk, timezone.localdate(), "lunch", "饺子", 1000)
    response = client.post(f"/homecare/canteens/{canteen.pk}/",
                           {"counter-id_number": elder.id_number, "counter-meal": "lunch", "counter-mode": "dine_in"})  # fmt: skip
    assert response.status_code == 302 and MealRecord.objects.count() == 1
    again = client.post(f"/homecare/canteens/{canteen.pk}/",
                        {"counter-id_number": elder.id_number, "counter-meal": "lunch", "counter-mode": "dine_in"})  # fmt: skip
    assert "已经记录过" in again.content.decode()


def test_the_counter_finds_only_elders_of_the_canteens_county(canteen, menus, facility_manager, neighbour_elder):
    """A canteen's counter must not tell whether an ID number is registered in another county, nor
    record a meal (and its subsidy) for that county's elder."""
    with pytest.raises(FieldErrors) as caught:
        meals.record_meal(Actor(user=facility_manager), canteen.pk, neighbour_elder.id_number, DAY, "lunch", "dine_in")
    assert caught.value.fields["id_number"] == "本县（区）没有该身份证号码的在册老人"
    assert not MealRecord.objects.filter(elder_id=neighbour_elder.pk).exists()
