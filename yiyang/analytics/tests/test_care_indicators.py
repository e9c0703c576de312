"""The emergency-help indicators: alarms by outcome, response times, devices offline or low on battery."""

from datetime import timedelta

from django.utils import timezone

from yiyang.analytics import indicators
from yiyang.care.models import Alarm, Device, Vendor


def test_alarm_and_device_indicators_per_region(county_officer, neighbour_officer, elder):
    now = timezone.now()
    rows = [(30, None, "false_alarm", "false_alarm"), (60, 600, "real", "closed"), (90, 1200, "assisted", "closed")]
    for ack, arrive, outcome, state in rows:
        Alarm.objects.create(elder=elder, region_code=elder.region_code, county_code="411002", kind="sos",
                             source="device", state=state, outcome=outcome, opened_at=now,
                             acknowledged_at=now + timedelta(seconds=ack),
                             arrived_at=now + timedelta(seconds=arrive) if arrive else None)  # fmt: skip
    vendor = Vendor.objects.create(code="v", name="v", region_code="411002000000", secret="x")
    Device.objects.create(vendor=vendor, external_id="a", kind="smoke", elder=elder, region_code=elder.region_code,
                          county_code="411002", battery=10, last_heartbeat_at=now)  # fmt: skip
    Device.objects.create(vendor=vendor, external_id="b", kind="door", elder=elder, region_code=elder.region_code,
                          county_code="411002", battery=90, last_heartbeat_at=now - timedelta(hours=5))  # fmt: skip
    whole, children = indicators.gather(county_officer, "411002000000")
    figures = indicators.values(whole)
    assert figures["alarms"] == 3 and figures["alarms_real"] == 1
    assert figures["false_alarm_rate"] == 33.33
    assert figures["ack_median"] == 60 and figures["ack_p90"] == 90 and figures["arrive_median"] == 10
    assert (figures["alarm_devices"], figures["devices_offline"], figures["devices_low_battery"]) == (2, 1, 1)
    assert sum(indicators.values(c)["alarms"] for c in children) == 3
    outside, _ = indicators.gather(neighbour_officer, "411003000000")
    assert indicators.values(outside)["alarms"] == 0
