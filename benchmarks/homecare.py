"""Home-care orders under load: orders created and automatically dispatched per second through the
API by concurrent clients on loopback, against the production server; and the region statistics
beside the raw SQL.

    bash scripts/with-throwaway-postgres .venv/bin/python -m benchmarks.homecare --elderly 100000 --history 500000

(the issue's full size is --elderly 1000000 --history 5000000).
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, timedelta

from .common import reset_database, setup_django, summary, timed

COUNTY = "411002000000"
PORT = int(os.environ.get("BENCH_PORT", "8765"))


def build(elderly: int, history: int) -> tuple[str, list[int], int]:
    from django.utils import timezone

    from yiyang.accounts.services import create_token, create_user
    from yiyang.core import bulk
    from yiyang.core.audit import Actor
    from yiyang.core.roles import Role
    from yiyang.demo import generate
    from yiyang.elders import rollups
    from yiyang.elders.models import Elder
    from yiyang.homecare.models import Order, ServiceItem

    sizes = generate.Sizes(elderly=elderly, streets_per_county=6, communities_per_street=8)
    communities = generate.build_regions(sizes)
    generate.build_elders(communities, elderly)
    rollups.rebuild()
    generate.build_facilities()
    generate.build_homecare(orders_per_county=0)
    elders = list(Elder.objects.filter(county_code=COUNTY[:6], status="active").values_list("id", flat=True))
    items = list(ServiceItem.objects.filter(county_code=COUNTY[:6]).values_list("id", "price"))
    rng = random.Random(1)
    now = timezone.now()
    columns = ("elder_id", "region_code", "county_code", "item", "quantity", "status", "slot_start", "address",
               "notes", "price", "subsidy", "voucher", "self_pay", "created_at", "flags", "service_record",
               "rating_comment", "escalated", "complaint", "resolution", "confirmed_by")  # fmt: skip
    all_elders = list(Elder.objects.values_list("id", "region_code", "county_code")[:200_000])
    for start in range(0, history, 50_000):
        rows = []
        for _ in range(min(50_000, history - start)):
            elder_id, region, county = rng.choice(all_elders)
            item_id, price = rng.choice(items)
            status = rng.choice(["rated", "rated", "completed", "cancelled"])
            created = now - timedelta(days=rng.randrange(1, 700))
            rows.append((elder_id, region, county, item_id, 1, status, created + timedelta(days=1), "-", "", price, 0,
                         0, price, created, [], "", "", False, "", "", "family"))  # fmt: skip
        bulk.insert(Order, columns, rows)
    officer = create_user(
        "bench-officer", "Bench-Pass-2026", memberships=[{"role": Role.OFFICER, "region_code": COUNTY}]
    )
    _, key = create_token(Actor(user=officer), "benchmark")
    items_here = [pk for pk, _ in items]
    return key, elders, items_here[0] if items_here else 0


def serve():
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "yiyang.settings"}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "yiyang.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "4",
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip


def load(key: str, elders: list[int], item: int, clients: int, seconds: float) -> tuple[int, list[float], int]:
    """Each client books an order and asks for automatic dispatch, over and over."""
    latencies: list[float] = []
    failures = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(n):
        rng = random.Random(n)
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        from datetime import datetime

        while time.perf_counter() < stop:
            slot = datetime.now(UTC) + timedelta(days=rng.randrange(1, 300), minutes=rng.randrange(0, 1440))
            body = json.dumps({"elder_id": rng.choice(elders), "item_id": item, "slot_start": slot.isoformat()})
            start = time.perf_counter()
            connection.request("POST", "/api/v1/homecare/orders", body, headers)
            response = connection.getresponse()
            data = json.loads(response.read())
            ok = response.status == 201
            if ok:
                connection.request("POST", f"/api/v1/homecare/orders/{data['id']}/auto-dispatch", "{}", headers)
                response = connection.getresponse()
                response.read()
                ok = response.status in (200, 409)  # 409: nobody free in that slot, the order stays on the board
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies, failures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elderly", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=500_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    setup_django("bench_homecare")
    from django.contrib.auth import get_user_model
    from django.db import connection

    from yiyang.core.regioncodes import descendant_range
    from yiyang.homecare import services

    reset_database()
    start = time.perf_counter()
    key, elders, item = build(args.elderly, args.history)
    print(f"database: {connection.vendor}; {args.elderly:,} elders, {args.history:,} historical orders built in "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    connection.close()
    server = serve()
    try:
        time.sleep(4)
        done, latencies, failures = load(key, elders, item, args.clients, args.seconds)
    finally:
        server.terminate()
        server.wait()
    ordered = sorted(latencies)
    print(f"book + auto-dispatch through the API, {args.clients} clients, {args.seconds:.0f} s: "
          f"{done / args.seconds:,.0f} orders/s; latency median {statistics.median(ordered):.1f} ms, "
          f"p99 {ordered[int(0.99 * (len(ordered) - 1))]:.1f} ms; {failures} failures")  # fmt: skip

    officer = get_user_model().objects.get(username="bench-officer")
    low, high = descendant_range(COUNTY)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE status IN ('completed','rated')), "
                "COUNT(*) FILTER (WHERE status = 'cancelled'), COUNT(rating), COUNT(*) FILTER (WHERE rating >= 4), "
                "AVG(accepted_at - created_at), AVG(checked_in_at - slot_start), SUM(subsidy), SUM(voucher) "
                "FROM homecare_order WHERE region_code >= %s AND region_code <= %s",
                [low, high],
            ) if connection.vendor == "postgresql" else cursor.execute(
                "SELECT COUNT(*) FROM homecare_order WHERE region_code >= %s AND region_code <= %s", [low, high]
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT item_id, status, COUNT(*) FROM homecare_order WHERE region_code >= %s AND region_code <= %s "
                "GROUP BY 1, 2",
                [low, high],
            )
            cursor.fetchall()

    ours = timed(lambda: services.statistics(officer, COUNTY), 10)
    base = timed(raw, 10)
    print(f"region statistics (county)  ours {summary(ours)} | raw SQL {summary(base)} | "
          f"ratio {statistics.median(ours) / statistics.median(base):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
