"""Supervision at province size: the monthly operation-subsidy calculation for 16,000 facilities with
500,000 residents, its rerun, and the region hazard ledger page with 200,000 hazards, each beside the
raw database doing the core of the same work in the same run.

    .venv/bin/python -m benchmarks.supervision                      # SQLite, the issue's size
    bash scripts/with-throwaway-postgres .venv/bin/python -m benchmarks.supervision
    .venv/bin/python -m benchmarks.supervision --facilities 2000 --residents 50000 --hazards 20000   # quick
"""

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from .common import reset_database, setup_django, summary, timed

MONTH = date(2026, 10, 1)


def build(facilities: int, residents: int, hazards: int, log) -> None:
    from django.db import connection, transaction

    from yiyang.core import bulk
    from yiyang.demo import generate
    from yiyang.elders.models import Elder
    from yiyang.facilities.models import Facility, Residence
    from yiyang.regions.models import Region
    from yiyang.supervision.models import Checklist, Hazard, Inspection, SubsidyRateTable

    rng = random.Random(7)
    start = time.perf_counter()
    communities = generate.build_regions(generate.Sizes(streets_per_county=4, communities_per_street=5,
                                                        demo_only_city=False))  # fmt: skip
    generate.build_elders(communities, residents)
    table = Elder._meta.db_table
    expired, valid = ("DATE '2026-01-01'", "DATE '2027-12-31'") if connection.vendor == "postgresql" else (
        "'2026-01-01'", "'2027-12-31'")  # fmt: skip
    with connection.cursor() as cursor:
        # Levels 0-4 spread evenly; one in ten assessments expired before the month.
        cursor.execute(f"UPDATE {table} SET capability_level = id % 5, "  # noqa: S608 - constant names
                       f"assessment_due = CASE WHEN id % 10 = 0 THEN {expired} ELSE {valid} END")  # fmt: skip
    log(f"  {residents:,} elders in {time.perf_counter() - start:.0f} s")
    streets = list(Region.objects.filter(level=4).values_list("code", flat=True))
    Facility.objects.bulk_create(
        [Facility(code=f"B{n:06d}", name=f"机构{n}", facility_type="institution", operation_model="private",
                  region_code=(code := rng.choice(streets)), county_code=code[:6], address="-", beds_total=80,
                  beds_nursing=40, beds_occupied=0) for n in range(facilities)],
        batch_size=2000,
    )  # fmt: skip
    places = list(Facility.objects.values_list("pk", "region_code", "county_code"))
    elder_ids = list(Elder.objects.order_by("id").values_list("id", flat=True))
    with transaction.atomic():
        bulk.insert(
            Residence,
            ("facility", "elder", "region_code", "county_code", "bed_number", "admitted_on", "left_on"),
            ((places[i % len(places)][0], elder_id, places[i % len(places)][1], places[i % len(places)][2], "",
              date(2026, 10, 20) if i % 20 == 0 else date(2024, 1, 1), None) for i, elder_id in enumerate(elder_ids)),
        )  # fmt: skip
    SubsidyRateTable.objects.create(
        region_code="410000000000", county_code="410000", name="河南省养老机构运营补贴（基准）",
        valid_from=date(2026, 1, 1), facility_types=["institution"],
        level_rates={"0": 5000, "1": 10000, "2": 15000, "3": 20000, "4": 30000}, unassessed_rate=3000,
        nursing_level=3, nursing_extra=5000,
    )  # fmt: skip
    checklist = Checklist.objects.create(region_code="410000000000", county_code="410000", name="安全检查表",
                                         items=[{"code": f"x-{n}", "category": "fire", "text": f"检查项{n}"}
                                                for n in range(40)])  # fmt: skip
    Inspection.objects.bulk_create(
        [Inspection(facility_id=pk, region_code=region, county_code=county, checklist=checklist, kind="scheduled",
                    planned_on=date(2026, 9, 1), inspectors="检查组", status="done") for pk, region, county in places],
        batch_size=2000,
    )  # fmt: skip
    inspections = list(Inspection.objects.values_list("pk", "facility_id", "region_code", "county_code"))
    today = date.today()
    statuses = ["closed"] * 6 + ["open"] * 3 + ["submitted"]
    with transaction.atomic():
        bulk.insert(
            Hazard,
            ("facility", "region_code", "county_code", "inspection", "item_code", "category", "description",
             "severity", "responsible_person", "deadline", "status", "returned_times", "escalation_level", "found_on"),
            ((ins[1], ins[2], ins[3], ins[0], f"x-{n // len(inspections)}", "fire", f"隐患{n}", "general", "院长",
              today + timedelta(days=rng.randrange(-60, 60)), rng.choice(statuses), 0, 0, date(2026, 9, 1))
             for n in range(hazards) for ins in (inspections[n % len(inspections)],)),
        )  # fmt: skip
    # A database in steady state has statistics (`manage.py analyze_database`, daily) and on PostgreSQL
    # a visibility map for index-only scans (autovacuum).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    log(f"  built in {time.perf_counter() - start:.0f} s")


def raw_subsidy_sql() -> float:
    """The database alone summing the month's residents by facility and level (the core of the work)."""
    from django.db import connection

    from yiyang.elders.models import Elder
    from yiyang.facilities.models import Residence

    sql = (
        f"SELECT r.facility_id, e.capability_level, COUNT(*) FROM {Residence._meta.db_table} r "  # noqa: S608
        f"JOIN {Elder._meta.db_table} e ON e.id = r.elder_id WHERE r.admitted_on <= %s "
        f"AND (r.left_on IS NULL OR r.left_on >= %s) GROUP BY r.facility_id, e.capability_level"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [date(2026, 10, 31), MONTH])
        cursor.fetchall()
    return time.perf_counter() - start


def raw_ledger_sql(code: str, pending: bool):
    """The database alone answering the page's questions: the per-child counts and one page of lines."""
    from django.db import connection

    from yiyang.supervision.models import Hazard

    table = Hazard._meta.db_table
    province = code.endswith("0000000000")
    head = code[:2] if province else code[:6]
    low, high = head.ljust(12, "0"), head.ljust(12, "9")
    today = date.today().isoformat()
    if province:
        summary = (f"SELECT county_code, status, COUNT(*), SUM(CASE WHEN deadline < %s THEN 1 ELSE 0 END) FROM {table} "  # noqa: S608
                   f"WHERE county_code BETWEEN %s AND %s GROUP BY 1, 2", [today, low[:6], high[:6]])  # fmt: skip
    else:
        summary = (f"SELECT substr(region_code, 1, 9), status, COUNT(*), SUM(CASE WHEN deadline < %s THEN 1 ELSE 0 END) FROM {table} "  # noqa: S608
                   f"WHERE region_code BETWEEN %s AND %s GROUP BY 1, 2", [today, low, high])  # fmt: skip
    status = "AND status IN ('open', 'submitted')" if pending else ""

    def run():
        with connection.cursor() as cursor:
            cursor.execute(*summary)
            cursor.fetchall()
            cursor.execute(f"SELECT id FROM {table} WHERE region_code BETWEEN %s AND %s {status} "  # noqa: S608
                           f"ORDER BY deadline, id LIMIT 50", [low, high])  # fmt: skip
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT * FROM {table} WHERE id IN ({','.join(map(str, ids)) or '0'})")  # noqa: S608
            cursor.fetchall()

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--facilities", type=int, default=16_000)
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--hazards", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()
    setup_django("bench_supervision")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from yiyang.accounts.services import create_user
    from yiyang.core.audit import Actor
    from yiyang.core.roles import Role
    from yiyang.facilities.models import Residence
    from yiyang.supervision.models import SubsidyClaim, SubsidyLine, SubsidyStep
    from yiyang.supervision.services import subsidies

    print(f"database: {connection.vendor}")
    if not args.reuse:
        reset_database()
        print("building ...")
        build(args.facilities, args.residents, args.hazards, print)
    else:
        for model in (SubsidyStep, SubsidyLine, SubsidyClaim):
            model.objects.all().delete()  # a queryset delete: the rows of an earlier run, not ledger edits
    print(f"facilities with residents: {Residence.objects.values('facility_id').distinct().count():,}, "
          f"residences: {Residence.objects.count():,}")  # fmt: skip
    admin = create_user(f"bench-admin-{time.time_ns()}", "Bench-Pass-2026", is_superuser=True)
    raw = raw_subsidy_sql()
    start = time.perf_counter()
    result = subsidies.calculate_month(Actor(user=admin), "410000000000", MONTH)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = subsidies.calculate_month(Actor(user=admin), "410000000000", MONTH)
    rerun = time.perf_counter() - start
    print(f"subsidy calculation, province: {first:6.1f} s for {result.created:,} claims, "
          f"{SubsidyLine.objects.count():,} lines, {result.amount / 100:,.2f} yuan  (target < 30 s)")  # fmt: skip
    print(f"  rerun: {rerun:6.2f} s, created {again.created}, skipped {again.skipped:,}  (target < 10 s)")
    print(f"  raw GROUP BY of the month's residents by facility and level: {raw:6.2f} s "
          f"(calculation / raw = {first / raw:.1f}x)")  # fmt: skip
    assert SubsidyClaim.objects.filter(month=MONTH).count() == result.created

    officer = create_user(f"bench-prov-{time.time_ns()}", "Bench-Pass-2026",
                          memberships=[{"role": Role.OFFICER, "region_code": "410000000000"}])  # fmt: skip
    call_command("collectstatic", interactive=False, verbosity=0)  # pages are rendered with hashed names
    override_settings(ALLOWED_HOSTS=["testserver"]).enable()
    client = Client()
    client.force_login(officer)
    county = SubsidyClaim.objects.values_list("region_code", flat=True).first()[:6]
    for label, code in (("province", "410000000000"), ("county", county.ljust(12, "0"))):
        for view, query in (("not closed (default)", ""), ("all", "&status=")):
            url = f"/supervision/ledger/?region={code}{query}"
            assert client.get(url).status_code == 200
            page = timed(lambda url=url: client.get(url), args.repeat)
            raw_ms = timed(raw_ledger_sql(code, pending=not query), args.repeat)
            print(f"hazard ledger page, {label:8s} {view:21s}: {summary(page)}   raw SQL: {summary(raw_ms)}   "
                  f"ratio {statistics.median(page) / statistics.median(raw_ms):.2f}x  (target < 100 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
