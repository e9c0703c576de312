"""Idempotent writes from a linked system (DESIGN.md §2a): upsert by (app, resource, external id) with a
version, through the registries' own services, one savepoint per record.

For each record, against what the app wrote before under the same external id:
- nothing: the record is applied (`created`);
- a higher version: the change is applied (`updated`);
- the same version and the same content: nothing happens (`unchanged`): a retry is harmless;
- the same version with other content, or a lower version: `conflict` (409), the stored row untouched;
- a row outside the app's facility or region: `not_found` (404), the same answer as a row that does not
  exist; input the registry refuses: `invalid` (422) with the fields; a state the registry refuses (a full
  house, a second admission): `conflict`.
A facility's first upload may name residents the county registered already (same elder, facility and
admission date): the record is linked to that stay. A facility app sees only the elders of its own
facility (the same rule as the facility's pages), so a new admission of an elder not yet linked to it
is answered 404 and is made by the county or a region app.
A batch answers every record and takes the most serious status (409, then 404, then 422, else 200). A dry
run applies each record inside a transaction that is rolled back, so its answers are what a real run
would give, and it leaves nothing behind (not even the audit entries or the changes of the feed).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from yiyang.core import idnumber, periodlocks
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, DomainError, FieldErrors
from yiyang.core.models import Interface
from yiyang.elders import services as elder_services
from yiyang.elders.models import Elder
from yiyang.facilities import services as facility_services
from yiyang.facilities.models import Facility, Residence
from yiyang.providers import services as provider_services
from yiyang.providers.models import Staff

from .models import ExchangeApp, ExternalRecord

MAX_BATCH = 500
SEVERITY = ["conflict", "not_found", "invalid"]  # most serious first
HTTP = {"conflict": 409, "not_found": 404, "invalid": 422}


class NotFound(DomainError):
    status = 404
    code = "not_found"


@dataclass
class Result:
    external_id: str
    status: str  # created, updated, unchanged, conflict, not_found, invalid
    id: str | None = None
    code: str = ""
    message: str = ""
    fields: dict = field(default_factory=dict)


def batch_status(results: list[Result]) -> int:
    for status in SEVERITY:
        if any(r.status == status for r in results):
            return HTTP[status]
    return 200


def _hash(record: dict) -> str:
    content = {k: v for k, v in record.items() if k != "version"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def actor_of(app: ExchangeApp, request=None) -> Actor:
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return Actor(user=app.user, ip=ip, interface=Interface.API, extra={"exchange_app": app.key_id})


def _facility(app: ExchangeApp, code: str | None) -> Facility:
    """The facility a record names, within the app's scope; another facility is not found (404)."""
    code = (code or "").strip()
    if app.facility_id is not None:
        if code and code != app.facility.code:
            raise NotFound("机构不存在或不在该应用的范围内", {"facility": code})
        return app.facility
    if not code:
        raise FieldErrors({"facility": "必填：机构编码"})
    found = list(Facility.objects.visible_to(app.user, "view").filter(code=code)[:2])
    if len(found) != 1:
        if found:
            raise FieldErrors({"facility": "该编码在多个县（区）都有，请联系民政部门"})
        raise NotFound("机构不存在或不在该应用的范围内", {"facility": code})
    return found[0]


def upsert(app: ExchangeApp, resource: str, records: list[dict], *, dry_run: bool, request=None) -> list[Result]:
    if len(records) > MAX_BATCH:
        raise FieldErrors({"records": f"一批最多 {MAX_BATCH} 条"})
    apply = APPLIERS[resource]
    actor = actor_of(app, request)
    results = []
    with transaction.atomic():
        for record in records:
            results.append(_one(app, resource, apply, actor, record))
        if dry_run:
            transaction.set_rollback(True)
    for record, result in zip(records, results, strict=True):
        if result.code == "name_mismatch":  # after the rollback, so that the trace stays (dry runs too)
            elder_services.trace_name_mismatch(actor, str(record.get("id_number", "")), app.region_code)
    if not dry_run:
        written = sum(r.status in ("created", "updated") for r in results)
        refused = sum(r.status in SEVERITY for r in results)
        ExchangeApp.objects.filter(pk=app.pk).update(
            records_written=F("records_written") + written, records_refused=F("records_refused") + refused
        )
    return results


def _one(app, resource, apply, actor, record: dict) -> Result:
    external_id = record["external_id"]
    try:
        with transaction.atomic():
            facility = _facility(app, record.get("facility"))
            # The facility as resolved, so that naming it or leaving it implied is the same content.
            digest = _hash({**record, "facility": facility.code})
            stored = (
                ExternalRecord.objects.select_for_update()
                .filter(county_code=facility.county_code, app=app, resource=resource, external_id=external_id)
                .first()
            )
            if stored is not None:
                if record["version"] == stored.version and digest == stored.content_hash:
                    return Result(external_id, "unchanged", stored.object_id)
                if record["version"] <= stored.version:
                    raise Conflict(
                        f"版本 {record['version']} 不新于已写入的版本 {stored.version}，未覆盖",
                        {"version": str(stored.version)}, code="stale_version",
                    )  # fmt: skip
            object_id = apply(actor, facility, record, stored)
            now = timezone.now()
            if stored is None:
                ExternalRecord.objects.create(
                    app=app, county_code=facility.county_code, resource=resource, external_id=external_id,
                    version=record["version"], content_hash=digest, object_id=object_id,
                )  # fmt: skip
                return Result(external_id, "created", object_id)
            stored.version, stored.content_hash, stored.updated_at = record["version"], digest, now
            stored.save(update_fields=["version", "content_hash", "updated_at"])
            return Result(external_id, "updated", object_id)
    except Http404:
        return Result(external_id, "not_found", None, "not_found", "记录不存在或不在该应用的范围内")
    except DomainError as exc:
        status = "conflict" if exc.status == 409 else "not_found" if exc.status == 404 else "invalid"
        return Result(external_id, status, None, exc.code, exc.message, exc.fields)


# --- Residents: admissions and discharges ---------------------------------------------------------


def _residence(actor: Actor, facility: Facility, record: dict, stored: ExternalRecord | None) -> str:
    left_on: date | None = record.get("left_on")
    # A new stay writes both dates; a change of a known stay writes only its leaving date.
    dates = [record["admitted_on"], left_on] if stored is None else [left_on]
    periodlocks.refuse_if_locked(facility.county_code, dates, "入住或离开")
    if stored is None:
        number = idnumber.normalize(record["id_number"])
        elder = (
            Elder.objects.visible_to(actor.user, "view")
            .filter(county_code=facility.county_code, id_number=number)
            .first()
        )
        current = elder and Residence.objects.filter(elder=elder, facility=facility, left_on__isnull=True).first()
        if elder is None:
            # A newcomer: the facility presents the ID number with the name on the card (facilities.services).
            if not record.get("name"):
                raise NotFound(
                    "该应用的范围内没有这个身份证号码的老人；办理新入住请同时提供身份证上的姓名（name）",
                    {"id_number": "未找到", "name": "新入住须提供"},
                )  # fmt: skip
            person = {name: record.get(name) or "" for name in ("id_number", "name", "region_code", "phone")}
            residence = facility_services.admit_presented(
                actor, facility.pk, person, record["admitted_on"], record.get("bed_number") or ""
            )
        elif current is not None and current.admitted_on == record["admitted_on"]:
            # A first upload of the facility's roster names residents the county registered already:
            # the record is linked to the stored stay instead of a second admission.
            residence = current
        else:
            residence = facility_services.admit(
                actor, facility.pk, elder.pk, record["admitted_on"], record.get("bed_number") or ""
            )
        if left_on is not None:
            facility_services.discharge(actor, residence.pk, left_on)
        return str(residence.pk)
    residence = Residence.objects.visible_to(actor.user, "view").filter(pk=stored.object_id).first()
    if residence is None or residence.facility_id != facility.pk:
        raise NotFound("入住记录不存在或不在该应用的范围内", {"facility": facility.code})
    fixed = {"admitted_on": residence.admitted_on, "bed_number": residence.bed_number}
    changed = {name: "入住后不能修改（请先办理离开，再以新编号登记入住）" for name, value in fixed.items()
               if name in record and (record[name] or "") != (value or "")}  # fmt: skip
    if changed:
        raise FieldErrors(changed)
    if left_on is None and residence.left_on is not None:
        raise FieldErrors({"left_on": "已办理离开，不能撤销"})
    if left_on is not None and residence.left_on is None:
        facility_services.discharge(actor, residence.pk, left_on)
    elif left_on is not None and left_on != residence.left_on:
        raise FieldErrors({"left_on": "已办理离开，离开日期不能修改"})
    return str(residence.pk)


# --- Beds: the facility's bed figures ---------------------------------------------------------------


def _beds(actor: Actor, facility: Facility, record: dict, stored: ExternalRecord | None) -> str:
    data = {"beds_total": record["beds_total"], "beds_nursing": record["beds_nursing"]}
    facility_services.update_facility(actor, facility.pk, data)
    return str(facility.pk)


# --- Staff: the facility's own people -----------------------------------------------------------------

STAFF_KEYS = ("name", "role", "is_director", "phone", "education", "hired_on", "left_on", "is_full_time",
              "trained_junior_standard")  # fmt: skip


def _staff(actor: Actor, facility: Facility, record: dict, stored: ExternalRecord | None) -> str:
    # Only what the record names: an absent field never erases a stored value.
    data = {name: record[name] for name in STAFF_KEYS if name in record}
    if stored is None:
        return str(provider_services.add_staff(actor, {**data, "facility_id": facility.pk}).pk)
    staff = Staff.objects.visible_to(actor.user, "view").filter(pk=stored.object_id, facility=facility).first()
    if staff is None:
        raise NotFound("从业人员不存在或不在该应用的范围内", {"facility": facility.code})
    provider_services.change_staff(actor, staff.pk, data)
    return str(staff.pk)


APPLIERS = {"residences": _residence, "beds": _beds, "staff": _staff}
