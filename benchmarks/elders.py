"""Elderly registry at scale: generation, import, the scoped list page and count-by-street.

    python -m benchmarks.elders --elderly 1000000 --import-rows 100000

Each figure is printed beside the raw database doing the same work in the same run. Uses
var/bench.sqlite3 (rebuilt), or the database named by DATABASE_URL.
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import peak_rss_mb, reset_database, setup_django, summary, timed

COUNTY = "411002000000"


def generate(elderly: int) -> dict:
    from yiyang.demo import generate
    from yiyang.regions.models import Region

    sizes = generate.Sizes(elderly=elderly, streets_per_county=8, communities_per_street=8, demo_only_city=False)
    communities = generate.build_regions(sizes)
    start = time.perf_counter()
    generate.build_elders(communities, elderly)
    ours = time.perf_counter() - start
    print(f"regions: {Region.objects.count()}, communities: {len(communities)}")
    return {"seconds": ours, "rows": elderly, "communities": communities}


def raw_insert_baseline(rows: int) -> float:
    """Insert the same number of elder-shaped rows with the plain cursor into a scratch table."""
    from django.db import connection, transaction

    from yiyang.elders.importers import INSERT_COLUMNS

    values = [
        (
            i, "王秀英", "wangxiuying", "wxy", f"{i:018d}", "F", "1945-01-01", "汉族", "13800001111", "x号楼",
            "411002001001", "411002", 34.0, 113.8, "alone", 0, "", "active", None, None, None, None, None,
            "2026-01-01 00:00:00", "2026-01-01 00:00:00", "",
        )
        for i in range(rows)
    ]  # fmt: skip
    names = ", ".join(INSERT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_elder")
        cursor.execute("CREATE TABLE bench_raw_elder AS SELECT * FROM elders_elder WHERE 1 = 0")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY bench_raw_elder ({names}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in INSERT_COLUMNS)
            cursor.cursor.executemany(f"INSERT INTO bench_raw_elder ({names}) VALUES ({marks})", values)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_elder")
    return seconds


def write_import_files(rows: int, communities: list[str], folder: Path) -> tuple[Path, Path]:
    """A .csv and an .xlsx of `rows` new elders in Weidu (the officer's county), as bureaus send them."""
    import xlsxwriter

    from yiyang.demo.generate import elder_rows
    from yiyang.elders.importers import COLUMNS

    weidu = [c for c in communities if c.startswith(COUNTY[:6])]
    headers = [c.header for c in COLUMNS]
    records = []
    for row in elder_rows(weidu, rows, seed=99):
        record = {**row, "birth_date": row["birth_date"].isoformat(), "categories": "", "status": "在册"}
        records.append([str(record.get(c.key) or "") for c in COLUMNS])
    csv_path, xlsx_path = folder / "elders.csv", folder / "elders.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(records)
    workbook = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet()
    for r, values in enumerate([headers, *records]):
        for c, value in enumerate(values):
            sheet.write_string(r, c, value)
    workbook.close()
    return csv_path, xlsx_path


def import_in_subprocess(path: Path, mode: str) -> dict:
    """Run one import in a fresh process so that its peak memory is its own."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.elders", "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(mode: str, path: str) -> None:
    """In the child process: `ours` = the platform's import; `preview` = the import's dry run (every row
    validated and compared with the registry, nothing written); `raw` = read the file and insert unvalidated."""
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from yiyang.core import tabular
    from yiyang.core.audit import Actor
    from yiyang.elders.importers import CHUNK, COLUMNS, ElderImporter, chunked, import_elders

    start = time.perf_counter()
    if mode == "ours":
        officer = get_user_model().objects.get(username="weidu")
        table = tabular.open_table(path, Path(path).name, COLUMNS, max_bytes=settings.IMPORT_MAX_BYTES * 100)
        result = import_elders(Actor(user=officer), iter(table), present=set(table.header_map))
        rows, errors = result.saved + result.unchanged, len(result.errors)
    elif mode == "preview":
        officer = get_user_model().objects.get(username="weidu")
        table = tabular.open_table(path, Path(path).name, COLUMNS, max_bytes=settings.IMPORT_MAX_BYTES * 100)
        importer = ElderImporter(Actor(user=officer), set(table.header_map))
        rows = errors = 0
        for chunk in chunked(iter(table), CHUNK):
            plan = importer.plan(chunk)
            rows += len(plan.new) + len(plan.changed) + plan.unchanged
            errors += len(plan.errors)
    else:
        table = tabular.open_table(path, Path(path).name, COLUMNS, max_bytes=settings.IMPORT_MAX_BYTES * 100)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw_import")
            cursor.execute("CREATE TABLE bench_raw_import (name text, id_number text, region_code text, phone text)")
        with transaction.atomic(), connection.cursor() as cursor:
            batch, rows = [], 0
            for _, row in table:
                batch.append((row["name"], row["id_number"], row["region_code"], row["phone"]))
                if len(batch) >= 5000:
                    cursor.executemany("INSERT INTO bench_raw_import VALUES (%s, %s, %s, %s)", batch)
                    rows += len(batch)
                    batch = []
            cursor.executemany("INSERT INTO bench_raw_import VALUES (%s, %s, %s, %s)", batch)
            rows += len(batch)
            cursor.execute("DROP TABLE bench_raw_import")
        errors = 0
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": rows, "errors": errors, "rss_mb": peak_rss_mb()}))


def queries(repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from yiyang.core.regioncodes import descendant_range
    from yiyang.elders import services
    from yiyang.elders.models import Elder

    officer = get_user_model().objects.get(username="weidu")
    low, high = descendant_range(COUNTY)
    count = Elder.objects.visible_to(officer).count()
    print(f"\nscoped queries for county {COUNTY} ({count} elders), {repeat} runs each")

    def ours_list():
        queryset = Elder.objects.visible_to(officer, "view").order_by("region_code", "id")
        list(queryset[:20])
        queryset.count()

    def raw_list():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM elders_elder WHERE region_code >= %s AND region_code <= %s "
                "ORDER BY region_code, id LIMIT 20",
                [low, high],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT COUNT(*) FROM elders_elder WHERE region_code >= %s AND region_code <= %s", [low, high]
            )
            cursor.fetchone()

    def ours_by_street():
        services.counts_by_child_region(Elder.objects.visible_to(officer, "view"), COUNTY)

    def raw_by_street():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT substr(region_code, 1, 9), COUNT(region_code) FROM elders_elder "
                "WHERE region_code >= %s AND region_code <= %s GROUP BY 1",
                [low, high],
            )
            cursor.fetchall()

    from django.test.utils import override_settings

    override_settings(ALLOWED_HOSTS=["testserver"]).enable()
    client = Client()
    client.force_login(officer)

    def page():
        assert client.get("/elders/").status_code == 200

    for label, ours, raw in (
        ("list page query (first 20 + total)", ours_list, raw_list),
        ("count by street", ours_by_street, raw_by_street),
    ):
        raw(), ours()  # warm caches
        a, b = timed(ours, repeat), timed(raw, repeat)
        ratio = sorted(a)[len(a) // 2] / sorted(b)[len(b) // 2]
        print(f"  {label:<38} ours {summary(a)} | raw SQL {summary(b)} | ratio {ratio:.2f}")
    page()
    print(f"  {'whole /elders/ page (HTML, 20 rows)':<38} ours {summary(timed(page, repeat))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elderly", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--skip-queries", action="store_true", help="measure generation and imports only")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    setup_django()
    from django.db import connection

    from yiyang.demo.generate import build_accounts

    reset_database()
    print(f"database: {connection.vendor}")
    made = generate(args.elderly)
    raw = raw_insert_baseline(args.elderly)
    print(
        f"generation of {args.elderly} elders: ours {args.elderly / made['seconds']:,.0f} rows/s "
        f"({made['seconds']:.1f} s) | raw insert {args.elderly / raw:,.0f} rows/s | ratio {made['seconds'] / raw:.2f}"
    )
    build_accounts()
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = write_import_files(args.import_rows, made["communities"], Path(folder))
        for path in (csv_path, xlsx_path):
            raw = import_in_subprocess(path, "raw")
            preview = import_in_subprocess(path, "preview")
            ours = import_in_subprocess(path, "ours")
            again = import_in_subprocess(path, "ours")  # re-import of the same file: every row unchanged
            print(
                f"import {path.suffix:<5} {args.import_rows} rows: preview {preview['rows'] / preview['seconds']:,.0f} "
                f"rows/s | ours {ours['rows'] / ours['seconds']:,.0f} rows/s, "
                f"peak {ours['rss_mb']:.0f} MB, {ours['errors']} errors | re-import (unchanged) "
                f"{again['rows'] / again['seconds']:,.0f} rows/s | raw read+insert "
                f"{raw['rows'] / raw['seconds']:,.0f} rows/s, peak {raw['rss_mb']:.0f} MB | "
                f"ratio {ours['seconds'] / raw['seconds']:.2f}"
            )
            if path.suffix == ".csv":
                # The xlsx holds the same people: remove them so that it imports as new rows too.
                from yiyang.elders.models import Elder

                numbers = _id_numbers(csv_path)
                for start in range(0, len(numbers), 5000):
                    Elder.objects.filter(id_number__in=numbers[start : start + 5000]).delete()
    if not args.skip_queries:
        queries(args.repeat)


def _id_numbers(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [row[1] for row in list(csv.reader(handle))[1:]]


if __name__ == "__main__":
    main()
