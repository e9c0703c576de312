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
import logging

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from yiyang.core import audit, dates, idnumber, masking
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, DomainError, FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.regioncodes import contains
from yiyang.core.scoping import get_for_action
from yiyang.elders import services as elder_services
from yiyang.elders.models import Elder
from yiyang.facilities import services as facility_services
from yiyang.facilities.models import Residence

from .models import ChangeOp, ConflictStatus, ExchangeApp, ExternalRecord, SyncConflict, SyncState
from .writes import actor_of

logger = logging.getLogger(__name__)
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
    # The contact list replaces the city's when sent; a sender that sends none (an older Yiyang) keeps it.
    contacts = data.get("contacts")
    if contacts is not None and not (isinstance(contacts, list) and all(isinstance(c, dict) for c in contacts)):
        raise FieldErrors({"contacts": "应为联系人列表"})
    if ref is not None:
        return str(elder_services.update_elder(actor, int(ref.object_id), values, contacts).pk)
    try:
        return str(elder_services.register_elder(actor, values, contacts).pk)
    except Conflict:
        # Like a person's registration, the refusal says only that the number is registered, never where.
        raise Parked(
            "该身份证号码已在本平台登记：请核实是否同一老人；是则「关联到已有老人」，否则请两地核实后处理",
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


def _date(data: dict, name: str):
    try:
        return dates.parse(data.get(name))
    except (ValueError, TypeError):
        raise FieldErrors({name: f"不是日期：{data.get(name)!r}"[:100]}) from None


def _residence(actor: Actor, app: ExchangeApp, data: dict, ref: ExternalRecord | None) -> str:
    left_on, admitted_on = _date(data, "left_on"), _date(data, "admitted_on")
    if admitted_on is None:
        raise FieldErrors({"admitted_on": "必填"})
    if ref is None:
        facility_id = _local(app, "facilities", data.get("facility_id"), "该入住记录的机构")
        elder_id = _local(app, "elders", data.get("elder_id"), "该入住记录的老人")
        residence = facility_services.admit(
            actor, facility_id, elder_id, admitted_on, str(data.get("bed_number") or "")
        )
    else:
        residence = Residence.objects.visible_to(actor.user, "view").filter(pk=ref.object_id).first()
        if residence is None:
            raise Parked("本平台的入住记录已不存在", code="missing")
        # The registry records a stay's discharge once; any other change of a known stay waits for a person
        # instead of being acknowledged and dropped.
        unsupported = {"admitted_on": admitted_on != residence.admitted_on,
                       "bed_number": str(data.get("bed_number") or "") != residence.bed_number,
                       "left_on": residence.left_on is not None and left_on != residence.left_on}  # fmt: skip
        if changed := [name for name, differs in unsupported.items() if differs]:
            raise Parked(f"入住记录的 {'、'.join(changed)} 在下级平台被修改，本平台不能自动更改：请人工核实",
                         code="unsupported_change")  # fmt: skip
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


def _region_of(app: ExchangeApp, data) -> str:
    """The row's region for scoping its conflict: the pushed one only where it lies inside the app's own
    region (a sender cannot place its conflicts in another county's list, or outside every list)."""
    region = str((data or {}).get("region_code") or "") if isinstance(data, dict) else ""
    return region if len(region) == 12 and region.isdigit() and contains(app.region_code, region) else app.region_code


def _park(app: ExchangeApp, change: dict, error: Exception) -> None:
    region = _region_of(app, change.get("data"))
    if isinstance(error, DomainError):
        code, message = error.code, error.message
        if error.fields:
            message += "：" + "；".join(f"{k} {v}" for k, v in error.fields.items())
    elif isinstance(error, (Http404, PermissionDenied)):
        code, message = "not_found", "记录不在该下级平台的范围内，或本平台没有对应的区划、机构"
    else:
        # Malformed content the registries did not expect (a list for a date, text for a number): kept for
        # a person, so that one bad row never stops the link.
        logger.warning("sync: %s %s not applied: %r", change["resource"], change["id"], error)
        code, message = "invalid", f"内容格式有误，未能应用（{error.__class__.__name__}）"
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
    except Exception as error:  # noqa: BLE001 (every failure of one row is parked; see _park)
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


def _open_conflict(actor: Actor, conflict_id: int) -> SyncConflict:
    """The conflict, locked, if the actor may decide it (404 outside the scope) and it is still open."""
    conflict = get_for_action(
        SyncConflict.objects.select_related("app"), actor.user, "exchange.change_syncconflict", lock=True,
        pk=conflict_id,
    )  # fmt: skip
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict("该冲突已处理", {"status": conflict.get_status_display()})
    return conflict


@transaction.atomic
def retry(actor: Actor, conflict_id: int) -> SyncConflict:
    """Apply the conflict's latest state again (after the registries were put right)."""
    conflict = _open_conflict(actor, conflict_id)
    app = conflict.app
    try:
        with transaction.atomic():
            _apply(app, actor_of(app), conflict.resource, conflict.object_id, conflict.op, conflict.data)
    except Exception as error:  # noqa: BLE001 (the conflict stays open with the reason)
        message = error.message if isinstance(error, DomainError) else "记录不在范围内或内容格式有误"
        raise Conflict(f"仍不能应用：{message}", code=getattr(error, "code", "invalid")) from None
    _close(actor, conflict, ConflictStatus.RESOLVED, "重试后已应用")
    return conflict


@transaction.atomic
def link_existing(actor: Actor, conflict_id: int) -> SyncConflict:
    """For an ID number already registered here: the officer, who sees the existing elder, confirms it is
    the same person; the lower platform's record is linked to it, without overwriting it. Later changes
    from the lower platform then update that elder where its account may change it (else they wait here)."""
    conflict = _open_conflict(actor, conflict_id)
    if conflict.code != "duplicate_id_number":
        raise Conflict("只有「身份证号码已登记」的待处理冲突可以关联", {"code": conflict.code})
    number = idnumber.normalize(str((conflict.data or {}).get("id_number") or ""))
    existing = Elder.objects.visible_to(actor.user, "view").filter(id_number=number).first()
    if existing is None:
        raise Conflict("您的范围内没有这个身份证号码的老人，请由上级民政部门处理", code="not_found")
    ExternalRecord.objects.create(
        app=conflict.app, county_code=conflict.app.county_code, resource="elders", external_id=conflict.object_id,
        version=1, content_hash=_digest(conflict.data), object_id=str(existing.pk),
    )  # fmt: skip
    _close(actor, conflict, ConflictStatus.RESOLVED, f"经核实为同一人，关联到本平台已有记录 #{existing.pk}")
    return conflict


@transaction.atomic
def dismiss(actor: Actor, conflict_id: int, note: str) -> SyncConflict:
    conflict = _open_conflict(actor, conflict_id)
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
