"""Fast bulk writes for imports and data generation (DESIGN.md §7).

`bulk_create` stalls near 30,000 rows/s; COPY on PostgreSQL and a raw `executemany` on SQLite load
ten times that. Rows arrive as tuples in the order of `columns`; values are adapted once per column.
Primary keys are reserved up front so that dependent rows (e.g. identities of new elders) can be
written in the same pass.
"""

import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import date, datetime

from django.db import connection, models


def _memoised(convert):
    """Bulk rows repeat values (one timestamp for a whole load); convert each distinct value once."""
    seen: dict = {}

    def adapt(value):
        if value not in seen:
            if len(seen) > 10_000:
                seen.clear()
            seen[value] = convert(value)
        return seen[value]

    return adapt


def _adapter(field: models.Field):
    """A function turning a Python value into what the raw cursor of this database accepts."""
    if connection.vendor == "postgresql":
        if isinstance(field, models.JSONField):
            from psycopg.types.json import Jsonb

            return Jsonb
        return None
    if isinstance(field, models.DateTimeField):
        ops = connection.ops
        return _memoised(lambda v: ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v)
    if isinstance(field, models.DateField):
        return _memoised(lambda v: v.isoformat() if isinstance(v, date) else v)
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, ensure_ascii=False)
    if isinstance(field, models.BooleanField):
        return lambda v: None if v is None else int(v)
    return None


def _adapt(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]):
    adapters = [(i, a) for i, name in enumerate(columns) if (a := _adapter(model._meta.get_field(name)))]
    if not adapters:
        yield from rows
        return
    for row in rows:
        row = list(row)
        for i, adapt in adapters:
            if row[i] is not None:
                row[i] = adapt(row[i])
        yield row


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys. Call inside the transaction that inserts them (on SQLite the
    write lock taken at BEGIN IMMEDIATE keeps two writers from reserving the same keys)."""
    if count == 0:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - table name from model meta
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert rows (tuples ordered like `columns`) with COPY or executemany."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(_column(model, c) for c in columns)
    adapted = _adapt(model, columns, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in adapted:
                    copy.write_row(row)
        else:
            marks = ", ".join("%s" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", adapted)  # noqa: S608


def update(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence], key: str = "id") -> None:
    """Update rows given as tuples ordered like `columns` followed by the key value."""
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{_column(model, c)} = %s" for c in columns)
    adapted = _adapt(model, [*columns, key], rows)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {_column(model, key)} = %s", adapted)  # noqa: S608


@contextmanager
def deferred_indexes(model: type[models.Model]):
    """Drop the model's secondary indexes for a large load into a new table and build them afterwards:
    one sorted build is far cheaper than millions of random inserts into each index. Unique
    constraints stay in place, so the load is still checked."""
    from django.db import connection as conn

    indexes = list(model._meta.indexes)
    with conn.schema_editor() as editor:
        for index in indexes:
            editor.remove_index(model, index)
    try:
        yield
    finally:
        with conn.schema_editor() as editor:
            for index in indexes:
                editor.add_index(model, index)
