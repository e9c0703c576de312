"""The change feed: every save and delete of a shared row writes a `Change` in the same transaction, and
apps read the changes in id order with the last id they saw as their cursor (decision 0020).

Why a cursor over ids can skip rows, and the guard: on PostgreSQL an id is taken from the sequence when
the row is inserted, but the row becomes visible when its transaction commits. Transaction A may take id
10, transaction B id 11, and B commit first: a reader that saw 11 and moved its cursor past it would
never see 10. So every writer takes a shared advisory lock (`LOCK`, held until its transaction ends)
before it inserts its change, and a reader first notes the sequence's last value H, then the writers that
hold the lock, and waits until those writers have ended. Every id up to H was taken by a writer that
already held the lock when H was read, so once they have ended each id up to H is committed or gone for
good: the page stops at H. Writers never wait for readers or for each other (shared locks do not
conflict); a reader waits at most `SETTLE_WAIT` seconds, and answers an empty page with `settling` when
a writer stays open longer (an import chunk), to be asked again.

SQLite has one writer at a time, holding the database's write lock from its first write to its commit,
so ids commit in their order and the highest committed id is already safe.

What is not captured: `QuerySet.update()`, `bulk_create` and raw SQL send no signals. Services that
change shared rows that way (bulk imports, the demo generator, counters such as beds occupied) do not
appear in the feed; a first load reads the registries themselves.
"""

import time
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.db.models import FileField, Max
from django.db.models.signals import post_delete, post_init, post_save

from yiyang.core import masking

from .models import Change, ChangeOp

# The advisory lock every writer of changes holds in shared mode (two int4 keys: "yiyang", "exchange").
LOCK = (0x59595947, 0x45584348)
SETTLE_WAIT = 2.0
MAX_PAGE = 10_000
DEFAULT_PAGE = 1_000
MAX_CURSOR = 2**63 - 1  # the largest id a database can hold; a larger cursor is past every change


def _facility_of_assessment(obj):
    return obj.elder.facility_id if obj.elder_id else None


@dataclass(frozen=True)
class Resource:
    name: str
    model: str
    facility: object = None  # obj -> facility id, or None
    exited: object = None  # obj -> whether the row records an exit (a discharge, a death, a move away)


RESOURCES = {
    r.name: r
    for r in (
        Resource("elders", "elders.Elder", lambda o: o.facility_id, lambda o: o.status != "active"),
        Resource("assessments", "elders.Assessment", _facility_of_assessment),
        Resource("facilities", "facilities.Facility", lambda o: o.pk, lambda o: o.status == "closed"),
        Resource("residences", "facilities.Residence", lambda o: o.facility_id, lambda o: o.left_on is not None),
        Resource("staff", "providers.Staff", lambda o: getattr(o, "facility_id", None)),
        Resource("orders", "homecare.Order"),
        Resource("hazards", "supervision.Hazard", lambda o: o.facility_id),
        Resource("visits", "visits.Visit"),
        Resource("alarms", "care.Alarm"),
    )
}
BY_MODEL: dict[type, Resource] = {}


def connect() -> None:
    """Listen to the saves and deletes of every shared model (called once at start)."""
    for resource in RESOURCES.values():
        model = apps.get_model(resource.model)
        BY_MODEL[model] = resource
        post_init.connect(_loaded, sender=model, dispatch_uid=f"exchange-{resource.name}-init")
        post_save.connect(_saved, sender=model, dispatch_uid=f"exchange-{resource.name}-save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"exchange-{resource.name}-delete")


def _loaded(sender, instance, **kwargs):
    # The region the row had when it was read, so that a save moving it elsewhere can tell the old region.
    instance._feed_region = getattr(instance, "region_code", "") or ""


def _saved(sender, instance, raw=False, created=False, **kwargs):
    if raw:  # loading fixtures
        return
    resource = BY_MODEL[sender]
    before = getattr(instance, "_feed_region", "")
    now = getattr(instance, "region_code", "") or ""
    if not created and before and before != now:
        # Moved to another region (an elder moving county): the old region's readers get an exit, a
        # tombstone in their scope, because the row's later changes are numbered in the new region only.
        record(resource, instance, ChangeOp.EXIT, region=before)
    instance._feed_region = now
    exited = resource.exited is not None and resource.exited(instance)
    record(resource, instance, ChangeOp.EXIT if exited else ChangeOp.UPSERT)


def _deleted(sender, instance, **kwargs):
    record(BY_MODEL[sender], instance, ChangeOp.DELETE)


def record(resource: Resource, obj, op: str, *, region: str | None = None) -> Change:
    """Write the change of `obj` (in the region given, else the row's own)."""
    own = getattr(obj, "region_code", "") or ""
    region = own if region is None else region
    change = Change(
        resource=resource.name,
        object_id=str(obj.pk),
        op=op,
        region_code=region,
        county_code=(getattr(obj, "county_code", "") or region[:6]) if region == own else region[:6],
        facility_id=resource.facility(obj) if resource.facility else None,
    )
    if connection.vendor != "postgresql":
        change.save()
        return change
    if connection.in_atomic_block:
        _lock_and_save(change)
    else:
        # Autocommit: a transaction of its own, so that the lock is held until the change is committed.
        with transaction.atomic():
            _lock_and_save(change)
    return change


def record_all(resource: Resource, queryset) -> int:
    """A change for every row of `queryset` (a full re-send: rows loaded in bulk write no changes), in
    one transaction holding the writers' lock, so that a reader never skips them."""
    model = apps.get_model(resource.model)
    fields = [f.attname for f in model._meta.concrete_fields]
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", LOCK)
        batch = []
        for obj in queryset.only(*fields).iterator(chunk_size=2000):
            region = getattr(obj, "region_code", "") or ""
            exited = resource.exited is not None and resource.exited(obj)
            batch.append(Change(
                resource=resource.name, object_id=str(obj.pk), op=ChangeOp.EXIT if exited else ChangeOp.UPSERT,
                region_code=region, county_code=getattr(obj, "county_code", "") or region[:6],
                facility_id=resource.facility(obj) if resource.facility else None,
            ))  # fmt: skip
            if len(batch) == 2000:
                written += len(Change.objects.bulk_create(batch))
                batch = []
        written += len(Change.objects.bulk_create(batch))
    return written


def _lock_and_save(change: Change) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", LOCK)
    change.save()


# --- Reading ---------------------------------------------------------------------------------------


def safe_bound(wait: float = SETTLE_WAIT) -> int | None:
    """The highest change id below which nothing can still appear; None while a writer stays open."""
    if connection.vendor != "postgresql":
        return Change.objects.aggregate(top=Max("id"))["top"] or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)", [Change._meta.db_table]
        )
        bound = cursor.fetchone()[0]
        holders_sql = (
            "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s"
            " AND objsubid = 2 AND granted AND pid <> pg_backend_pid()"
            # Advisory locks are listed for the whole cluster: only this database's writers matter (another
            # database on the same server, such as a parallel test run's, never blocks this feed).
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        cursor.execute(holders_sql, LOCK)
        waiting = {row[0] for row in cursor.fetchall()}
        deadline = time.monotonic() + wait
        while waiting:
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)
            cursor.execute(holders_sql, LOCK)
            waiting &= {row[0] for row in cursor.fetchall()}
    return bound


@dataclass
class Page:
    changes: list[dict]
    next_cursor: int
    more: bool
    settling: bool = False


def read(user, cursor: int, limit: int, resources: list[str], wait: float = SETTLE_WAIT) -> Page:
    """The changes after `cursor` that `user` (an app's account) may see, oldest first, with their rows."""
    limit = max(1, min(limit, MAX_PAGE))
    bound = safe_bound(wait)
    if bound is None:
        return Page([], cursor, True, settling=True)
    rows = list(
        Change.objects.visible_to(user, "view")
        .filter(id__gt=cursor, id__lte=bound, resource__in=resources)
        .order_by("id")
        .values_list("id", "resource", "object_id", "op", "at")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    # With no more rows the cursor moves to the bound: changes outside the app's scope are never re-read.
    next_cursor = rows[-1][0] if more else max(bound, cursor)
    data = _current_rows(user, rows)
    changes = [
        {"seq": seq, "resource": name, "id": object_id, "op": op, "at": at.isoformat(),
         "data": None if op == ChangeOp.DELETE else data.get((name, object_id))}
        for seq, name, object_id, op, at in rows
    ]  # fmt: skip
    return Page(changes, next_cursor, more)


def _current_rows(user, rows, *, masked: bool = True) -> dict:
    """The current state of each changed row the user may see, one query per resource. Masked for every
    linked app; only the push to an upper platform of the same bureau sends full values (peers.py)."""
    wanted: dict[str, set[str]] = {}
    for _, name, object_id, op, _at in rows:
        if op != ChangeOp.DELETE:
            wanted.setdefault(name, set()).add(object_id)
    found = {}
    for name, ids in wanted.items():
        model = apps.get_model(RESOURCES[name].model)
        pk, pk_type = model._meta.pk.attname, model._meta.pk.to_python
        names, files, sensitive = _columns(model)
        rows = model._default_manager.visible_to(user, "view").filter(pk__in=[pk_type(i) for i in ids])
        # Plain values, not model instances: a page of 10,000 rows is read several times faster. Dates and
        # decimals are left to the API's JSON encoder.
        for values in rows.values(*names):
            for column in files:
                values[column] = values[column] or None
            for column, kind in sensitive if masked else ():
                values[column] = masking.mask(kind, values[column])
            found[(name, str(values[pk]))] = values
    return found


def _columns(model):
    """The row's own columns (foreign keys as ids), its file columns (sent as their stored names) and its
    sensitive columns: the feed never carries a full ID number, phone or address (a full value is a
    reveal, audited per person)."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    files = [f.attname for f in fields if isinstance(f, FileField)]
    spec = getattr(model, "sensitive", None)
    sensitive = list(spec.fields.items()) if isinstance(spec, masking.Sensitive) else []
    return names, files, sensitive
