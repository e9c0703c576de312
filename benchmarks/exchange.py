"""The exchange API under load: the cost of verifying one signed request (target < 1 ms), the whole
authentication of a request with its nonce and rate count, and feed pages of 10,000 changes beside the raw
SELECT of the same change rows and the same rows joined to the elders they name.

    .venv/bin/python -m benchmarks.exchange --changes 100000
    bash scripts/with-throwaway-postgres .venv/bin/python -m benchmarks.exchange --changes 1000000
"""

import argparse
import secrets
import time

from .common import reset_database, setup_django, summary, timed

COUNTY = "411002000000"


def build(elders: int, changes: int):
    from django.utils import timezone

    from yiyang.accounts.services import create_user
    from yiyang.core.audit import Actor
    from yiyang.core.roles import Role
    from yiyang.demo import generate
    from yiyang.elders.models import Elder
    from yiyang.exchange import services
    from yiyang.exchange.models import Change

    communities = generate.build_regions(generate.Sizes(elderly=elders, streets_per_county=4, communities_per_street=6))
    generate.build_elders([c for c in communities if c.startswith(COUNTY[:6])], elders)
    officer = create_user("bench-officer", "Pass-word-123", memberships=[{"role": Role.OFFICER, "region_code": COUNTY}])
    app, secret = services.register_app(
        Actor(user=officer),
        services.AppInput(name="压测平台", kind="platform", region=COUNTY, read_resources=("elders",),
                          rate_per_minute=6000),
    )  # fmt: skip
    # Changes as the signals write them, many sharing one instant; each names a real elder of the county.
    rows = list(Elder.objects.filter(county_code=COUNTY[:6]).values_list("id", "region_code", "facility_id"))
    now = timezone.now()
    batch = []
    for n in range(changes):
        pk, region, facility = rows[n % len(rows)]
        batch.append(Change(resource="elders", object_id=str(pk), op="upsert", region_code=region,
                            county_code=region[:6], facility_id=facility, at=now))  # fmt: skip
        if len(batch) == 20_000:
            Change.objects.bulk_create(batch)
            batch = []
    Change.objects.bulk_create(batch)
    return app, secret


class FakeRequest:
    def __init__(self, app, secret, target):
        from yiyang.core import signing

        self.method, self.body = "GET", b""
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        self.headers = {"X-Yiyang-App": app.key_id, "X-Yiyang-Timestamp": ts, "X-Yiyang-Nonce": nonce,
                        "X-Yiyang-Signature": signing.sign(secret, "GET", target, ts, nonce, b"", hash_body=True)}  # fmt: skip
        self.target = target

    def get_full_path(self):
        return self.target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elders", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--verifications", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    setup_django("bench_exchange")
    from django.db import connection

    from yiyang.core.regioncodes import descendant_range
    from yiyang.exchange import feed, signed

    reset_database()
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    app, secret = build(args.elders, args.changes)
    print(f"built {args.elders} elders and {args.changes} changes in {time.perf_counter() - started:.1f} s")

    target = "/api/v1/exchange/feed?cursor=0&limit=10000"
    request = FakeRequest(app, secret, target)
    started = time.perf_counter()
    for _ in range(args.verifications):
        signed.verify(app, request.method, target, request.headers, request.body)
    per = (time.perf_counter() - started) * 1000 / args.verifications
    print(f"signature verification (derive secret, HMAC, window): {per * 1000:8.1f} µs per request   (target < 1 ms)")

    def authenticate():
        signed.authenticate(FakeRequest(app, secret, target))

    print(f"whole authentication (+ rate count, nonce, contact): {summary(timed(authenticate, 200))}")

    low, high = descendant_range(COUNTY)
    top = feed.safe_bound()
    cursors = [int(top * i / (args.repeat + 1)) for i in range(args.repeat)]
    cursors_iter = iter(cursors * 3)

    def page():
        feed.read(app.user, next(cursors_iter), 10_000, ["elders"])

    def raw_changes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, resource, object_id, op, at FROM exchange_change WHERE region_code BETWEEN %s AND %s"
                " AND id > %s AND resource = 'elders' ORDER BY id LIMIT 10000",
                [low, high, next(cursors_iter)],
            )
            cursor.fetchall()

    def raw_joined():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, c.op, e.* FROM exchange_change c JOIN elders_elder e ON e.id = CAST(c.object_id AS"
                " INTEGER) WHERE c.region_code BETWEEN %s AND %s AND c.id > %s AND c.resource = 'elders'"
                " ORDER BY c.id LIMIT 10000",
                [low, high, next(cursors_iter)],
            )
            cursor.fetchall()

    feed_ms = timed(page, args.repeat)
    raw_ms = timed(raw_changes, args.repeat)
    joined_ms = timed(raw_joined, args.repeat)
    median = sorted(feed_ms)[len(feed_ms) // 2]
    print(f"feed page of 10,000 changes with rows:  {summary(feed_ms)}")
    print(
        f"raw SELECT of the 10,000 change rows:   {summary(raw_ms)}   ratio {median / sorted(raw_ms)[len(raw_ms) // 2]:.1f}"
    )
    print(
        f"raw SELECT joined to the elders:        {summary(joined_ms)}   ratio {median / sorted(joined_ms)[len(joined_ms) // 2]:.1f}"
    )


if __name__ == "__main__":
    main()
