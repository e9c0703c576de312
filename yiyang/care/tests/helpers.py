import json
import time
import uuid

from django.test import Client

from yiyang.care.ingest import sign_generic, sign_watch


def post_signed(vendor, body, *, path=None, nonce=None, timestamp=None, secret=None, client=None):
    path = path or f"/api/v1/care/vendors/{vendor.code}/events"
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    ts = str(int(time.time())) if timestamp is None else str(timestamp)
    nonce = nonce or uuid.uuid4().hex
    sig = sign_generic(secret or vendor.secret, "POST", path, ts, nonce, raw)
    return (client or Client()).post(path, raw, content_type="application/json", headers={
        "X-Yiyang-Timestamp": ts, "X-Yiyang-Nonce": nonce, "X-Yiyang-Signature": sig})  # fmt: skip


def event(event_id="e1", device_id="BTN-1", kind="sos", occurred_at=None, **extra):
    from django.utils import timezone

    return {"event_id": event_id, "device_id": device_id, "type": kind,
            "occurred_at": (occurred_at or timezone.now()).isoformat(), **extra}  # fmt: skip


def post_watch(vendor, body, *, unix=None):
    sign = sign_watch(vendor.secret_id, vendor.secret, time.time() if unix is None else unix)
    return Client().post(f"/api/v1/care/vendors/{vendor.code}/notify", json.dumps(body),
                         content_type="application/json", headers={"sign": sign})  # fmt: skip
