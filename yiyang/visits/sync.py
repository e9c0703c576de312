"""What the phone app exchanges with the server (DESIGN.md §2a): a visitor downloads only their own
assignments, as a delta with removals; visits go up in batches with ids made on the phone, so a replay
changes nothing, and an edit names the version it replaces (a stale or unversioned edit becomes a
conflict for a supervisor, never a silent overwrite); photos go up on their own, keyed by their hash."""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.masking import RevealRule, register_rule
from yiyang.core.photos import MAX_PHOTO_BYTES, photo_errors, store
from yiyang.elders.models import Elder
from yiyang.elders.services import age

from . import services
from .choices import AbsentReason, Hazard, Method, Mood, Need, Risk
from .models import AssignmentChange, Visit, VisitConflict, VisitPhoto, VisitTarget

# How far ahead of the server's clock a phone's visit time may lie (clocks of phones drift).
CLOCK_SKEW = timedelta(hours=12)
MAX_BATCH = 1000


def _assigned_visitor(user, elder: Elder) -> bool:
    return VisitTarget.objects.filter(elder=elder, exited_at__isnull=True, visitor__user=user,
                                      visitor__is_active=True).exists()  # fmt: skip


ASSIGNED_VISITOR_FINDS_ELDER = RevealRule(
    name="visits.assigned_visitor_finds_elder",
    model=Elder,
    fields=("phone", "address"),
    applies=_assigned_visitor,
    label="探访人查看所分配老人的电话和地址",
)
register_rule(ASSIGNED_VISITOR_FINDS_ELDER)


def _visitor(user):
    """The signed-in account's visitor row; 404 for anyone who is not an active visitor."""
    visitor = services.visitor_of(user)
    if visitor is None:
        raise Http404
    return visitor


def _assigned(user, visitor):
    return VisitTarget.objects.visible_to(user, "visits.record_visit").filter(visitor=visitor, exited_at__isnull=True)


# --- Download ---------------------------------------------------------------------------------------


def target_payload(target: VisitTarget, today: date) -> dict:
    elder = target.elder
    return {
        "target_id": target.pk,
        "elder_id": elder.pk,
        "name": elder.name,
        "sex": elder.sex,
        "age": age(elder, today),
        "region_code": target.region_code,
        "address": elder.address,
        "phone": elder.phone,
        "tier": target.tier,
        "reason": target.reason,
        "next_due": target.next_due,
        "event_due_at": target.event_due_at,
        "last_visit_at": target.last_visit_at,
    }


def assignments(actor: Actor, since: int | None = None) -> dict:
    """The visitor's own targets: all of them (`since` empty or 0), or those changed after the cursor
    together with the ids of those taken away. The answer's cursor is the next `since`.

    The phone needs the address and the phone number of the elders it visits: they are shown in full
    under the rule `visits.assigned_visitor_finds_elder`, with one audit entry per download naming the
    elders."""
    user = actor.user
    visitor = _visitor(user)
    cursor = AssignmentChange.objects.filter(visitor=visitor).aggregate(m=Max("id"))["m"] or 0
    mine = _assigned(user, visitor).select_related("elder")
    if not since:
        changed, removed = list(mine.order_by("id")), []
    else:
        touched = set(
            AssignmentChange.objects.filter(visitor=visitor, id__gt=since, id__lte=cursor).values_list(
                "target_id", flat=True
            )
        )
        changed = list(mine.filter(pk__in=touched).order_by("id"))
        removed = sorted(touched - {t.pk for t in changed})
    today = timezone.localdate()
    if changed:
        audit.record(actor, AuditAction.VIEW_SENSITIVE, None, object_type="elders.elder",
                     object_repr=f"{ASSIGNED_VISITOR_FINDS_ELDER.label}：{len(changed)} 人",
                     region_code=visitor.region_code,
                     changes={"rule": ASSIGNED_VISITOR_FINDS_ELDER.name, "fields": ["phone", "address"],
                              "elders": [t.elder_id for t in changed]})  # fmt: skip
    return {
        "cursor": cursor,
        "full": not since,
        "visitor": {"id": visitor.pk, "name": visitor.name, "kind": visitor.kind},
        "changed": [target_payload(t, today) for t in changed],
        "removed": removed,
    }


# --- Upload -----------------------------------------------------------------------------------------

CONTENT_FIELDS = (
    "target_id", "method", "visited_at", "lat", "lng", "accuracy_m", "elder_present", "absent_reason", "health",
    "mood", "economy", "benefits_received", "family_support", "hazards", "hygiene_housing", "needs", "needs_note",
    "risk_after", "next_visit_on",
)  # fmt: skip
TEXT_LIMIT = 2000


@dataclass
class ItemResult:
    id: str
    status: str  # created, updated, unchanged, conflict, not_found, invalid
    version: int | None = None
    message: str = ""
    fields: dict = field(default_factory=dict)


def _text(raw, name: str, errors: dict) -> str:
    text = "" if raw is None else str(raw).strip()
    if len(text) > TEXT_LIMIT:
        errors[name] = f"内容过长（最多 {TEXT_LIMIT} 字）"
    return text[:TEXT_LIMIT]


def _choice(raw, name: str, allowed, errors: dict, *, required: bool = False) -> str:
    value = "" if raw is None else str(raw)
    if not value:
        if required:
            errors[name] = "必填"
        return ""
    if value not in allowed:
        errors[name] = "不是可选值之一"
    return value


def _codes(raw, name: str, allowed, errors: dict) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or any(not isinstance(v, str) for v in raw):
        errors[name] = "应为编码列表"
        return []
    unknown = [v for v in raw if v not in allowed]
    if unknown:
        errors[name] = f"不是可选值之一：{'、'.join(unknown)}"
    return sorted(set(raw))


def _number(raw, name: str, errors: dict, low: float, high: float, *, integer: bool = False):
    if raw in (None, ""):
        return None
    try:
        value = int(raw) if integer else float(raw)
    except (TypeError, ValueError):
        errors[name] = "应为数字"
        return None
    if not low <= value <= high:
        errors[name] = "超出范围"
        return None
    return value


def clean_item(raw: dict, now: datetime) -> tuple[dict, dict]:
    """({field: value}, {field: reason}) for one uploaded visit."""
    errors: dict[str, str] = {}
    clean: dict = {}
    try:
        clean["target_id"] = int(raw.get("target_id"))
    except (TypeError, ValueError):
        errors["target_id"] = "必填"
    clean["method"] = _choice(raw.get("method"), "method", Method.values, errors, required=True)
    visited = raw.get("visited_at")
    at = parse_datetime(visited) if isinstance(visited, str) else None
    if at is None:
        errors["visited_at"] = "应为带时区的时间（ISO 8601）" if visited else "必填"
    else:
        at = at if timezone.is_aware(at) else timezone.make_aware(at)
        if at > now + CLOCK_SKEW:
            errors["visited_at"] = "探访时间晚于服务器时间，请检查手机时钟"
        clean["visited_at"] = at
    clean["lat"] = _number(raw.get("lat"), "lat", errors, -90, 90)
    clean["lng"] = _number(raw.get("lng"), "lng", errors, -180, 180)
    if (clean["lat"] is None) != (clean["lng"] is None) and "lat" not in errors and "lng" not in errors:
        errors["lng" if clean["lat"] is not None else "lat"] = "经纬度应同时填写"
    clean["accuracy_m"] = _number(raw.get("accuracy_m"), "accuracy_m", errors, 0, 100_000, integer=True)
    present = raw.get("elder_present", True)
    if not isinstance(present, bool):
        errors["elder_present"] = "应为是或否"
    clean["elder_present"] = bool(present)
    clean["absent_reason"] = _choice(raw.get("absent_reason"), "absent_reason", AbsentReason.values, errors)
    if not clean["elder_present"] and not clean["absent_reason"] and "absent_reason" not in errors:
        errors["absent_reason"] = "未见到老人时请选择原因"
    if clean["elder_present"]:
        clean["absent_reason"] = ""
    for name in ("health", "economy", "family_support", "hygiene_housing", "needs_note"):
        clean[name] = _text(raw.get(name), name, errors)
    clean["mood"] = _choice(raw.get("mood"), "mood", Mood.values, errors)
    benefits = raw.get("benefits_received")
    if benefits is not None and not isinstance(benefits, bool):
        errors["benefits_received"] = "应为是或否"
        benefits = None
    clean["benefits_received"] = benefits
    clean["hazards"] = _codes(raw.get("hazards"), "hazards", Hazard.values, errors)
    clean["needs"] = _codes(raw.get("needs"), "needs", Need.values, errors)
    clean["risk_after"] = _choice(raw.get("risk_after"), "risk_after", Risk.values, errors, required=True)
    next_on = raw.get("next_visit_on")
    clean["next_visit_on"] = None
    if next_on not in (None, ""):
        parsed = parse_date(next_on) if isinstance(next_on, str) else None
        if parsed is None:
            errors["next_visit_on"] = "应为日期（YYYY-MM-DD）"
        clean["next_visit_on"] = parsed
    return clean, errors


def body_hash(clean: dict) -> str:
    """The SHA-256 of a visit's content in one canonical form (times in UTC): the same visit sent twice,
    whatever the phone's key order or time zone, has one hash."""

    def plain(value):
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return value

    canonical = json.dumps({k: plain(clean[k]) for k in CONTENT_FIELDS}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _apply_to_target(target: VisitTarget, visit: Visit) -> None:
    """A visit moves the target's last visit, next due date and counted day, and meets an event's deadline."""
    if target.last_visit_at is None or visit.visited_at > target.last_visit_at:
        target.last_visit_at = visit.visited_at
    if target.event_due_at:
        rule = services.cadence(target.region_code, target.tier)
        if visit.visited_at >= target.event_due_at - timedelta(hours=rule.event_hours or 24):
            target.event_due_at = None
    day = timezone.localdate(visit.visited_at)
    if visit.counts and (target.last_counted_on is None or day > target.last_counted_on):
        target.last_counted_on = day
    target.next_due = services.next_due(target) if target.exited_at is None else None
    if target.next_due and visit.next_visit_on and visit.visited_at == target.last_visit_at:
        target.next_due = min(target.next_due, visit.next_visit_on)
    target.save()
    if target.visitor_id:
        AssignmentChange.objects.create(county_code=target.county_code, region_code=target.region_code,
                                        visitor_id=target.visitor_id, target=target)  # fmt: skip


def _fields_of(clean: dict) -> dict:
    return {k: v for k, v in clean.items() if k != "target_id"}


def _create(actor: Actor, visitor, target: VisitTarget, visit_id: uuid.UUID, clean: dict, digest: str) -> Visit:
    visit = Visit.objects.create(
        id=visit_id, version=1, body_hash=digest, target=target, elder_id=target.elder_id,
        region_code=target.region_code, county_code=target.county_code, visitor=visitor,
        visitor_kind=visitor.kind, counts=clean["method"] in services.counted_methods(target.region_code),
        recorded_by=actor.db_user, received_at=timezone.now(), **_fields_of(clean),
    )  # fmt: skip
    _apply_to_target(target, visit)
    audit.record(actor, AuditAction.CREATE, visit, object_repr=f"探访记录 {visit}")
    return visit


def _edit(actor: Actor, visit: Visit, clean: dict, digest: str) -> Visit:
    before = {k: getattr(visit, k) for k in _fields_of(clean)}
    for name, value in _fields_of(clean).items():
        setattr(visit, name, value)
    visit.version += 1
    visit.body_hash = digest
    visit.counts = visit.method in services.counted_methods(visit.region_code)
    visit.received_at = timezone.now()
    visit.save()
    target = VisitTarget.objects.select_for_update().get(pk=visit.target_id)
    _apply_to_target(target, visit)
    audit.record(actor, AuditAction.UPDATE, visit, changes=audit.diff(before, _fields_of(clean)))
    return visit


def _conflict(actor: Actor, visit: Visit, raw: dict, base_version) -> VisitConflict:
    conflict = VisitConflict.objects.create(
        visit=visit, region_code=visit.region_code, county_code=visit.county_code, base_version=base_version,
        stored_version=visit.version, body=raw, submitted_by=actor.db_user,
    )  # fmt: skip
    audit.record(actor, AuditAction.UPDATE, visit, object_repr=f"探访记录冲突（依据版本 {base_version}，"
                 f"服务器版本 {visit.version}）", changes={"conflict": conflict.pk})  # fmt: skip
    return conflict


def _base_version(raw: dict):
    value = raw.get("base_version")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return "invalid"


def upload(actor: Actor, items: list[dict]) -> list[ItemResult]:
    """Store a batch of visits, each on its own (one refused visit does not hold back the others).

    - an id not stored yet: created (version 1);
    - the same id with the same content: unchanged (a replay after a lost answer);
    - the same id with other content naming the stored version as `base_version`: an edit (version + 1);
    - other content without that version: a conflict kept for a supervisor, the stored visit untouched;
    - a target not assigned to this visitor (now or before), or another visitor's id: not found.
    """
    visitor = _visitor(actor.user)
    if len(items) > MAX_BATCH:
        raise FieldErrors({"items": f"一次最多上传 {MAX_BATCH} 条"})
    now = timezone.now()
    mine = set(
        VisitTarget.objects.visible_to(actor.user, "visits.record_visit")
        .filter(pk__in=AssignmentChange.objects.filter(visitor=visitor).values("target_id"))
        .values_list("pk", flat=True)
    )
    results = []
    for raw in items:
        results.append(_upload_one(actor, visitor, raw if isinstance(raw, dict) else {}, mine, now))
    return results


def _upload_one(actor: Actor, visitor, raw: dict, mine: set[int], now) -> ItemResult:
    try:
        visit_id = uuid.UUID(str(raw.get("id")))
    except ValueError:
        return ItemResult(str(raw.get("id") or ""), "invalid", message="记录编号应为 UUID", fields={"id": "应为 UUID"})
    key = str(visit_id)
    base = _base_version(raw)
    if base == "invalid":
        return ItemResult(key, "invalid", message="base_version 应为整数", fields={"base_version": "应为整数"})
    clean, errors = clean_item(raw, now)
    if errors:
        return ItemResult(key, "invalid", message=next(iter(errors.values())), fields=errors)
    if clean["target_id"] not in mine:
        return ItemResult(key, "not_found", message="该老人不在您的探访名单中")
    digest = body_hash(clean)
    try:
        with transaction.atomic():
            stored = Visit.objects.select_for_update().filter(pk=visit_id).first()
            if stored is None:
                if base:
                    return ItemResult(key, "invalid", message="服务器上没有这条记录，不能按版本修改",
                                      fields={"base_version": "服务器上没有这条记录"})  # fmt: skip
                target = VisitTarget.objects.select_for_update().get(pk=clean["target_id"])
                visit = _create(actor, visitor, target, visit_id, clean, digest)
                return ItemResult(key, "created", visit.version)
            if stored.visitor_id != visitor.pk:
                return ItemResult(key, "not_found", message="记录不存在")
            if stored.body_hash == digest:
                return ItemResult(key, "unchanged", stored.version)
            if stored.target_id != clean["target_id"]:
                return ItemResult(
                    key, "invalid", message="修改记录时不能更换探访对象", fields={"target_id": "不能更换"}
                )
            if base != stored.version:
                _conflict(actor, stored, raw, base)
                return ItemResult(key, "conflict", stored.version,
                                  message=f"服务器上的记录已是第 {stored.version} 版，本次修改依据"
                                          f"{'第 ' + str(base) + ' 版' if base else '的版本未注明'}，已交主管处理")  # fmt: skip
            visit = _edit(actor, stored, clean, digest)
            return ItemResult(key, "updated", visit.version)
    except IntegrityError:
        # The same id arrived twice at once: the other request stored it; answer as for a replay.
        stored = Visit.objects.filter(pk=visit_id).first()
        if stored and stored.body_hash == digest:
            return ItemResult(key, "unchanged", stored.version)
        raise


STATUS_ORDER = {"conflict": 409, "not_found": 404, "invalid": 422}


def batch_status(results: list[ItemResult]) -> int:
    """The HTTP status of a batch: 200 when every visit is stored (created, updated or unchanged), else
    the most serious refusal (409 conflict, 404 not found, 422 invalid); the body always names each."""
    for status, code in STATUS_ORDER.items():
        if any(r.status == status for r in results):
            return code
    return 200


# --- Photos ------------------------------------------------------------------------------------------


def own_visit(user, visit_id) -> Visit:
    visitor = _visitor(user)
    try:
        key = uuid.UUID(str(visit_id))
    except ValueError:
        raise Http404 from None
    visit = Visit.objects.visible_to(user, "visits.add_visitphoto").filter(pk=key, visitor=visitor).first()
    if visit is None:
        raise Http404
    return visit


def photo_hashes(user, visit_id) -> list[str]:
    return list(own_visit(user, visit_id).photos.values_list("sha256", flat=True))


@transaction.atomic
def add_photo(actor: Actor, visit_id, sha256: str, upload) -> tuple[VisitPhoto, bool]:
    """Store a photo of the visitor's own visit under its hash; (photo, created). The same photo again
    changes nothing. Not an image, too large, or bytes that do not match the hash: refused with the reason."""
    visit = own_visit(actor.user, visit_id)
    digest = (sha256 or "").strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise FieldErrors({"sha256": "应为 64 位十六进制 SHA-256"})
    existing = visit.photos.filter(sha256=digest).first()
    if existing:
        return existing, False
    if upload is None:
        raise FieldErrors({"file": "必填"})
    if errors := photo_errors([upload], "file"):
        raise FieldErrors(errors)
    hasher = hashlib.sha256()
    for chunk in upload.chunks():
        hasher.update(chunk)
    upload.seek(0)
    if hasher.hexdigest() != digest:
        raise FieldErrors({"sha256": "与照片内容不符（上传不完整？请重新上传）"})
    photo = VisitPhoto(visit=visit, sha256=digest, region_code=visit.region_code, county_code=visit.county_code,
                       size=upload.size)  # fmt: skip
    store(photo, upload)
    photo.save()
    audit.record(actor, AuditAction.CREATE, photo, object_repr=f"探访照片 {digest[:12]}")
    return photo, True


__all__ = ["MAX_PHOTO_BYTES", "add_photo", "assignments", "batch_status", "upload"]
