"""The notifier: one interface, pluggable backends (DESIGN.md §1). Every attempt is a `Notification`
row with its result; a backend that fails or raises never blocks the alarm.

Settings:

    CARE_NOTIFIER = {"BACKEND": "yiyang.care.notify.LoggingBackend"}            # the default
    CARE_NOTIFIER = {"BACKEND": "yiyang.care.notify.HttpSmsBackend",
                     "URL": "https://sms.example.gov.cn/send", "TOKEN": "...", "TIMEOUT": 5}

The HTTP SMS backend posts `{"to": number, "text": message}` as JSON with `Authorization: Bearer TOKEN`
and counts any 2xx as sent. Messages are sent after the alarm's transaction commits, so a slow gateway
holds no lock.
"""

import json
import logging
import urllib.request
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Alarm, Notification, NotificationStatus

log = logging.getLogger("yiyang.care.notify")


class NotifyFailed(Exception):
    pass


class LoggingBackend:
    """Writes the message to the log: the demo and the tests."""

    channel = "log"

    def __init__(self, **options):
        self.options = options

    def send(self, address: str, message: str) -> None:
        log.info("notify %s: %s", address or "-", message)


class HttpSmsBackend:
    """An SMS gateway over HTTP (each province's differs; this is the common JSON shape)."""

    channel = "sms"

    def __init__(self, URL: str = "", TOKEN: str = "", TIMEOUT: float = 5, **options):
        self.url, self.token, self.timeout = URL, TOKEN, TIMEOUT

    def send(self, address: str, message: str) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise NotifyFailed("短信网关地址未配置")
        if not address:
            raise NotifyFailed("没有手机号码")
        body = json.dumps({"to": address, "text": message}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
            if not 200 <= response.status < 300:
                raise NotifyFailed(f"网关返回 {response.status}")


@cache
def _backend_for(path: str, options: str):
    return import_string(path)(**json.loads(options))


def backend():
    config = dict(getattr(settings, "CARE_NOTIFIER", {}) or {})
    path = config.pop("BACKEND", "yiyang.care.notify.LoggingBackend")
    return _backend_for(path, json.dumps(config, sort_keys=True))


def queue(alarm: Alarm, recipient: str, address: str, message: str) -> Notification:
    """Record an attempt inside the caller's transaction and send it once that commits."""
    sender = backend()
    note = Notification.objects.create(
        alarm=alarm, region_code=alarm.region_code, county_code=alarm.county_code, channel=sender.channel,
        recipient=recipient[:100], address=address[:64], message=message[:500],
    )  # fmt: skip
    transaction.on_commit(lambda: deliver(note.pk))
    return note


def deliver(notification_id: int) -> None:
    """Send one recorded attempt and write down what happened; never raises."""
    note = Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).first()
    if note is None:
        return
    try:
        backend().send(note.address, note.message)
    except Exception as exc:  # noqa: BLE001 (any failure of a gateway is recorded, never raised)
        note.status, note.error = NotificationStatus.FAILED, str(exc)[:300] or type(exc).__name__
    else:
        note.status = NotificationStatus.SENT
    note.attempted_at = timezone.now()
    note.save(update_fields=["status", "error", "attempted_at"])
