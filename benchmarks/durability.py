"""The durability check of the vendor webhooks: senders post signed events to a real server (gunicorn, over
HTTP) while the server is killed with SIGKILL and started again, several times. Afterwards every event that
got a 2xx answer must be in the database, and none twice; events sent when the server was down, or whose
answer was cut off, may be stored or not, but a sender's retry of one of them must never store it twice.

    python -m benchmarks.durability --kills 3 --senders 4
    DATABASE_URL=postgres://... python -m benchmarks.durability

Uses var/bench_durability.sqlite3 unless DATABASE_URL names another database.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from .common import reset_database, setup_django

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "yiyang.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "yiyang.settings"}, start_new_session=True,
    )  # fmt: skip
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/care/vendors/bench/ping", timeout=1)  # noqa: S310
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def kill_hard(server: subprocess.Popen) -> None:
    """SIGKILL the master and its workers at once: no graceful shutdown, no finished requests."""
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--seconds-between", type=float, default=3.0, help="sending time between two kills")
    args = parser.parse_args()
    setup_django("bench_durability")
    from yiyang.care.ingest import sign_generic
    from yiyang.care.models import Device, DeviceEvent, Vendor
    from yiyang.elders.models import Elder
    from yiyang.regions.models import Region

    reset_database()
    Region.objects.create(code="411002001001", name="花园社区", level=5, parent_code="411002001000")
    elder = Elder.objects.create(name="压测", id_number="411002194503080021", sex="F", birth_date="1945-03-08",
                                 region_code="411002001001", county_code="411002")  # fmt: skip
    vendor = Vendor.objects.create(code="bench", name="压测厂商", region_code="411002000000", county_code="411002",
                                   secret="bench-secret", window_seconds=3600)  # fmt: skip
    Device.objects.create(vendor=vendor, external_id="D1", kind="watch", elder=elder, region_code=elder.region_code,
                          county_code="411002")  # fmt: skip
    port = free_port()
    path = f"/api/v1/care/vendors/{vendor.code}/events"
    acknowledged: list[str] = []
    sent = {"tries": 0, "failed": 0, "retried": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def post(event_id: str) -> int | None:
        body = json.dumps({"event_id": event_id, "device_id": "D1", "type": "position", "occurred_at": int(time.time()),
                           "data": {"lat": 34.03, "lng": 113.85}}).encode()  # fmt: skip
        ts, nonce = str(int(time.time())), uuid.uuid4().hex
        headers = {"Content-Type": "application/json", "X-Yiyang-Timestamp": ts, "X-Yiyang-Nonce": nonce,
                   "X-Yiyang-Signature": sign_generic(vendor.secret, "POST", path, ts, nonce, body)}  # fmt: skip
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (the local server)
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, ConnectionError, OSError):
            return None

    def sender() -> None:
        pending = None  # an event whose answer was lost is sent again, as vendor clouds retry
        while not stop.is_set():
            event_id = pending or uuid.uuid4().hex
            status = post(event_id)
            with lock:
                sent["tries"] += 1
                sent["retried"] += pending is not None
                if status is not None and 200 <= status < 300:
                    acknowledged.append(event_id)
                    pending = None
                else:
                    sent["failed"] += 1
                    pending = event_id
            if status is None:
                time.sleep(0.05)

    server = start_server(port)
    threads = [threading.Thread(target=sender, daemon=True) for _ in range(args.senders)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    for _ in range(args.kills):
        time.sleep(args.seconds_between)
        kill_hard(server)
        time.sleep(0.5)
        server = start_server(port)
    time.sleep(args.seconds_between)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()

    stored = list(DeviceEvent.objects.filter(vendor=vendor).values_list("vendor_event_id", flat=True))
    stored_set = set(stored)
    lost = [e for e in acknowledged if e not in stored_set]
    doubled = len(stored) - len(stored_set)
    print(
        f"database: {os.environ['DATABASE_URL'].split(':')[0]}; {args.kills} SIGKILLs in {elapsed:.1f} s, "
        f"{args.senders} senders"
    )
    print(
        f"requests {sent['tries']:,}, acknowledged {len(acknowledged):,}, failed or cut off {sent['failed']:,} "
        f"(retried {sent['retried']:,}); stored {len(stored):,}"
    )
    print(
        f"acknowledged but not stored: {len(lost)}; stored twice: {doubled}; "
        f"acknowledged twice: {len(acknowledged) - len(set(acknowledged))}"
    )
    if lost or doubled:
        raise SystemExit("durability check FAILED")
    print("durability check passed")


if __name__ == "__main__":
    main()
