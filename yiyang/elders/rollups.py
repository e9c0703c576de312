"""Keeping the per-region elder counts (ElderRollup, ElderCategoryRollup) current.

Every write path of the registry calls `record(old, new)` (one elder) or `apply(deltas)` (many) inside
its own transaction; `rebuild()` recomputes everything from the registry and is what the tests compare
the running counts against.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction

from yiyang.core.regioncodes import PREFIX_LENGTH, Level

from . import categories
from .models import Elder, ElderCategoryRollup, ElderRollup

# The part of an elder that the counts depend on.
KEY_FIELDS = ("region_code", "birth_date", "sex", "capability_level", "status", "categories")
LEVELS = (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.STREET, Level.COMMUNITY)


def key_of(values) -> tuple | None:
    """(community, birth year, sex, level, status, category bits) of an elder or a dict of its fields."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    if not get("region_code"):
        return None
    level = get("capability_level")
    return (get("region_code"), get("birth_date").year, get("sex"), -1 if level is None else level, get("status"),
            get("categories") or 0)  # fmt: skip


def _ancestors(code: str) -> list[str]:
    return [code[: PREFIX_LENGTH[level]].ljust(12, "0") for level in LEVELS]


def apply(deltas: Counter) -> None:
    """Add `deltas` ({key_of(...): +n or -n}) to the counts of the community and all its ancestors."""
    people: Counter = Counter()
    groups: Counter = Counter()
    for (community, year, sex, level, status, bits), n in deltas.items():
        if not n:
            continue
        for region in _ancestors(community):
            people[(region[:6], region, year, sex, level, status)] += n
            for code in categories.to_codes(bits):
                groups[(region[:6], region, code, status)] += n
    _upsert(ElderRollup, ("county_code", "region_code", "birth_year", "sex", "capability_level", "status"), people)
    _upsert(ElderCategoryRollup, ("county_code", "region_code", "category", "status"), groups)


def _upsert(model, key_columns: tuple[str, ...], counts: Counter) -> None:
    rows = [(*key, n) for key, n in counts.items() if n]
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(key_columns)
    marks = ", ".join(["%s"] * (len(key_columns) + 1))
    # Both SQLite (3.24+) and PostgreSQL add to an existing row instead of overwriting it.
    sql = (
        f"INSERT INTO {table} ({columns}, count) VALUES ({marks}) "  # noqa: S608 - names from model meta
        f"ON CONFLICT ({columns}) DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def record(old, new) -> None:
    """Move one elder from `old` to `new` (either may be None): call inside the write's transaction."""
    before, after = (key_of(v) if v is not None else None for v in (old, new))
    if before == after:
        return
    deltas: Counter = Counter()
    if before:
        deltas[before] -= 1
    if after:
        deltas[after] += 1
    apply(deltas)


def snapshot(elder: Elder) -> dict:
    return {name: getattr(elder, name) for name in KEY_FIELDS}


def count_rows(rows: Iterable) -> Counter:
    """Deltas adding the given elders (dicts or model instances)."""
    return Counter(k for k in map(key_of, rows) if k)


@transaction.atomic
def rebuild() -> None:
    """Recompute every count from the registry (after a bulk load, or to prove the running counts)."""
    ElderRollup.objects.all().delete()
    ElderCategoryRollup.objects.all().delete()
    deltas: Counter = Counter()
    fields = ("region_code", "birth_date", "sex", "capability_level", "status", "categories")
    for values in Elder.objects.values_list(*fields).iterator(chunk_size=20_000):
        deltas[key_of(dict(zip(fields, values, strict=True)))] += 1
        if len(deltas) > 200_000:
            apply(deltas)
            deltas = Counter()
    apply(deltas)
