"""Visits under load (issue 16): a visitor's download of 500 assigned elders (target < 1 s); an upload of
1,000 queued visits sent twice (target < 10 s, no duplicates); the province's monthly visit rate over
many targets, beside the raw GROUP BY.

    .venv/bin/python -m benchmarks.visits --targets 100000
    bash scripts/with-throwaway-postgres .venv/bin/python -m benchmarks.visits --targets 1000000
"""

import argparse
import json
import random
import time
import uuid
from datetime import timedelta

from .common import reset_database, setup_django, summary, timed

COUNTY = "411002000000"


def build(targets: int):
    from django.db import transaction
    from django.utils import timezone

    from yiyang.accounts.services import create_user
    from yiyang.core.audit import Actor
    from yiyang.core.roles import Role
    from yiyang.core.scoping import SYSTEM_READER
    from yiyang.demo import generate
    from yiyang.elders.models import Elder
    from yiyang.visits import services
    from yiyang.visits.choices import Tier, VisitorKind
    from yiyang.visits.models import AssignmentChange, Visitor, VisitTarget

    sizes = generate.Sizes(elderly=targets, streets_per_county=6, communities_per_street=8)
    communities = generate.build_regions(sizes)
    generate.build_elders(communities, max(targets, 500))
    actor = Actor(user=SYSTEM_READER)
    worker = create_user("bench-grid", "Pass-word-123",
                         memberships=[{"role": Role.COMMUNITY_WORKER, "region_code": COUNTY}])  # fmt: skip
    visitor = services.register_visitor(actor, {"kind": VisitorKind.GRID_WORKER, "name": "压测网格员",
                                                "region_code": COUNTY, "user": worker, "capacity": 1000})  # fmt: skip
    other = Visitor.objects.create(kind=VisitorKind.VOLUNTEER, name="其他", region_code=COUNTY[:2].ljust(12, "0"),
                                   county_code=COUNTY[:6])  # fmt: skip
    rng = random.Random(3)
    now = timezone.now()
    month = now.date().replace(day=1)
    mine = list(Elder.objects.filter(county_code=COUNTY[:6]).values_list("id", "region_code")[:500])
    mine_ids = {pk for pk, _ in mine}
    rows = []
    for pk, region, county in Elder.objects.values_list("id", "region_code", "county_code").iterator(chunk_size=20000):
        if len(rows) >= targets:
            break
        rows.append(VisitTarget(elder_id=pk, region_code=region, county_code=county, tier=rng.choice(Tier.values),
                                reason="压测", visitor=visitor if pk in mine_ids else other,
                                next_due=month + timedelta(days=rng.randrange(-10, 60)),
                                last_counted_on=month if rng.random() < 0.7 else None))  # fmt: skip
    with transaction.atomic():
        VisitTarget.objects.bulk_create(rows, batch_size=5000)
        AssignmentChange.objects.bulk_create(
            [
                AssignmentChange(visitor=visitor, target=t, region_code=t.region_code, county_code=t.county_code)
                for t in VisitTarget.objects.filter(visitor=visitor)
            ]  # fmt: skip
        )
    return worker, list(VisitTarget.objects.filter(visitor=visitor).values_list("id", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.utils import timezone

    reset_database()
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    worker, mine = build(args.targets)
    print(f"built {args.targets} targets ({len(mine)} for the visitor) in {time.perf_counter() - started:.1f} s")

    client = Client()
    client.force_login(worker)
    download = timed(lambda: client.get("/api/v1/visits/assignments"), args.repeat)
    size = len(client.get("/api/v1/visits/assignments").json()["changed"])
    print(f"download of {size} assigned elders:          {summary(download)}   (target < 1000 ms)")

    items = [{"id": str(uuid.uuid4()), "target_id": random.choice(mine), "method": "home",
              "visited_at": (timezone.now() - timedelta(minutes=n)).isoformat(), "risk_after": "low",
              "health": "良好"} for n in range(args.visits)]  # fmt: skip
    for attempt in ("first", "again"):
        start = time.perf_counter()
        statuses = {}
        for at in range(0, len(items), 100):
            response = client.post("/api/v1/visits/sync", json.dumps({"items": items[at : at + 100]}),
                                   content_type="application/json")  # fmt: skip
            for result in response.json()["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        print(f"upload of {len(items)} visits ({attempt}): {time.perf_counter() - start:8.2f} s   {statuses}"
              "   (target < 10 s)")  # fmt: skip
    from yiyang.visits.models import Visit

    print(f"visits stored: {Visit.objects.count()} (no duplicates: {Visit.objects.count() == len(items)})")

    from django.contrib.auth import get_user_model

    from yiyang.visits import reports

    admin = get_user_model().objects.create_superuser("bench-admin", password="Pass-word-123")
    province = "410000000000"
    rate = timed(lambda: reports.monthly_rate(admin, province), args.repeat)
    print(f"province monthly rate over {args.targets} targets: {summary(rate)}   (target < 100 ms)")
    month = timezone.localdate().replace(day=1).isoformat()
    raw = (
        "SELECT substr(region_code, 1, 4), count(*), sum(CASE WHEN last_counted_on >= %s THEN 1 ELSE 0 END) "
        "FROM visits_visittarget WHERE region_code BETWEEN '410000000000' AND '419999999999' "
        "AND exited_at IS NULL GROUP BY 1"
    )

    def raw_query():
        with connection.cursor() as cursor:
            cursor.execute(raw, [month])
            cursor.fetchall()

    print(f"raw GROUP BY:                                    {summary(timed(raw_query, args.repeat))}")


if __name__ == "__main__":
    main()
