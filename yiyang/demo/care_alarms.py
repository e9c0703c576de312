"""Demo data for emergency help: two vendor clouds, devices in the homes of elders of the demo county,
responders with their positions, escalation policies, and a history of past alarms."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from yiyang.care.models import Alarm, AlarmSource, Device, EscalationPolicy, Vendor
from yiyang.care.workflows import ALARM
from yiyang.core.audit import Actor
from yiyang.elders.models import Elder, Status
from yiyang.providers.models import Provider, Staff

DEMO_COUNTY = "411002000000"
# The secrets the simulator signs with (`manage.py simulate_devices`); a deployment sets its own.
VENDORS = [
    ("anxin", "安心智能（通用接口）", "generic", "", "demo-anxin-secret"),
    ("watchcloud", "康途手表云", "watch_cloud", "demo-secret-id", "demo-watch-secret"),
]
KINDS = ["sos_button", "pull_cord", "smoke", "gas", "water_leak", "door", "motion", "radar", "water_meter"]
WHERE = {"sos_button": "卧室床头", "pull_cord": "卫生间", "smoke": "厨房", "gas": "厨房", "water_leak": "卫生间地面",
         "door": "入户门", "motion": "客厅", "radar": "卧室", "water_meter": "水表井"}  # fmt: skip
POLICIES = [
    # (state, seconds, action, notify, level, number, kind)
    ("new", 0, "notify", "family", None, "", ""),
    ("new", 60, "escalate", "supervisor", 1, "", ""),
    ("new", 300, "escalate", "supervisor", 2, "", ""),
    ("verifying", 300, "dispatch", "", None, "", ""),
    ("dispatched", 600, "notify", "supervisor", None, "", ""),
    ("dispatched", 1800, "call_emergency", "", None, "120", ""),
]


def first_elder():
    """The elder of the demo family account (generate.build_accounts takes the same one)."""
    return Elder.objects.filter(county_code=DEMO_COUNTY[:6], status=Status.ACTIVE).first()


@transaction.atomic
def build(rng: random.Random) -> dict:
    county = DEMO_COUNTY[:6]
    vendors = {
        code: Vendor.objects.create(
            code=code,
            name=name,
            adapter=adapter,
            secret_id=sid,
            secret=secret,
            region_code=DEMO_COUNTY,
            county_code=county,
        )  # fmt: skip
        for code, name, adapter, sid, secret in VENDORS
    }
    EscalationPolicy.objects.bulk_create(
        EscalationPolicy(
            region_code=DEMO_COUNTY,
            county_code=county,
            state=state,
            after_seconds=seconds,
            action=action,
            notify=notify,
            level=level,
            emergency_number=number,
            alarm_kind=kind,
        )  # fmt: skip
        for state, seconds, action, notify, level, number, kind in POLICIES
    )
    provider = Provider.objects.filter(county_code=county).order_by("id").first()
    elders = list(Elder.objects.filter(county_code=county, status=Status.ACTIVE).exclude(lat=None).order_by("id")[:40])
    family_elder = first_elder()
    if family_elder and family_elder not in elders:
        elders.insert(0, family_elder)
    responders = []
    if provider is not None:
        names = ["王响应", "陈志愿", "赵网格", "孙护理"]
        for i, name in enumerate(names):
            near = elders[i % len(elders)] if elders else None
            responders.append(Staff.objects.create(
                provider=provider, region_code=provider.region_code, county_code=county, name=name,
                role="responder" if i < 3 else "carer", phone=f"1370000{i:04d}",
                lat=(near.lat + rng.uniform(-0.01, 0.01)) if near and near.lat else None,
                lng=(near.lng + rng.uniform(-0.01, 0.01)) if near and near.lng else None,
            ))  # fmt: skip
    now = timezone.now()
    devices = []
    for n, elder in enumerate(elders):
        watch = Device(vendor=vendors["watchcloud"], external_id=f"8600000{elder.pk:08d}", kind="watch", elder=elder,
                       region_code=elder.region_code, county_code=county, installed_where="随身佩戴",
                       last_heartbeat_at=now - timedelta(minutes=rng.randint(1, 50)), battery=rng.randint(5, 100))  # fmt: skip
        devices.append(watch)
        for kind in rng.sample(KINDS, 3) if n else ["sos_button", "smoke", "door"]:
            seen = now - timedelta(minutes=rng.randint(1, 50) if rng.random() > 0.1 else rng.randint(200, 4000))
            devices.append(Device(vendor=vendors["anxin"], external_id=f"AX-{elder.pk}-{kind}", kind=kind, elder=elder,
                                  region_code=elder.region_code, county_code=county, installed_where=WHERE[kind],
                                  last_heartbeat_at=seen, last_event_at=seen, battery=rng.randint(5, 100)))  # fmt: skip
    Device.objects.bulk_create(devices)
    alarms = _past_alarms(rng, elders, responders, now)
    return {"vendors": len(vendors), "devices": len(devices), "responders": len(responders), "alarms": alarms}


HISTORIES = [
    # (kind, outcome, steps after open)
    ("sos", "real", ["acknowledge", "verify", "dispatch", "arrive", "resolve", "close"]),
    ("sos", "false_alarm", ["acknowledge", "verify", "false_alarm"]),
    ("fall", "assisted", ["acknowledge", "verify", "dispatch", "arrive", "resolve", "close"]),
    ("smoke", "test", ["test"]),
    ("sos", "assisted", ["acknowledge", "verify", "resolve_by_phone", "close"]),
]
NOTES = {
    "false_alarm": "老人误按，已确认平安",
    "resolve": "老人跌倒后起身困难，已协助并通知家属",
    "resolve_by_phone": "老人接听，身体不适，已联系家属陪同就医",
}


def _past_alarms(rng, elders, responders, now) -> int:
    system = Actor.system()
    made = 0
    for i in range(min(len(elders), 24)):
        elder = elders[i]
        kind, outcome, steps = HISTORIES[i % len(HISTORIES)]
        opened = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
        alarm = Alarm.objects.create(elder=elder, region_code=elder.region_code, county_code=elder.county_code,
                                     kind=kind, source=AlarmSource.DEVICE, opened_at=opened, state_since=opened,
                                     last_signal_at=opened, summary="历史报警")  # fmt: skip
        at = opened
        for name in steps:
            at += timedelta(
                seconds=rng.randint(20, 60) if name in ("acknowledge", "verify") else rng.randint(300, 1200)
            )
            if name == "dispatch" and responders:
                alarm.responder, alarm.offer, alarm.dispatched_at = rng.choice(responders), "accepted", at
            if name == "acknowledge":
                alarm.acknowledged_at, alarm.acknowledged_by = at, "系统"
            if name == "arrive":
                alarm.arrived_at = at
            if name in ("resolve", "resolve_by_phone"):
                alarm.resolved_at, alarm.outcome = at, outcome
            if name in ("close", "false_alarm", "test"):
                alarm.closed_at = at
                alarm.outcome = alarm.outcome or outcome
            ALARM.move(system, alarm, name, NOTES.get(name, ""), authorised=True, at=at)
        alarm.state_since = at
        alarm.save()
        made += 1
    return made
