"""Post signed events to a running platform the way vendor clouds do: heartbeats from many devices and,
every few seconds, an SOS press, a fall or a smoke alarm, so that alarms arrive live on the console."""

import json
import random
import time
import urllib.error
import urllib.request
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiyang.care.ingest import sign_generic, sign_watch
from yiyang.care.models import AdapterKind, Device, Vendor

ALARMS = {"sos_button": "sos", "pull_cord": "sos", "radar": "fall", "smoke": "smoke", "gas": "gas",
          "water_leak": "water_leak", "watch": "sos"}  # fmt: skip


class Command(BaseCommand):
    help = "模拟设备厂商平台向运行中的平台推送签名事件（心跳与报警），演示报警实时到达坐席"

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="平台地址")
        parser.add_argument("--alarm-every", type=float, default=20, help="每隔多少秒发一次报警")
        parser.add_argument("--heartbeats", type=int, default=5, help="每秒心跳条数")
        parser.add_argument("--count", type=int, default=0, help="发出多少次报警后停止（0 = 一直运行）")
        parser.add_argument("--kind", default="", help="只模拟该类设备的报警，如 sos_button、smoke")

    def handle(self, *args, **options):
        devices = list(Device.objects.filter(vendor__is_active=True).select_related("vendor")[:2000])
        if not devices:
            raise CommandError("没有已登记的设备：先运行 manage.py demo")
        alarmable = [d for d in devices if d.kind in ALARMS and (not options["kind"] or d.kind == options["kind"])]
        rng = random.Random()
        sent = alarms = 0
        next_alarm = time.monotonic() + 1
        self.stdout.write(f"向 {options['url']} 推送事件；Ctrl+C 停止")
        try:
            while True:
                for device in rng.sample(devices, min(options["heartbeats"], len(devices))):
                    self.post(options["url"], device, "heartbeat", rng)
                    sent += 1
                if alarmable and time.monotonic() >= next_alarm:
                    device = rng.choice(alarmable)
                    status = self.post(options["url"], device, ALARMS[device.kind], rng)
                    alarms += 1
                    self.stdout.write(f"报警：{device.elder_id} 号老人的{device.get_kind_display()} → HTTP {status}")
                    next_alarm = time.monotonic() + options["alarm_every"]
                    if options["count"] and alarms >= options["count"]:
                        break
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"共发出 {sent} 条心跳、{alarms} 次报警")

    def post(self, base: str, device: Device, kind: str, rng) -> int:
        vendor: Vendor = device.vendor
        now = timezone.now()
        battery = rng.randint(10, 100)
        if vendor.adapter == AdapterKind.WATCH_CLOUD:
            flag = {"heartbeat": "LK"}.get(kind, "AL")
            body = {"deviceId": device.external_id, "uid": device.pk, "flag": flag,
                    "data": {"time": int(now.timestamp()), "battery": battery, "nonce": uuid.uuid4().hex[:8]}}  # fmt: skip
            path = f"/api/v1/care/vendors/{vendor.code}/notify"
            raw = json.dumps(body).encode()
            headers = {"sign": sign_watch(vendor.secret_id, vendor.secret, time.time())}
        else:
            body = {"event_id": uuid.uuid4().hex, "device_id": device.external_id, "type": kind,
                    "occurred_at": now.isoformat(), "battery": battery}  # fmt: skip
            path = f"/api/v1/care/vendors/{vendor.code}/events"
            raw = json.dumps(body).encode()
            ts, nonce = str(int(time.time())), uuid.uuid4().hex
            headers = {"X-Yiyang-Timestamp": ts, "X-Yiyang-Nonce": nonce,
                       "X-Yiyang-Signature": sign_generic(vendor.secret, "POST", path, ts, nonce, raw)}  # fmt: skip
        request = urllib.request.Request(base.rstrip("/") + path, data=raw, method="POST",  # noqa: S310 (the operator's own URL)
                                         headers={"Content-Type": "application/json", **headers})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except urllib.error.URLError as exc:
            raise CommandError(f"无法连接 {base}：{exc.reason}") from None
