"""The service map at province scale: 20,000 facilities and about 7,500 communities.

    python -m benchmarks.servicemap --facilities 20000

Prints, beside brute force in the same run: the nearby API (median, p99), the full coverage
recomputation of the province, and a what-if for one planned facility.
"""

import argparse
import random
import statistics
import time

from .common import reset_database, setup_django, summary, timed


def build(facilities: int, seed: int = 21) -> list:
    from yiyang.core.regioncodes import county_of
    from yiyang.demo import generate
    from yiyang.facilities.models import Facility, FacilityType
    from yiyang.regions.models import Region
    from yiyang.servicemap import services

    sizes = generate.Sizes(elderly=1, streets_per_county=6, communities_per_street=8, demo_only_city=False)
    communities = generate.build_regions(sizes)
    places = list(Region.objects.filter(code__in=communities).values_list("code", "lat", "lng"))
    rng = random.Random(seed)
    rows = []
    for n in range(facilities):
        code, lat, lng = places[n % len(places)]
        rows.append(
            Facility(code=f"B{n}", name=f"设施{n}", facility_type=rng.choice(FacilityType.values),
                     operation_model="public", region_code=code, county_code=county_of(code), address="-",
                     lat=lat + rng.uniform(-0.02, 0.02), lng=lng + rng.uniform(-0.02, 0.02))
        )  # fmt: skip
    Facility.objects.bulk_create(rows, batch_size=2000)
    services.seed_default_rules()
    print(f"communities: {len(communities)}, facilities: {Facility.objects.count()}")
    return places


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--brute-sample", type=int, default=100, help="communities checked by brute force")
    args = parser.parse_args()
    setup_django("bench_map")
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings

    from yiyang.core.coords import distance_m
    from yiyang.facilities.models import Facility
    from yiyang.servicemap import services
    from yiyang.servicemap.models import CommunityCoverage

    reset_database()
    places = build(args.facilities)
    rng = random.Random(5)
    override_settings(ALLOWED_HOSTS=["testserver"]).enable()
    client = Client()

    # Nearby: the API through the whole Django stack, against a scan of every facility.
    queries = [(lat + rng.uniform(-0.01, 0.01), lng + rng.uniform(-0.01, 0.01)) for _, lat, lng in
               rng.sample(places, args.repeat)]  # fmt: skip
    iterator = iter(queries * 2)

    def api():
        lat, lng = next(iterator)
        assert client.get(f"/api/v1/facilities/nearby?lat={lat}&lng={lng}&radius=3000").status_code == 200

    def brute():
        lat, lng = next(iterator)
        rows = Facility.objects.filter(is_published=True, status="operating").values_list("id", "lat", "lng")
        found = sorted((distance_m(lat, lng, a, b), pk) for pk, a, b in rows)
        [pk for d, pk in found if d <= 3000][:20]

    ours = timed(api, args.repeat)
    iterator = iter(queries * 2)
    raw = timed(brute, min(args.repeat, 30))
    p99 = sorted(ours)[int(0.99 * (len(ours) - 1))]
    print(f"nearby API (3 km)        ours {summary(ours)} p99 {p99:.2f} ms | brute-force scan {summary(raw)} | "
          f"ratio {statistics.median(ours) / statistics.median(raw):.3f}")  # fmt: skip

    # Coverage of the whole province.
    start = time.perf_counter()
    count = services.recompute(None)
    full = time.perf_counter() - start
    rules = services.RuleBook.load()
    communities = services.communities_under(None)
    facilities = services.facility_rows()
    sample = rng.sample(communities, min(args.brute_sample, len(communities)))
    start = time.perf_counter()
    stored = dict(CommunityCoverage.objects.values_list("community_code", "covered"))
    mismatches = 0
    for community in sample:
        rule = rules.for_community(community.code, community.area)
        covered = any(
            distance_m(community.point.lat, community.point.lng, lat, lng) <= rule.radius_m
            for _, kind, lat, lng in facilities
            if rule.counts(kind)
        )
        mismatches += covered != stored[community.code]
    per_community = (time.perf_counter() - start) / len(sample)
    print(f"coverage of {count} communities: ours {full:.2f} s | brute force {per_community * 1000:.1f} ms per "
          f"community = {per_community * count:.0f} s for all (measured on {len(sample)}) | "
          f"ratio {full / (per_community * count):.4f} | mismatches {mismatches}")  # fmt: skip

    # What-if for one planned facility, for the province (the largest scope).
    admin = get_user_model().objects.create(username="bench-admin", is_superuser=True)
    province = "410000000000"
    samples = iter([(lat, lng) for _, lat, lng in rng.sample(places, 40)])
    what_if = timed(lambda: services.what_if(admin, province, *next(samples), "day_care"), 40)
    samples = iter([(lat, lng) for _, lat, lng in rng.sample(places, 10)])
    recompute_all = timed(lambda: services.recompute(None), 3)
    print(
        f"what-if, one planned facility, province  ours {summary(what_if)} | full recomputation "
        f"{summary(recompute_all)} | ratio {statistics.median(what_if) / statistics.median(recompute_all):.3f}"
    )


if __name__ == "__main__":
    main()
