"""Dashboards at scale: province and county dashboards beside the raw GROUP BY they replace, the time
until a write shows, and drill-down to any county.

    python -m benchmarks.analytics --elderly 1000000
    DATABASE_URL=postgres://... python -m benchmarks.analytics --elderly 10000000
"""

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from .common import reset_database, setup_django, summary, timed

PROVINCE, COUNTY = "410000000000", "411002000000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elderly", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse the data of the previous run")
    args = parser.parse_args()
    setup_django("bench_analytics")
    from django.contrib.auth import get_user_model
    from django.db import connection

    from yiyang.analytics import services
    from yiyang.core.audit import Actor
    from yiyang.core.idnumber import make
    from yiyang.core.regioncodes import descendant_range
    from yiyang.demo import generate
    from yiyang.elders import rollups
    from yiyang.elders import services as elders
    from yiyang.elders.models import ElderIdentity
    from yiyang.regions.models import Region

    if not args.keep:
        reset_database()
        sizes = generate.Sizes(elderly=args.elderly, streets_per_county=8, communities_per_street=8,
                               demo_only_city=False)  # fmt: skip
        communities = generate.build_regions(sizes)
        generate.build_population()
        start = time.perf_counter()
        generate.build_elders(communities, args.elderly)
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        generate.build_assessments(min(args.elderly // 3, 300_000))
        rollups.rebuild()
        print(f"loaded {args.elderly:,} elders in {loaded:.0f} s; assessments and counts in "
              f"{time.perf_counter() - start:.0f} s")  # fmt: skip
        get_user_model().objects.create(username="bench-admin", is_superuser=True)
    admin = get_user_model().objects.get(username="bench-admin")
    print(f"database: {connection.vendor}, elders: {args.elderly:,}")

    def raw_group_by(code: str):
        """The GROUP BY over the registry that the dashboard's elder figures would need without counts."""
        low, high = descendant_range(code)
        width = {PROVINCE: 4, COUNTY: 9}.get(code, 6)
        year = "substr(birth_date, 1, 4)" if connection.vendor == "sqlite" else "extract(year from birth_date)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT substr(region_code, 1, {width}), {year}, sex, capability_level, COUNT(region_code) "  # noqa: S608
                "FROM elders_elder WHERE region_code >= %s AND region_code <= %s AND status = 'active' "
                "GROUP BY 1, 2, 3, 4",
                [low, high],
            )
            cursor.fetchall()

    for label, code in (("province", PROVINCE), ("county", COUNTY)):
        services.dashboard(admin, code)
        ours = timed(lambda c=code: services.dashboard(admin, c), args.repeat)
        raw = timed(lambda c=code: raw_group_by(c), max(3, args.repeat // 5))
        print(f"{label:<8} dashboard  ours {summary(ours)} | raw GROUP BY {summary(raw)} | "
              f"ratio {statistics.median(ours) / statistics.median(raw):.3f}")  # fmt: skip

    counties = list(Region.objects.filter(level=3).values_list("code", flat=True))
    rng = random.Random(3)
    sample = iter(rng.choices(counties, k=args.repeat))
    drill = timed(lambda: services.dashboard(admin, next(sample)), args.repeat)
    print(f"drill-down to a random county  {summary(drill)}")

    # A write, then the dashboard read that must show it.
    actor = Actor(user=admin)
    community = Region.objects.filter(level=5, code__startswith=COUNTY[:6]).values_list("code", flat=True).first()
    latencies = []
    free_numbers = (
        number
        for day in range(1, 300)
        if not ElderIdentity.objects.filter(id_number=(number := make("411002", date(1931, 1, 1) + timedelta(day),
                                                                       99, "F"))).exists()
    )  # fmt: skip
    for _ in range(10):
        before = services.dashboard(admin, PROVINCE).values["elders"]
        start = time.perf_counter()
        elders.register_elder(actor, {"name": "新登记", "id_number": next(free_numbers), "region_code": community})
        shown = services.dashboard(admin, PROVINCE).values["elders"]
        latencies.append((time.perf_counter() - start) * 1000)
        assert shown == before + 1
    print(f"new elder visible on the province dashboard after {summary(latencies)} (write + one read)")


if __name__ == "__main__":
    main()
