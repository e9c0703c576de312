"""Emergency help at load: signed single-event webhooks (sequential and with concurrent senders) and the
batch endpoint, beside the raw insert of the same rows in the same run; escalation timers with many open
alarms; finding overdue heartbeats among many devices.

    python -m benchmarks.alarms --devices 100000 --events 5000
    DATABASE_URL=postgres://... python -m benchmarks.alarms --senders 8

Requests go through Django's full stack (middleware, signature check, one transaction each) in this
process, without a network hop; run it beside a server under gunicorn for end-to-end figures.
"""

import argparse
import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from .common import reset_database, setup_django


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=3000, help="single-event webhooks to send")
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders")
    parser.add_argument("--batch", type=int, default=1000, help="events per batch request")
    parser.add_argument("--open-alarms", type=int, default=1000)
    args = parser.parse_args()
    setup_django("bench_alarms")
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.utils import timezone

    from yiyang.care import services
    from yiyang.care.ingest import sign_generic
    from yiyang.care.models import Alarm, Device, DeviceEvent, EscalationPolicy, Vendor
    from yiyang.elders.models import Elder
    from yiyang.regions.models import Region

    reset_database()
    Region.objects.create(code="411002001001", name="花园社区", level=5, parent_code="411002001000")
    elder = Elder.objects.create(name="压测", id_number="411002194503080021", sex="F", birth_date="1945-03-08",
                                 region_code="411002001001", county_code="411002")  # fmt: skip
    vendor = Vendor.objects.create(code="bench", name="压测厂商", region_code="411002000000", county_code="411002",
                                   secret="bench-secret", window_seconds=3600)  # fmt: skip
    now = timezone.now()
    started = time.perf_counter()
    Device.objects.bulk_create(
        (Device(vendor=vendor, external_id=f"D{i}", kind="sos_button", elder=elder, region_code=elder.region_code,
                county_code="411002", last_heartbeat_at=now - timedelta(hours=3 if i % 50 == 0 else 0))
         for i in range(args.devices)), batch_size=5000)  # fmt: skip
    print(f"database: {connection.vendor}; {args.devices:,} devices loaded in {time.perf_counter() - started:.1f} s")

    path = f"/api/v1/care/vendors/{vendor.code}/events"

    def signed(body: bytes, at_path: str = path) -> dict:
        ts, nonce = str(int(time.time())), uuid.uuid4().hex
        return {"X-Yiyang-Timestamp": ts, "X-Yiyang-Nonce": nonce,
                "X-Yiyang-Signature": sign_generic(vendor.secret, "POST", at_path, ts, nonce, body)}  # fmt: skip

    def heartbeat(i: int) -> bytes:
        return json.dumps({"event_id": uuid.uuid4().hex, "device_id": f"D{i % args.devices}", "type": "heartbeat",
                           "occurred_at": int(time.time()), "battery": 80}).encode()  # fmt: skip

    def send(i: int) -> float:
        body = heartbeat(i)
        start = time.perf_counter()
        response = Client(HTTP_HOST="localhost").post(path, body, content_type="application/json", headers=signed(body))
        assert response.status_code == 201, response.content
        close_old_connections()
        return (time.perf_counter() - start) * 1000

    for senders in (1, args.senders):
        start = time.perf_counter()
        with ThreadPoolExecutor(senders) as pool:
            latencies = list(pool.map(send, range(args.events)))
        rate = args.events / (time.perf_counter() - start)
        print(f"single webhooks, {senders} sender(s): {rate:8.0f} events/s  median {statistics.median(latencies):6.1f} ms"
              f"  p99 {percentile(latencies, 0.99):6.1f} ms   (target ≥ 500/s, p99 < 100 ms)")  # fmt: skip

    batch_path = path + "/batch"
    total, start = 0, time.perf_counter()
    for n in range(5):
        body = json.dumps({"events": [json.loads(heartbeat(n * args.batch + i)) for i in range(args.batch)]}).encode()
        response = Client(HTTP_HOST="localhost").post(
            batch_path, body, content_type="application/json", headers=signed(body, batch_path)
        )
        assert response.status_code == 200, response.content
        total += args.batch
    print(f"batch endpoint: {total / (time.perf_counter() - start):8.0f} events/s   (target ≥ 10,000/s)")

    rows = [(vendor.pk, uuid.uuid4().hex, f"D{i}", "411002001001", "411002", "heartbeat", now, now, False, "bound", "{}")
            for i in range(total)]  # fmt: skip
    table = DeviceEvent._meta.db_table
    mark = "%s"
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (vendor_id, vendor_event_id, external_id, region_code, county_code, kind, "
            f"occurred_at, received_at, late, binding, payload) VALUES ({', '.join([mark] * 11)})",
            rows,
        )  # noqa: S608
    print(f"raw insert of the same rows: {total / (time.perf_counter() - start):8.0f} rows/s")

    EscalationPolicy.objects.create(region_code="411002000000", county_code="411002", state="new", after_seconds=60,
                                    action="escalate", level=1)  # fmt: skip
    opened = timezone.now() - timedelta(seconds=61)
    Alarm.objects.bulk_create(
        Alarm(elder=elder, region_code=elder.region_code, county_code="411002", kind="sos", source="device",
              opened_at=opened, state_since=opened, next_escalation_at=opened + timedelta(seconds=60))
        for _ in range(args.open_alarms))  # fmt: skip
    start = time.perf_counter()
    fired = services.fire_due()
    print(f"escalation: {fired} steps due among {args.open_alarms:,} open alarms fired in "
          f"{time.perf_counter() - start:.2f} s   (target: within 5 s of the deadline)")  # fmt: skip

    start = time.perf_counter()
    overdue = Device.objects.filter(status="active", last_heartbeat_at__lt=timezone.now() - timedelta(hours=2)).count()
    print(f"overdue heartbeats: {overdue:,} of {args.devices:,} devices found in "
          f"{(time.perf_counter() - start) * 1000:.0f} ms   (target < 1 s)")  # fmt: skip


if __name__ == "__main__":
    main()
