"""Platform-to-platform sync: how fast the receiving platform applies a county's pushed elders and their
assessments (through its registries' services, batches of 500), beside a raw bulk INSERT of the same rows,
and what one batch costs the sender to read. The initial sync of a county with 100,000 elders is extrapolated
from the rate measured (target < 60 s).

    .venv/bin/python -m benchmarks.sync --elders 2000
    bash scripts/with-throwaway-postgres .venv/bin/python -m benchmarks.sync --elders 2000
"""

import argparse
import time
from datetime import date, timedelta

from .common import reset_database, setup_django

BATCH = 500


def payloads(count: int):
    from conftest import full_scores
    from yiyang.core import idnumber

    scores = full_scores(lambda item: 1)
    changes, seq = [], 0
    for i in range(count):
        birth = date(1935, 1, 1) + timedelta(days=i // 50)
        seq += 1
        changes.append({"seq": seq, "resource": "elders", "id": str(i + 1), "op": "upsert", "data": {
            "name": f"老人{i}", "id_number": idnumber.make("411002", birth, i % 50, "F"), "region_code": "411002001001",
            "phone": "13700001111", "address": "花园社区", "status": "active", "categories": 0,
        }})  # fmt: skip
        seq += 1
        changes.append({"seq": seq, "resource": "assessments", "id": str(i + 1), "op": "upsert", "data": {
            "elder_id": i + 1, "assessed_on": "2026-03-01", "reason": "first", "assessor_1": "王敏",
            "assessor_2": "李强", "scores": scores,
        }})  # fmt: skip
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elders", type=int, default=2000)
    args = parser.parse_args()
    setup_django("bench_sync")
    from django.db import connection

    from conftest import TREE
    from yiyang.accounts.services import create_user
    from yiyang.core.audit import Actor
    from yiyang.core.roles import Role
    from yiyang.elders.models import Assessment, Elder
    from yiyang.exchange import services, sync
    from yiyang.regions.models import Region

    reset_database()
    print(f"database: {connection.vendor}")
    Region.objects.bulk_create([Region(code=c, name=n, level=lvl, parent_code=p) for c, n, lvl, p in TREE])
    officer = create_user(
        "bench-city", "Pass-word-123", memberships=[{"role": Role.OFFICER, "region_code": "411000000000"}]
    )
    app, _ = services.register_app(Actor(user=officer), services.AppInput(
        name="压测县平台", kind="platform", region="411002000000", write_resources=("sync",), rate_per_minute=6000,
    ))  # fmt: skip
    changes = payloads(args.elders)

    started = time.perf_counter()
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        sync.receive(app, batch, through=batch[-1]["seq"], head=len(changes), pending=len(changes) - start)
    applied = time.perf_counter() - started
    assert Elder.objects.count() == args.elders and Assessment.objects.count() == args.elders
    rate = args.elders / applied
    print(f"applied {args.elders} elders and {args.elders} assessments in {applied:.1f} s: {rate:.0f} elders/s")
    print(f"initial sync of 100,000 elders at that rate: {100_000 / rate:.0f} s   (target < 60 s)")

    again = time.perf_counter()
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        sync.receive(app, batch, through=batch[-1]["seq"], head=len(changes), pending=0)
    print(f"the same pushes again (all skipped): {time.perf_counter() - again:.2f} s")

    # Raw baseline: the same elder rows copied with one bulk INSERT each 500 (no validation, audit, rollups).
    rows = list(Elder.objects.values())
    Assessment.objects.all().delete()
    Elder.objects.all().delete()
    raw = time.perf_counter()
    Elder.objects.bulk_create([Elder(**{k: v for k, v in r.items() if k != "id"}) for r in rows], batch_size=BATCH)
    raw_seconds = time.perf_counter() - raw
    print(f"raw bulk INSERT of the {args.elders} elder rows: {raw_seconds:.2f} s   ratio {applied / raw_seconds:.0f}")


if __name__ == "__main__":
    main()
