"""Time bank: hours credited once on confirmation, capped, redeemed from 60, transferred to family."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.roles import Role
from yiyang.homecare import timebank
from yiyang.homecare.models import TimeEntry


@pytest.fixture
def worker(make_user, regions):
    return make_user(Role.COMMUNITY_WORKER, region_code="411002001001")


@pytest.fixture
def volunteer(worker, elder):
    return timebank.register(Actor(user=worker), "张阿姨", "13700001111", "411002001001", elder_id=elder.pk)


def test_hours_are_credited_once_when_the_served_family_confirms(volunteer, worker, family_of_elder):
    service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, 20), "2.5", "陪同就医",
                              served_elder_id=family_of_elder[1].pk)  # fmt: skip
    assert timebank.balance(volunteer.pk) == 0
    timebank.confirm(Actor(user=family_of_elder[0]), service.pk)
    with pytest.raises(Conflict):
        timebank.confirm(Actor(user=family_of_elder[0]), service.pk)
    assert timebank.balance(volunteer.pk) == Decimal("2.5")


def test_hours_beyond_the_cap_are_not_credited(volunteer, worker, settings):
    settings.TIME_BANK = {"cap_hours": 3, "redeem_age": 60}
    for day in (1, 2):
        service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, day), 2, "助洁")
        timebank.confirm(Actor(user=worker), service.pk)
    assert timebank.balance(volunteer.pk) == 3
    assert "未存入" in TimeEntry.objects.order_by("-id").first().note


def test_redeem_and_transfer_keep_the_ledger_balanced(volunteer, worker, elder):
    service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, 1), 6, "助餐")
    timebank.confirm(Actor(user=worker), service.pk)
    daughter = timebank.register(Actor(user=worker), "王女士", "13700002222", "411002001001")
    assert timebank.transfer(Actor(user=worker), volunteer.pk, daughter.pk, 2, "t1")
    assert not timebank.transfer(Actor(user=worker), volunteer.pk, daughter.pk, 2, "t1")  # resent
    assert timebank.redeem(Actor(user=worker), volunteer.pk, 1, "r1")  # elder born 1945: over 60
    assert (timebank.balance(volunteer.pk), timebank.balance(daughter.pk)) == (3, 2)
    with pytest.raises(FieldErrors, match="岁"):
        timebank.redeem(Actor(user=worker), daughter.pk, 1, "r2")  # no elder record: cannot redeem
    with pytest.raises(FieldErrors, match="余额不足"):
        timebank.transfer(Actor(user=worker), volunteer.pk, daughter.pk, 10, "t2")
    assert sum(e.hours for e in TimeEntry.objects.all()) == 5


def test_other_county_cannot_see_or_change_volunteers(volunteer, neighbour_officer):
    client = Client()
    client.force_login(neighbour_officer)
    assert client.get(f"/api/v1/homecare/volunteers/{volunteer.pk}").status_code == 404
    body = {"hours": 1, "key": "x"}
    url = f"/api/v1/homecare/volunteers/{volunteer.pk}/redeem"
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 404


@pytest.fixture
def family_of_elder(make_user, elder):
    return make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk), elder


def test_worker_records_and_family_confirms_on_the_page(worker, volunteer, family_of_elder):
    client = Client()
    client.force_login(worker)
    response = client.post("/homecare/timebank/", {"s-volunteer": volunteer.pk, "s-day": "2026-11-20", "s-hours": "1.5",
                                                   "s-description": "读报聊天"})  # fmt: skip
    assert response.status_code == 302
    service = volunteer.services.get()
    service.served_elder_id = family_of_elder[1].pk
    service.save()
    family = Client()
    family.force_login(family_of_elder[0])
    assert "读报聊天" in family.get("/homecare/timebank/").content.decode()
    family.post("/homecare/timebank/", {"confirm": service.pk, "accepted": "1"})
    assert timebank.balance(volunteer.pk) == Decimal("1.5")


@pytest.mark.parametrize("hours", ["NaN", "nan", "Infinity", "-inf", "sNaN"])
def test_hours_that_are_not_a_number_are_refused_on_every_time_bank_endpoint(volunteer, worker, hours):
    client = Client()
    client.force_login(worker)
    daughter = timebank.register(Actor(user=worker), "王女士", "13700002222", "411002001001")
    bodies = {
        f"/api/v1/homecare/volunteers/{volunteer.pk}/transfer": {"hours": hours, "key": "t", "to_volunteer_id": daughter.pk},
        f"/api/v1/homecare/volunteers/{volunteer.pk}/redeem": {"hours": hours, "key": "r"},
        f"/api/v1/homecare/volunteers/{volunteer.pk}/services": {"hours": hours, "day": "2026-11-01", "description": "助餐"},
    }  # fmt: skip
    for path, body in bodies.items():
        response = client.post(path, json.dumps(body), content_type="application/json")
        assert response.status_code == 422, (path, response.content)
        assert "hours" in response.json()["fields"], path
    assert TimeEntry.objects.count() == 0


def test_a_rejected_record_cannot_be_confirmed_afterwards(volunteer, worker):
    service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, 3), 2, "助浴")
    timebank.confirm(Actor(user=worker), service.pk, accepted=False)
    with pytest.raises(Conflict) as refused:
        timebank.confirm(Actor(user=worker), service.pk)
    assert (refused.value.message, refused.value.code) == ("该记录已确认或已退回", "invalid_transition")
    service.refresh_from_db()
    assert service.state == "rejected"
    assert timebank.balance(volunteer.pk) == 0


def test_confirming_twice_through_the_api_answers_409(volunteer, worker):
    service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, 4), 1, "助行")
    client = Client()
    client.force_login(worker)
    url = f"/api/v1/homecare/volunteer-services/{service.pk}/confirm"
    assert client.post(url).status_code == 200
    second = client.post(url + "?accepted=false")
    assert second.status_code == 409
    assert second.json()["message"] == "该记录已确认或已退回"
    assert timebank.balance(volunteer.pk) == 1


def test_a_neighbour_county_officer_cannot_confirm_hours(volunteer, worker, neighbour_officer):
    service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, 5), 1, "助洁")
    client = Client()
    client.force_login(neighbour_officer)
    assert client.post(f"/api/v1/homecare/volunteer-services/{service.pk}/confirm").status_code == 404
    assert timebank.balance(volunteer.pk) == 0


def test_the_page_offers_the_steps_of_the_workflow(volunteer, worker):
    service = timebank.report(Actor(user=worker), volunteer.pk, date(2026, 11, 6), 1, "读报")
    client = Client()
    client.force_login(worker)
    page = client.get("/homecare/timebank/").content.decode()
    assert 'name="step" value="confirm"' in page and 'name="step" value="reject"' in page
    client.post("/homecare/timebank/", {"confirm": service.pk, "step": "reject"})
    service.refresh_from_db()
    assert service.state == "rejected"
    assert "没有待确认的记录" in client.get("/homecare/timebank/").content.decode()
