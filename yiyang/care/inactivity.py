"""Alarms from silence: an elder living alone whose motion sensor saw no one for hours in the daytime,
whose door was not opened, or who used almost no water. Checked by the device sweep (every ten minutes,
tasks.sweep_devices), against the rules of `InactivityRule`.

- Only working devices count: an offline or faulty sensor is a maintenance matter (a ticket), never a
  reason to call an elder; a sensor newer than the rule's hours has not watched long enough.
- Only inside the rule's daily window: the night is quiet (no one walks past a sensor while asleep).
- Once per silence: after an inactivity alarm for the elder opened within the rule's hours, no second one
  opens until there has been activity again or another full window of silence has passed.
"""

from collections import defaultdict
from datetime import time as clock
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import ancestors, county_of, region_range_q
from yiyang.core.scoping import get_for_action
from yiyang.elders.models import Elder
from yiyang.regions.services import requested_region

from . import services
from .models import (
    OPEN_STATES,
    SIGNAL_DEVICES,
    SIGNAL_EVENTS,
    Alarm,
    AlarmKind,
    AlarmSource,
    Device,
    DeviceEvent,
    DeviceStatus,
    InactivityRule,
    InactivitySignal,
)


def in_window(rule: InactivityRule, local_time) -> bool:
    if rule.day_start <= rule.day_end:
        return rule.day_start <= local_time <= rule.day_end
    return local_time >= rule.day_start or local_time <= rule.day_end  # a window across midnight


def rule_for(region_code: str, elder_id: int, signal: str, regional: dict, own: dict) -> InactivityRule | None:
    """The elder's own rule for the signal, else the rule of the deepest region above the elder's home."""
    if (elder_id, signal) in own:
        return own[(elder_id, signal)]
    for code in [region_code, *reversed(ancestors(region_code))]:
        if (code, signal) in regional:
            return regional[(code, signal)]
    return None


def litres(event_payload: dict) -> float:
    """The volume a water meter's reading reports since its previous reading (`data.litres`)."""
    data = event_payload.get("data") if isinstance(event_payload, dict) else None
    value = data.get("litres") if isinstance(data, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else 0.0


def check(now=None) -> list[Alarm]:
    """Open an inactivity alarm for each elder whose applicable rule finds silence now."""
    now = now or timezone.now()
    rules = list(InactivityRule.objects.filter(is_active=True))
    if not rules:
        return []
    regional = {(r.region_code, r.signal): r for r in rules if r.elder_id is None}
    own = {(r.elder_id, r.signal): r for r in rules if r.elder_id is not None}
    local_time = timezone.localtime(now).time()
    longest = timedelta(hours=max(r.hours for r in rules))
    opened = []
    for signal in InactivitySignal.values:
        devices = list(
            Device.objects.filter(kind__in=SIGNAL_DEVICES[signal], status=DeviceStatus.ACTIVE)
            .select_related("vendor")
            .order_by("elder_id", "id")
        )
        by_elder = defaultdict(list)
        for device in devices:
            by_elder[device.elder_id].append(device)
        events = DeviceEvent.objects.filter(device__in=devices, kind__in=SIGNAL_EVENTS[signal], late=False,
                                            occurred_at__gte=now - longest, occurred_at__lte=now)  # fmt: skip
        if signal == InactivitySignal.WATER:
            readings = defaultdict(list)
            for elder_id, at, payload in events.values_list("device__elder_id", "occurred_at", "payload"):
                readings[elder_id].append((at, litres(payload)))
        else:
            last = dict(events.values("device__elder_id").annotate(last=Max("occurred_at"))
                        .values_list("device__elder_id", "last"))  # fmt: skip
        for elder_id, watching in by_elder.items():
            device = watching[0]
            rule = rule_for(device.region_code, elder_id, signal, regional, own)
            if rule is None or not in_window(rule, local_time):
                continue
            since = now - timedelta(hours=rule.hours)
            if min(d.created_at for d in watching) > since:
                continue  # not watched for long enough
            if signal == InactivitySignal.WATER:
                used = sum(volume for at, volume in readings.get(elder_id, ()) if at >= since)
                silent = used < (rule.min_litres or 0)
                observed = f"近 {rule.hours} 小时用水 {used:g} 升，低于 {rule.min_litres:g} 升"
            else:
                seen = last.get(elder_id)
                silent = seen is None or seen < since
                observed = f"近 {rule.hours} 小时{'未检测到活动' if signal == InactivitySignal.MOTION else '门未开启'}"
            if silent and (alarm := _open(device, rule, since, observed, now)) is not None:
                opened.append(alarm)
    return opened


def _open(device: Device, rule: InactivityRule, since, observed: str, now) -> Alarm | None:
    with transaction.atomic():
        recent = Alarm.objects.select_for_update().filter(elder_id=device.elder_id, kind=AlarmKind.INACTIVITY)
        if recent.filter(state__in=OPEN_STATES).exists() or recent.filter(opened_at__gte=since).exists():
            return None
        alarm = Alarm.objects.create(
            elder_id=device.elder_id, device=device, region_code=device.region_code, county_code=device.county_code,
            kind=AlarmKind.INACTIVITY, source=AlarmSource.DEVICE, opened_at=now, state_since=now,
            last_signal_at=now, summary=f"{observed}（{rule.get_signal_display()}）",
        )  # fmt: skip
        services.record_opening(Actor.system(), alarm, f"无活动规则：{observed}", now)
    return alarm


# --- Keeping the rules ---------------------------------------------------------------------------------


def _hour_minute(value, field: str, errors: dict):
    if isinstance(value, clock):
        return value
    try:
        hour, minute = str(value or "").strip().split(":")[:2]
        return clock(int(hour), int(minute))
    except (TypeError, ValueError):
        errors[field] = "应为“时:分”，如 07:00"
        return None


CHANGE = "care.change_inactivityrule"


def save_rule(actor: Actor, data: dict) -> InactivityRule:
    """Create or replace the rule of a region (or of one elder) for a signal; checked, audited."""
    errors: dict[str, str] = {}
    elder = None
    if data.get("elder_id"):
        elder = get_for_action(Elder.objects, actor.user, CHANGE, pk=data["elder_id"])
        region = elder.region_code
    else:
        region = requested_region(actor.user, data.get("region_code"), field="region_code", default=None,
                                  action=CHANGE)  # fmt: skip
    signal = data.get("signal")
    if signal not in InactivitySignal.values:
        errors["signal"] = "应为 " + "、".join(f"{v}（{label}）" for v, label in InactivitySignal.choices)
    hours = data.get("hours")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 72:
        errors["hours"] = "应为 1 至 72 之间的整数（小时）"
    min_litres = data.get("min_litres")
    if signal == InactivitySignal.WATER:
        if not isinstance(min_litres, int | float) or isinstance(min_litres, bool) or not 0 < min_litres <= 10000:
            errors["min_litres"] = "用水规则须填写最少用水量（升，大于 0）"
    else:
        min_litres = None
    day_start = _hour_minute(data.get("day_start", "07:00"), "day_start", errors)
    day_end = _hour_minute(data.get("day_end", "21:00"), "day_end", errors)
    if day_start is not None and day_start == day_end:
        errors["day_end"] = "检查结束时间不能与开始时间相同"
    if errors:
        raise FieldErrors(errors)
    values = {"hours": hours, "min_litres": min_litres, "day_start": day_start, "day_end": day_end,
              "is_active": data.get("is_active", True) is not False, "updated_at": timezone.now(),
              "county_code": county_of(region), "region_code": region}  # fmt: skip
    with transaction.atomic():
        if elder is not None:
            rule, created = InactivityRule.objects.update_or_create(elder=elder, signal=signal, defaults=values)
        else:
            rule, created = InactivityRule.objects.update_or_create(region_code=region, signal=signal,
                                                                    elder__isnull=True, defaults=values)  # fmt: skip
        audit.record(actor, AuditAction.CREATE if created else AuditAction.UPDATE, rule,
                     changes={k: str(v) for k, v in values.items() if k != "updated_at"})  # fmt: skip
    return rule


def delete_rule(actor: Actor, rule_id: int) -> None:
    with transaction.atomic():
        rule = get_for_action(InactivityRule.objects, actor.user, CHANGE, lock=True, pk=rule_id)
        audit.record(actor, AuditAction.DELETE, rule)
        rule.delete()


def rules_of(user, region_code: str):
    """The rules kept within a region (its own, its sub-regions' and its elders'), as the user may see them."""
    return (InactivityRule.objects.visible_to(user, "care.view_inactivityrule")
            .filter(region_range_q("region_code", region_code)).select_related("elder"))  # fmt: skip
