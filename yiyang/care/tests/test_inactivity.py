"""Alarms from silence: rules per region and per elder, the daily window, working sensors only, once per
silence; motion, door and water."""

import itertools
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from yiyang.care import inactivity, services
from yiyang.care.models import Alarm, Device, DeviceEvent, InactivityRule

CST = ZoneInfo("Asia/Shanghai")
AFTERNOON = datetime(2026, 12, 7, 15, 0, tzinfo=CST)
_ids = itertools.count()


def sensor(vendor, elder, kind="motion", age=timedelta(days=3)):
    return Device.objects.create(vendor=vendor, external_id=f"{kind}-{next(_ids)}", kind=kind, elder=elder,
                                 region_code=elder.region_code, county_code="411002", created_at=AFTERNOON - age)  # fmt: skip


def rule(signal="motion", hours=6, region="411002000000", elder=None, day_end=time(21), **fields):
    return InactivityRule.objects.create(region_code=region, county_code=region[:6], elder=elder, signal=signal,
                                         hours=hours, day_start=time(7), day_end=day_end, **fields)  # fmt: skip


def seen(device, ago, kind="motion", **data):
    DeviceEvent.objects.create(vendor=device.vendor, vendor_event_id=f"e{next(_ids)}", external_id=device.external_id,
                               device=device, region_code=device.region_code, county_code="411002", kind=kind,
                               occurred_at=AFTERNOON - ago, payload={"data": data})  # fmt: skip


def test_no_motion_for_the_rules_hours_in_the_day_opens_one_alarm_per_silence(vendor, home_elder):
    motion = sensor(vendor, home_elder)
    rule(hours=6, day_end=time(23))
    seen(motion, timedelta(hours=7))
    [alarm] = inactivity.check(AFTERNOON)
    assert (alarm.kind, alarm.device_id, alarm.state) == ("inactivity", motion.pk, "new")
    assert "近 6 小时未检测到活动" in alarm.summary and alarm.steps.get().action == "open"
    assert inactivity.check(AFTERNOON + timedelta(minutes=10)) == []  # the same silence: open already
    Alarm.objects.filter(pk=alarm.pk).update(state="closed")
    assert inactivity.check(AFTERNOON + timedelta(hours=1)) == []  # closed, but opened within the window
    assert len(inactivity.check(AFTERNOON + timedelta(hours=6, minutes=1))) == 1  # another full window


def test_activity_within_the_hours_quiet_hours_and_broken_or_new_sensors_open_nothing(vendor, home_elder):
    rule(hours=6)
    lively = sensor(vendor, home_elder)
    seen(lively, timedelta(hours=2))
    assert inactivity.check(AFTERNOON) == []
    Device.objects.filter(pk=lively.pk).update(status="offline")  # a ticket's matter, not the elder's
    assert inactivity.check(AFTERNOON + timedelta(hours=5)) == []
    Device.objects.filter(pk=lively.pk).update(status="active")
    night = datetime(2026, 12, 7, 23, 30, tzinfo=CST)
    assert inactivity.check(night) == []
    assert not Alarm.objects.exists()
    DeviceEvent.objects.all().delete()
    Device.objects.all().delete()
    sensor(vendor, home_elder, age=timedelta(hours=2))  # installed two hours ago
    assert inactivity.check(AFTERNOON) == []


def test_an_elders_own_rule_and_a_deeper_regions_rule_replace_the_county_rule(vendor, home_elder, make_elder):
    rule(hours=6)
    mine = sensor(vendor, home_elder)
    seen(mine, timedelta(hours=7))
    rule(hours=12, region="411002000000", elder=home_elder)  # a day sleeper: twelve hours
    neighbour_in_street = make_elder("411002001002")
    theirs = sensor(vendor, neighbour_in_street)
    seen(theirs, timedelta(hours=7))
    rule(hours=8, region="411002001000")  # the street's own rule
    assert inactivity.check(AFTERNOON) == []
    assert [a.elder_id for a in inactivity.check(AFTERNOON + timedelta(hours=1, minutes=1))] == [neighbour_in_street.pk]


def test_the_door_not_opened_and_too_little_water_used(vendor, home_elder, make_elder):
    door = sensor(vendor, home_elder, kind="door")
    rule("door", hours=10)
    seen(door, timedelta(hours=11), kind="door")
    [alarm] = inactivity.check(AFTERNOON)
    assert "门未开启" in alarm.summary

    other = make_elder("411002001002")
    meter = sensor(vendor, other, kind="water_meter")
    rule("water", hours=24, min_litres=50)
    for hours_ago in (3, 9, 15):
        seen(meter, timedelta(hours=hours_ago), kind="reading", litres=10)
    seen(meter, timedelta(hours=30), kind="reading", litres=500)  # before the window
    [alarm] = inactivity.check(AFTERNOON)
    assert alarm.elder_id == other.pk and "近 24 小时用水 30 升，低于 50 升" in alarm.summary
    Alarm.objects.filter(pk=alarm.pk).update(state="closed", opened_at=AFTERNOON - timedelta(days=2))
    seen(meter, timedelta(hours=1), kind="reading", litres=25)
    assert inactivity.check(AFTERNOON) == []


def test_the_sweep_checks_the_rules(vendor, home_elder):
    rule(hours=6)
    sensor(vendor, home_elder)
    assert services.sweep_devices(AFTERNOON)["inactivity"] == 1


@pytest.mark.parametrize(("start", "end", "at", "inside"), [
    (time(7), time(21), time(6, 59), False), (time(7), time(21), time(21), True),
    (time(22), time(6), time(23), True), (time(22), time(6), time(12), False),
])  # fmt: skip
def test_the_daily_window_may_cross_midnight(start, end, at, inside):
    assert inactivity.in_window(InactivityRule(day_start=start, day_end=end), at) is inside


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_rules_are_set_through_the_api_with_reasons_for_bad_input(county_officer, neighbour_officer, home_elder):
    import json

    client = _client(county_officer)

    def post(body, who=client):
        return who.post("/api/v1/care/inactivity-rules", json.dumps(body), content_type="application/json")

    saved = post({"region_code": "411002000000", "signal": "motion", "hours": 6})
    assert saved.status_code == 200 and saved.json()["day_start"] == "07:00"
    again = post({"region_code": "411002000000", "signal": "motion", "hours": 8, "day_end": "20:30"})
    assert again.json()["id"] == saved.json()["id"] and InactivityRule.objects.get().hours == 8  # replaced
    bad = post({"region_code": "411002000000", "signal": "water", "hours": 0, "day_start": "7点"})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"hours", "min_litres", "day_start"}
    own = post({"elder_id": home_elder.pk, "signal": "water", "hours": 24, "min_litres": 40})
    assert own.status_code == 200 and own.json()["elder_id"] == home_elder.pk
    listed = client.get("/api/v1/care/inactivity-rules?region=411002000000").json()
    assert {(r["signal"], r["elder_id"]) for r in listed} == {("motion", None), ("water", home_elder.pk)}

    # The neighbour county's officer can neither set a rule here nor see or delete these.
    assert (
        post({"region_code": "411002000000", "signal": "door", "hours": 6}, _client(neighbour_officer)).status_code
        == 404
    )
    assert (
        post({"elder_id": home_elder.pk, "signal": "door", "hours": 6}, _client(neighbour_officer)).status_code == 404
    )
    rule_id = saved.json()["id"]
    assert _client(neighbour_officer).delete(f"/api/v1/care/inactivity-rules/{rule_id}").status_code == 404
    assert InactivityRule.objects.count() == 2
    assert client.delete(f"/api/v1/care/inactivity-rules/{rule_id}").status_code == 204
    assert InactivityRule.objects.count() == 1


def test_the_rules_page_lists_sets_and_deletes(county_officer, operator):
    client = _client(county_officer)
    answer = client.post("/care/inactivity/?region=411002000000", {"region_code": "411002001000", "signal": "door",
                         "hours": "10", "day_start": "08:00", "day_end": "20:00"})  # fmt: skip
    assert answer.status_code == 302
    rule = InactivityRule.objects.get()
    assert (rule.region_code, rule.signal, rule.hours, rule.day_start) == ("411002001000", "door", 10, time(8))
    page = client.get("/care/inactivity/?region=411002000000").content.decode()
    assert "门未开启（门磁）" in page and "08:00–20:00" in page and 'id="inactivity-form"' in page
    refused = client.post("/care/inactivity/?region=411002000000", {"signal": "water", "hours": "24"}, follow=True)
    assert "最少用水量" in refused.content.decode() and InactivityRule.objects.count() == 1
    # The operator reads the rules but does not change them.
    assert 'id="inactivity-form"' not in _client(operator).get("/care/inactivity/").content.decode()
    assert _client(operator).post(f"/care/inactivity/{rule.pk}/delete/").status_code == 404
    assert client.post(f"/care/inactivity/{rule.pk}/delete/").status_code == 302
    assert not InactivityRule.objects.exists()
