"""The monthly payroll of a county (issue: Zhumadian's 200,000 recipients of the old-age allowance):
building the month's lines through the service, its rerun (which must add nothing), beside a raw
INSERT ... SELECT of the same lines; then the bank file of the month.

    .venv/bin/python -m benchmarks.benefits --recipients 20000
    bash scripts/with-throwaway-postgres .venv/bin/python -m benchmarks.benefits --recipients 200000
"""

import argparse
import time
from datetime import date

from .common import peak_rss_mb, reset_database, setup_django

COUNTY = "411002000000"


def build(recipients: int):
    """Elders of the demo county, each a recipient of a one-band program from 60, so that every one is owed
    the month (the seeded old-age allowance would pay only the elders of 80 and over)."""
    from yiyang.benefits.models import Band, BankFormat, Program, Recipient
    from yiyang.benefits.services import DEFAULT_FORMAT
    from yiyang.demo import generate
    from yiyang.elders.models import Elder

    sizes = generate.Sizes(elderly=recipients, streets_per_county=6, communities_per_street=8)
    communities = [c for c in generate.build_regions(sizes) if c.startswith(COUNTY[:6])]
    generate.build_elders(communities, recipients)
    program = Program.objects.create(region_code=COUNTY, county_code=COUNTY[:6], code="bench", name="压测津贴",
                                     kind="old_age", min_age=60)  # fmt: skip
    Band.objects.create(program=program, county_code=COUNTY[:6], label="60周岁及以上", min_age=60, floor_fen=5000)
    BankFormat.objects.create(**DEFAULT_FORMAT, region_code=COUNTY, county_code=COUNTY[:6])
    month = date.today().replace(day=1)
    rows = Elder.objects.filter(county_code=COUNTY[:6]).values_list("id", "region_code", "name")
    Recipient.objects.bulk_create(
        (Recipient(elder_id=pk, program=program, region_code=region, county_code=COUNTY[:6], start_month=month,
                   next_month=month, bank_account=f"622848{pk:013d}", account_holder=name)
         for pk, region, name in rows.iterator(chunk_size=20000)),
        batch_size=5000,
    )  # fmt: skip
    return program, month


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=20_000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction

    from yiyang.benefits import payroll
    from yiyang.benefits.models import Band, Payroll, PayrollLine, Recipient
    from yiyang.benefits.months import add_months
    from yiyang.core.audit import Actor
    from yiyang.core.scoping import SYSTEM_READER

    reset_database()
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    program, month = build(args.recipients)
    count = Recipient.objects.count()
    print(f"built {count} recipients in {time.perf_counter() - started:.1f} s")
    actor = Actor(user=SYSTEM_READER)

    start = time.perf_counter()
    run, added = payroll.run(actor, COUNTY, month)
    first = time.perf_counter() - start
    print(f"payroll of {added} lines through the service: {first:8.2f} s")
    start = time.perf_counter()
    _, again = payroll.run(actor, COUNTY, month)
    print(f"rerun (adds {again}):                        {time.perf_counter() - start:8.2f} s")

    # The same lines, written by the database alone, for the next month on a payroll of its own.
    following = add_months(month, 1)
    scratch = Payroll.objects.create(region_code=COUNTY, county_code=COUNTY[:6], month=following)
    band = Band.objects.get(program=program)
    sql = (
        "INSERT INTO benefits_payrollline (payroll_id, recipient_id, program_id, band_id, region_code, county_code,"
        " month, line_no, amount, holder, bank_account, status, fail_reason, retries)"
        " SELECT %s, id, program_id, %s, region_code, county_code, %s, ROW_NUMBER() OVER (ORDER BY id), %s,"
        " account_holder, bank_account, 'pending', '', 0 FROM benefits_recipient"
        " WHERE county_code = %s AND status = 'active' AND bank_account <> ''"
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [scratch.pk, band.pk, following, band.amount_fen, COUNTY[:6]])
    raw = time.perf_counter() - start
    lines = PayrollLine.objects.filter(payroll=scratch).count()
    print(f"raw INSERT ... SELECT of {lines} lines:          {raw:8.2f} s   (service / raw: {first / raw:.1f}×)")

    Payroll.objects.filter(pk=run.pk).update(status="approved")
    start = time.perf_counter()
    bank_file = payroll.export(actor, run.pk)
    print(f"bank file of {bank_file.lines} lines ({len(bank_file.content) / 1e6:.1f} MB): "
          f"{time.perf_counter() - start:8.2f} s")  # fmt: skip
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
