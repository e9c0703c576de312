"""Receiving a lower platform's changes (docs/exchange.md, decision 0023).

A county running its own Yiyang pushes every change of its registries to the city's Yiyang (peers.py is
the sending side). The city applies each change through its own registry services, as the county's linked
app, so that validation, scoping, rollups, the audit log and the city's own change feed work as for any
other write. Three rules make a push safe to repeat and to cut at any moment:

- Changes are applied in the sender's order and the last applied sequence number moves in the same
  transaction (`SyncState.applied_seq`): a batch resent after a lost answer or a crash is skipped, never
  applied twice; a batch cut halfway is rolled back whole and resent.
- A row the county sends is known here by (app, resource, the county's id) in `ExternalRecord`, so a
  later change of it updates the same row.
- What the platform will not apply by itself is kept as a `SyncConflict` with the row's latest state: the
  same ID number registered in two counties, an assessment whose elder is itself waiting, a deletion. It is
  never merged silently; a person retries it (after the registries are put right) or dismisses it. Later
  changes of a waiting row update its conflict instead of being applied out of order.
"""

import hashlib
import json
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from yiyang.core import audit, masking
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, DomainError, FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.scoping import get_for_action
from yiyang.elders import services as elder_services
from yiyang.elders.models import ElderIdentity
from yiyang.facilities import services as facility_services
from yiyang.facilities.models import Residence

from .models import ChangeOp, ConflictStatus, ExchangeApp, ExternalRecord, SyncConflict, SyncState
from .writes import actor_of

MAX_CHANGES = 1000
# What a push may carry, in the order a county's rows depend on each other.
SYNCED = ("facilities", "elders", "assessments", "residences")


class Parked(DomainError):
    """The change waits for a person (or for another row that waits)."""

    status = 409


def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()


def _ref(app: ExchangeApp, resource: str, object_id) -> ExternalRecord | None:
    if object_id in (None, ""):
        return None
    return ExternalRecord.objects.filter(
        county_code=app.county_code, app=app, resource=resource, external_id=str(object_id)
    ).first()


def _local(app: ExchangeApp, resource: str, object_id, what: str) -> int:
    ref = _ref(app, resource, object_id)
    if ref is None:
        raise Parked(f"{what}尚未同步到本平台（或在待处理的冲突中），处理后重试", code="waiting")
    return int(ref.object_id)


# --- Applying one resource ---------------------------------------------------------------------------

ELDER_FIELDS = (*elder_services.EDITABLE_FIELDS,)
FACILITY_FIELDS = tuple(f for f in facility_services.EDITABLE_FIELDS if f != "beds_occupied")  # counted here
ASSESSMENT_FIELDS = ("assessed_on", "reason", "assessor_1", "assessor_2", "scores", "risk_events", "coma",
                     "dementia", "mental_disorder")  # fmt: skip


def _elder(actor: Actor, app: ExchangeApp, data: dict, ref: ExternalRecord | None) -> str:
    values = {name: data[name] for name in ELDER_FIELDS if name in data}
    if ref is not None:
        return str(elder_services.update_elder(actor, int(ref.object_id), values).pk)
    try:
        return str(elder_services.register_elder(actor, values).pk)
    except Conflict:
        identity = ElderIdentity.objects.filter(id_number=data.get("id_number", "")).select_related("elder").first()
        where = f"（现登记于 {identity.elder.county_code} 的 {identity.elder.region_code}）" if identity else ""
        raise Parked(
            f"该身份证号码已在本平台登记{where}：请两地核实老人的实际居住地，在一地办理迁出后重试，或忽略",
            {"id_number": "已登记"}, code="duplicate_id_number",
        ) from None  # fmt: skip


def _assessment(actor: Actor, app: ExchangeApp, data: dict, ref: ExternalRecord | None) -> str:
    if ref is not None:
        return ref.object_id  # an assessment is not edited once recorded; a correction is a new assessment
    elder_id = _local(app, "elders", data.get("elder_id"), "该评估所属的老人")
    values = {name: data[name] for name in ASSESSMENT_FIELDS if name in data}
    return str(elder_services.record_assessment(actor, elder_id, values).pk)


def _facility(actor: Actor, app: ExchangeApp, data: dict, ref: ExternalRecord | None) -> str:
    values = {name: data[name] for name in FACILITY_FIELDS if name in data}
    if ref is not None:
        return str(facility_services.update_facility(actor, int(ref.object_id), values).pk)
    return str(facility_services.register_facility(actor, values).pk)


def _date(value):
    return datetime.fromisoformat(value).date() if isinstance(value, str) else value


def _residence(actor: Actor, app: ExchangeApp, data: dict, ref: ExternalRecord | None) -> str:
    left_on = _date(data.get("left_on"))
    if ref is None:
        facility_id = _local(app, "facilities", data.get("facility_id"), "该入住记录的机构")
        elder_id = _local(app, "elders", data.get("elder_id"), "该入住记录的老人")
        residence = facility_services.admit(
            actor, facility_id, elder_id, _date(data["admitted_on"]), data.get("bed_number") or ""
        )
    else:
        residence = Residence.objects.visible_to(actor.user, "view").filter(pk=ref.object_id).first()
        if residence is None:
            raise Parked("本平台的入住记录已不存在", code="missing")
    if left_on is not None and residence.left_on is None:
        facility_services.discharge(actor, residence.pk, left_on)
    return str(residence.pk)


APPLIERS = {"elders": _elder, "assessments": _assessment, "facilities": _facility, "residences": _residence}


def _apply(app: ExchangeApp, actor: Actor, resource: str, object_id: str, op: str, data) -> str:
    """Apply one change in a savepoint: 'applied', or raise (DomainError, 404, 403) with nothing written."""
    ref = _ref(app, resource, object_id)
    if op == ChangeOp.DELETE:
        if ref is None:
            return "applied"  # never arrived here: nothing to remove
        raise Parked("下级平台删除了该记录：请核实后在本平台处理，再忽略此条", code="deleted")
    if data is None:
        return "applied"  # the row was deleted on the sender after this change; its deletion follows
    with transaction.atomic():
        local_id = APPLIERS[resource](actor, app, data, ref)
        digest = _digest(data)
        if ref is None:
            ExternalRecord.objects.create(
                app=app, county_code=app.county_code, resource=resource, external_id=object_id, version=1,
                content_hash=digest, object_id=local_id,
            )  # fmt: skip
        elif ref.content_hash != digest:
            ExternalRecord.objects.filter(pk=ref.pk).update(
                version=F("version") + 1, content_hash=digest, updated_at=timezone.now()
            )
    return "applied"


def _park(app: ExchangeApp, change: dict, error: Exception) -> None:
    data = change.get("data") or {}
    region = str(data.get("region_code") or app.region_code)
    if isinstance(error, DomainError):
        code, message = error.code, error.message
        if error.fields:
            message += "：" + "；".join(f"{k} {v}" for k, v in error.fields.items())
    else:
        code, message = "not_found", "记录不在该下级平台的范围内，或本平台没有对应的区划、机构"
    SyncConflict.objects.create(
        app=app, region_code=region[:12], county_code=region[:6], resource=change["resource"],
        object_id=change["id"], seq=change["seq"], op=change["op"], data=change.get("data"), code=code[:40],
        message=message[:300],
    )  # fmt: skip


def _one(app: ExchangeApp, actor: Actor, change: dict) -> str:
    waiting = SyncConflict.objects.filter(
        app=app, resource=change["resource"], object_id=change["id"], status=ConflictStatus.OPEN
    )
    # A row already waiting keeps its place: its newest state joins the conflict instead of being applied.
    if waiting.update(seq=change["seq"], op=change["op"], data=change.get("data"), updated_at=timezone.now()):
        return "parked"
    try:
        with transaction.atomic():
            return _apply(app, actor, change["resource"], change["id"], change["op"], change.get("data"))
    except (DomainError, Http404, PermissionDenied) as error:
        _park(app, change, error)
        return "parked"


def receive(app: ExchangeApp, changes: list[dict], *, through: int, head: int, pending: int,
            oldest_pending_at=None, request=None) -> dict:  # fmt: skip
    """Apply a pushed batch (changes in increasing `seq`, all at most `through`) and answer how far it got."""
    actor = actor_of(app, request)
    SyncState.objects.get_or_create(app=app)
    counts = {"applied": 0, "parked": 0, "skipped": 0}
    with transaction.atomic():
        state = SyncState.objects.select_for_update().get(app=app)
        for change in changes:
            if change["seq"] <= state.applied_seq:
                counts["skipped"] += 1
                continue
            counts[_one(app, actor, change)] += 1
            state.applied_seq = change["seq"]
        state.applied_seq = max(state.applied_seq, through)
        state.applied_total += counts["applied"]
        state.parked_total += counts["parked"]
        state.sender_head, state.sender_pending, state.oldest_pending_at = head, pending, oldest_pending_at
        if counts["applied"] or counts["parked"]:
            state.last_applied_at = timezone.now()
        state.save()
    return {"applied_through": state.applied_seq, **counts}


# --- A person's decision on a conflict ---------------------------------------------------------------


@transaction.atomic
def retry(actor: Actor, conflict_id: int) -> SyncConflict:
    """Apply the conflict's latest state again (after the registries were put right)."""
    conflict = get_for_action(
        SyncConflict.objects.select_related("app"), actor.user, "exchange.change_syncconflict", lock=True,
        pk=conflict_id,
    )  # fmt: skip
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict("该冲突已处理", {"status": conflict.get_status_display()})
    app = conflict.app
    try:
        with transaction.atomic():
            _apply(app, actor_of(app), conflict.resource, conflict.object_id, conflict.op, conflict.data)
    except (DomainError, Http404, PermissionDenied) as error:
        message = error.message if isinstance(error, DomainError) else "记录不在范围内"
        raise Conflict(f"仍不能应用：{message}", code=getattr(error, "code", "not_found")) from None
    _close(actor, conflict, ConflictStatus.RESOLVED, "重试后已应用")
    return conflict


@transaction.atomic
def dismiss(actor: Actor, conflict_id: int, note: str) -> SyncConflict:
    conflict = get_for_action(
        SyncConflict.objects, actor.user, "exchange.change_syncconflict", lock=True, pk=conflict_id
    )
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict("该冲突已处理", {"status": conflict.get_status_display()})
    note = (note or "").strip()
    if not note:
        raise FieldErrors({"note": "请填写忽略的原因"})
    _close(actor, conflict, ConflictStatus.DISMISSED, note)
    return conflict


def _close(actor: Actor, conflict: SyncConflict, status: str, note: str) -> None:
    conflict.status, conflict.note = status, note[:200]
    conflict.resolved_by, conflict.resolved_at = actor.db_user, timezone.now()
    conflict.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    audit.record(
        actor, AuditAction.UPDATE, conflict, changes={"status": [ConflictStatus.OPEN, status], "note": ["", note]}
    )


def summary(conflict: SyncConflict) -> str:
    """What a conflict's row is, for the page, with the ID number masked (its full value is in the county's
    registry and, once applied, in this one's, where a reveal is audited)."""
    data = conflict.data or {}
    if conflict.resource == "elders":
        return (
            f"{data.get('name', '')} {masking.mask_id_number(data.get('id_number', ''))} {data.get('region_code', '')}"
        )
    if conflict.resource == "assessments":
        return f"老人 #{data.get('elder_id', '')} 评估于 {data.get('assessed_on', '')}"
    if conflict.resource == "facilities":
        return f"{data.get('name', '')}（{data.get('code', '')}）"
    if conflict.resource == "residences":
        return (
            f"老人 #{data.get('elder_id', '')} 入住机构 #{data.get('facility_id', '')} 于 {data.get('admitted_on', '')}"
        )
    return ""
