"""Events from vendor clouds: signatures, payload shapes and storing each event once.

Two adapters (docs/care.md):
- `generic`: the platform's signed JSON. Headers `X-Yiyang-Timestamp` (unix seconds), `X-Yiyang-Nonce`
  (8–64 characters) and `X-Yiyang-Signature`: hex HMAC-SHA256 with the vendor's secret over
  `METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n BODY`. A timestamp outside the vendor's window, a nonce
  seen before, or a wrong signature is refused with 401 and the reason, and counted on the vendor.
- `watch_cloud`: the common 4G-watch cloud push `{deviceId, uid, flag, data}` signed with
  `md5(secretId + secretKey + floor(unixtime / 10))` in the `sign` header, query or body field: a
  10-second window (the previous window is accepted too, for a request sent at its edge).

Storing: one transaction per request; the answer (2xx) is given only after it commits. A known vendor
event id answers 200 and changes nothing (the same id with another body is a 409); an unknown device's
event is kept for binding (202); heartbeats, test signals and positions update the device and never
open alarms; an event that happened long before it arrived, or before the device's last signal, is
stored flagged `late` and never opens an alarm.
"""

import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yiyang.core import signing
from yiyang.core.errors import Conflict, DomainError, FieldErrors

from . import services
from .models import ALARM_EVENTS, BindingState, Device, DeviceEvent, DeviceStatus, EventKind, Vendor, VendorNonce

MAX_BATCH = 1000
# The generic format's event types: the platform's event kinds, plus a few vendor spellings.
ALIASES = {"alarm": EventKind.SOS, "press": EventKind.SOS, "hb": EventKind.HEARTBEAT, "rp": EventKind.TEST}
# The watch cloud's flags (tianshuapp/watch_api): AL alarm, UD position, UD2 backfilled positions, LK heartbeat.
WATCH_FLAGS = {"AL": EventKind.SOS, "UD": EventKind.POSITION, "UD2": EventKind.POSITION, "LK": EventKind.HEARTBEAT,
               "blood": EventKind.READING, "oxygen": EventKind.READING, "temp": EventKind.READING}  # fmt: skip
# Events that count as the device being alive.
ALIVE = {EventKind.HEARTBEAT, EventKind.TEST, EventKind.POSITION, EventKind.READING}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


@dataclass
class Parsed:
    event_id: str
    device_id: str
    kind: str
    occurred_at: datetime
    battery: int | None
    payload: dict
    backfilled: bool = False


# --- Signatures ------------------------------------------------------------------------------------


def _refuse(vendor: Vendor, counter: str, reason: str, message: str):
    # Counted outside the request's transaction: the refusal itself stores nothing else.
    Vendor.objects.filter(pk=vendor.pk).update(**{counter: F(counter) + 1})
    raise Unauthorized(message, {"signature": reason}, code=reason)


def sign_generic(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    # The vendors' variant of the one signing scheme signs the raw body (core/signing.py).
    return signing.sign(secret, method, path, timestamp, nonce, body, hash_body=False)


# The reasons of core's signature check, as the vendor answers and counters have always named them.
_REFUSALS = {
    "missing": ("refused_signature", "missing_signature",
                "缺少签名：需要 X-Yiyang-Timestamp、X-Yiyang-Nonce 和 X-Yiyang-Signature"),
    "timestamp": ("refused_stale", "stale_timestamp", "时间戳超出 {window} 秒的有效期"),
    "nonce": ("refused_signature", "bad_nonce", "随机串应为 8 到 64 个字符"),
    "signature": ("refused_signature", "bad_signature", "签名错误"),
}  # fmt: skip


def check_generic(vendor: Vendor, method: str, path: str, headers, body: bytes, now: float | None = None) -> str:
    """Check the signature and the timestamp; return the nonce (recorded when the events are stored)."""
    nonce = headers.get("X-Yiyang-Nonce", "")
    try:
        signing.check(
            [vendor.secret], method, path, headers.get("X-Yiyang-Timestamp", ""), nonce,
            headers.get("X-Yiyang-Signature", ""), body,
            window_seconds=vendor.window_seconds, hash_body=False, now=now,
        )  # fmt: skip
    except signing.Refusal as refusal:
        counter, reason, text = _REFUSALS[refusal.reason]
        _refuse(vendor, counter, reason, text.format(window=vendor.window_seconds))
    return nonce


def sign_watch(secret_id: str, secret: str, unix: float) -> str:
    return hashlib.md5(f"{secret_id}{secret}{math.floor(unix / 10)}".encode()).hexdigest()  # noqa: S324 (the vendor's scheme)


def check_watch(vendor: Vendor, sign: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if not sign:
        _refuse(vendor, "refused_signature", "missing_signature", "缺少签名 sign")
    windows = {sign_watch(vendor.secret_id, vendor.secret, now - back) for back in (0, 10)}
    if not any(hmac.compare_digest(w, sign.lower()) for w in windows):
        # A signature of an older window is stale; anything else is wrong.
        older = {sign_watch(vendor.secret_id, vendor.secret, now - back) for back in range(20, 3600, 10)}
        if sign.lower() in older:
            _refuse(vendor, "refused_stale", "stale_timestamp", "签名已过期（10 秒时间窗）")
        _refuse(vendor, "refused_signature", "bad_signature", "签名错误")


def _use_nonce(vendor: Vendor, nonce: str) -> None:
    try:
        signing.claim_nonce(VendorNonce, vendor=vendor, nonce=nonce)
    except signing.Replayed:
        raise _Replayed from None


class _Replayed(Exception):
    pass


def forget_nonces(now=None) -> int:
    """Nonces older than twice the longest window can no longer pass the timestamp check."""
    now = now or timezone.now()
    return VendorNonce.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()[0]


# --- Payloads --------------------------------------------------------------------------------------


def _when(value, field: str, errors: dict):
    if isinstance(value, bool) or value in (None, ""):
        errors[field] = "必填：事件发生时间（ISO 8601 或 Unix 秒）"
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            errors[field] = "时间超出范围"
            return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        errors[field] = "应为 ISO 8601 时间，如 2026-01-05T08:30:00+08:00"
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _text(item: dict, name: str, field: str, errors: dict, limit: int) -> str:
    value = item.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errors[field] = "必填"
        return ""
    if len(value.strip()) > limit:
        errors[field] = f"不超过 {limit} 个字符"
    return value.strip()


def _battery(value, field: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        errors[field] = "电量应为 0 到 100 的数字"
        return None
    return int(value)


def parse_generic(item, prefix: str = "") -> Parsed:
    """One event of the generic format, or a 422 naming each wrong field."""
    if not isinstance(item, dict):
        raise FieldErrors({prefix.rstrip(".") or "__all__": "应为 JSON 对象"})
    errors: dict[str, str] = {}
    event_id = _text(item, "event_id", f"{prefix}event_id", errors, 80)
    device_id = _text(item, "device_id", f"{prefix}device_id", errors, 64)
    raw_kind = item.get("type")
    kind = ALIASES.get(str(raw_kind).lower(), raw_kind) if isinstance(raw_kind, str) else None
    if kind not in EventKind.values:
        errors[f"{prefix}type"] = f"不是可选的事件类型：{'、'.join(EventKind.values)}"
    occurred = _when(item.get("occurred_at"), f"{prefix}occurred_at", errors)
    battery = _battery(item.get("battery"), f"{prefix}battery", errors)
    if "data" in item and not isinstance(item["data"], dict):
        errors[f"{prefix}data"] = "应为 JSON 对象"
    if errors:
        raise FieldErrors(errors)
    return Parsed(event_id, device_id, kind, occurred, battery, item)


def parse_watch(body) -> list[Parsed]:
    """The watch cloud's push; a UD2 carries positions backfilled after a blind spot (late)."""
    if not isinstance(body, dict):
        raise FieldErrors({"__all__": "应为 JSON 对象"})
    errors: dict[str, str] = {}
    device_id = _text(body, "deviceId", "deviceId", errors, 64)
    flag = body.get("flag")
    if flag not in WATCH_FLAGS:
        errors["flag"] = f"不是可识别的 flag：{'、'.join(WATCH_FLAGS)}"
    data = body.get("data", {})
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(d, dict) for d in items):
        errors["data"] = "应为 JSON 对象或对象数组"
    if errors:
        raise FieldErrors(errors)
    found = []
    for index, d in enumerate(items):
        where = f"data.{index}." if isinstance(data, list) else "data."
        occurred = _when(d.get("time") or d.get("timestamp"), f"{where}time", errors)
        battery = _battery(d.get("battery"), f"{where}battery", errors)
        if errors:
            raise FieldErrors(errors)
        canonical = json.dumps([device_id, flag, d], sort_keys=True, ensure_ascii=False)
        event_id = hashlib.sha256(canonical.encode()).hexdigest()[:40]
        found.append(Parsed(event_id, device_id, WATCH_FLAGS[flag], occurred, battery,
                            {"flag": flag, "uid": body.get("uid"), "data": d}, backfilled=flag == "UD2"))  # fmt: skip
    return found


# --- Storing ---------------------------------------------------------------------------------------


@dataclass
class Stored:
    status: str  # stored, duplicate, unbound
    event: DeviceEvent
    alarm_id: int | None = None


def store(vendor: Vendor, events: list[Parsed], nonce: str = "", now=None) -> list[Stored]:
    """Store the events of one request in one transaction (a batch is all or nothing)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            if nonce:
                _use_nonce(vendor, nonce)
            # Two queries for the whole request instead of two per event.
            known = {e.vendor_event_id: e for e in DeviceEvent.objects.filter(
                vendor=vendor, vendor_event_id__in=[p.event_id for p in events])}  # fmt: skip
            devices = {d.external_id: d for d in Device.objects.select_related("vendor").filter(
                vendor=vendor, external_id__in={p.device_id for p in events})}  # fmt: skip
            return [_store_one(vendor, parsed, now, known, devices) for parsed in events]
    except _Replayed:
        # Counted once the request's transaction is gone: the refusal stores nothing else.
        _refuse(vendor, "refused_replay", "replayed_nonce", "随机串已使用过（重放的请求）")


def _store_one(vendor: Vendor, parsed: Parsed, now, seen: dict, devices: dict) -> Stored:
    known = seen.get(parsed.event_id)
    if known is not None:
        if known.payload != parsed.payload:
            raise Conflict("该事件编号已用于另一条不同的事件", {"event_id": parsed.event_id}, code="event_id_conflict")
        return Stored("duplicate", known, known.alarm_id)
    device = devices.get(parsed.device_id)
    event = DeviceEvent(
        vendor=vendor, vendor_event_id=parsed.event_id, external_id=parsed.device_id, kind=parsed.kind,
        occurred_at=parsed.occurred_at, received_at=now, payload=parsed.payload,
    )  # fmt: skip
    if device is None:
        event.binding = BindingState.WAITING
        event.region_code, event.county_code = vendor.region_code, vendor.county_code or vendor.region_code[:6]
        if not _insert(event):
            return _raced(vendor, parsed)
        seen[parsed.event_id] = event
        return Stored("unbound", event)
    event.device, event.region_code, event.county_code = device, device.region_code, device.county_code
    event.late = (
        parsed.backfilled
        or (now - parsed.occurred_at).total_seconds() > vendor.late_seconds
        or bool(
            device.last_event_at and parsed.occurred_at < device.last_event_at - timedelta(seconds=vendor.late_seconds)
        )
    )
    if not _insert(event):
        return _raced(vendor, parsed)
    seen[parsed.event_id] = event
    _update_device(device, parsed, event.late, now)
    if parsed.kind in ALARM_EVENTS:
        alarm = _alarm_for(event, device, now)
        if alarm is not None:
            event.alarm = alarm
            event.save(update_fields=["alarm"])
    return Stored("stored", event, event.alarm_id)


def _insert(event: DeviceEvent) -> bool:
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        return False
    return True


def _raced(vendor: Vendor, parsed: Parsed) -> Stored:
    """A concurrent delivery of the same event won the race: this one is the duplicate."""
    known = DeviceEvent.objects.filter(vendor=vendor, vendor_event_id=parsed.event_id).first()
    if known is None:
        raise Conflict("该事件正在被另一请求写入，请稍后重试", {"event_id": parsed.event_id}, code="retry")
    return Stored("duplicate", known, known.alarm_id)


def _update_device(device: Device, parsed: Parsed, late: bool, now) -> None:
    fields = []
    if not late:
        if device.last_event_at is None or parsed.occurred_at > device.last_event_at:
            device.last_event_at = parsed.occurred_at
            fields.append("last_event_at")
        if parsed.battery is not None:
            device.battery = parsed.battery
            fields.append("battery")
    if parsed.kind in ALIVE and not late:
        device.last_heartbeat_at = max(filter(None, (device.last_heartbeat_at, parsed.occurred_at)))
        fields.append("last_heartbeat_at")
    if parsed.kind == EventKind.LOW_BATTERY and parsed.battery is None:
        device.battery = min(device.battery or Device.LOW_BATTERY - 1, Device.LOW_BATTERY - 1)
        fields.append("battery")
    if device.status == DeviceStatus.OFFLINE and not late:
        device.status = DeviceStatus.ACTIVE
        fields.append("status")
    if fields:
        device.save(update_fields=sorted(set(fields)))


def _alarm_for(event: DeviceEvent, device: Device, now):
    """A fresh alarm event opens or joins an alarm; a late one joins an open alarm of the elder only as
    a note, and never opens one."""
    if not event.late:
        return services.open_from_event(event, device, now)
    return services.note_late(event, device, now)
