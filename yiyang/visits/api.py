"""REST API of visits (/api/v1/visits): the phone app's assignment download, visit upload and photos."""

import uuid
from datetime import date, datetime

from django.http import Http404
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core.api import ErrorOut
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404, has_permission, home_region
from yiyang.regions.services import requested_region

from . import reports, services, sync
from .models import Referral, Visit

router = Router(tags=["探访关爱"])


class VisitorOut(Schema):
    id: int
    name: str
    kind: str


class TargetOut(Schema):
    target_id: int
    elder_id: int
    name: str
    sex: str
    age: int
    region_code: str
    address: str
    phone: str
    tier: str
    reason: str
    next_due: date | None
    event_due_at: datetime | None
    last_visit_at: datetime | None


class AssignmentsOut(Schema):
    cursor: int
    full: bool
    visitor: VisitorOut
    changed: list[TargetOut]
    removed: list[int]


@router.get(
    "/assignments",
    response={200: AssignmentsOut, 404: ErrorOut},
    summary="探访人下载本人的探访名单（增量：since 为上次的 cursor，返回变更与移出）",
)
def assignments(request, since: int = 0):
    return sync.assignments(_actor(request), max(since, 0))


class ItemResultOut(Schema):
    id: str
    status: str
    version: int | None = None
    message: str = ""
    fields: dict[str, str] = {}


class SyncIn(Schema):
    items: list[dict]


class SyncOut(Schema):
    results: list[ItemResultOut]
    created: int
    updated: int
    unchanged: int


@router.post(
    "/sync",
    response={200: SyncOut, 404: SyncOut | ErrorOut, 409: SyncOut, 422: SyncOut | ErrorOut},
    summary="上传探访记录（批量、幂等：同一编号同一内容重复上传不变；修改须注明所依据的版本，否则记为冲突）",
)
def upload(request, payload: SyncIn):
    results = sync.upload(_actor(request), payload.items)
    body = {
        "results": [r.__dict__ for r in results],
        **{name: sum(r.status == name for r in results) for name in ("created", "updated", "unchanged")},
    }
    return Status(sync.batch_status(results), body)


class PhotoOut(Schema):
    sha256: str
    created: bool


@router.get("/{visit_id}/photos", response={200: list[str], 404: ErrorOut}, summary="已上传照片的 SHA-256")
def photos(request, visit_id: str):
    return sync.photo_hashes(request.user, visit_id)


@router.post(
    "/{visit_id}/photos",
    response={200: PhotoOut, 201: PhotoOut, 404: ErrorOut, 422: ErrorOut},
    summary="上传探访照片（按 SHA-256 去重；非图片或超过 5 MB 拒收并说明原因）",
)
def add_photo(request, visit_id: str, sha256: Form[str], file: File[UploadedFile] = None):
    photo, created = sync.add_photo(_actor(request), visit_id, sha256, file)
    return Status(201 if created else 200, {"sha256": photo.sha256, "created": created})


class ReferralIn(Schema):
    kind: str
    note: str = ""
    item_id: int | None = None  # a home-care order's service item
    program_id: int | None = None  # an allowance application's program
    alarm_kind: str = "sos"  # an alarm's kind (sos, fall, health, gas, smoke, water_leak)


class ReferralOut(Schema):
    id: int
    visit_id: str
    kind: str
    kind_label: str
    status: str
    note: str
    outcome: str
    order_id: int | None
    renovation_id: int | None
    allowance_id: int | None
    alarm_id: int | None
    created_at: datetime


def _visit_key(raw: str) -> uuid.UUID:
    # Not a visit's id names no visit: the same answer as a visit out of scope.
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Http404 from None


def _referral_out(r) -> dict:
    return {"id": r.pk, "visit_id": str(r.visit_id), "kind": r.kind, "kind_label": r.get_kind_display(),
            "status": r.status, "note": r.note, "outcome": r.outcome, "order_id": r.order_id,
            "renovation_id": r.renovation_id, "allowance_id": r.allowance_id, "alarm_id": r.alarm_id,
            "created_at": r.created_at}  # fmt: skip


@router.get("/{visit_id}/referrals", response={200: list[ReferralOut], 404: ErrorOut},
            summary="探访记录的转办及其去向（工单、改造申请、补贴申请、报警）")  # fmt: skip
def list_referrals(request, visit_id: str):
    visit = get_visible_or_404(Visit.objects, request.user, pk=_visit_key(visit_id))
    return [_referral_out(r) for r in Referral.objects.visible_to(request.user).filter(visit=visit)]


@router.post(
    "/{visit_id}/referrals",
    response={201: ReferralOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="将探访发现转办：homecare_order（item_id）、renovation、allowance（program_id）、alarm（alarm_kind）、other；"
    "不符合条件时 422 并说明原因（补贴申请以 rule 指明条件）",
)
def add_referral(request, visit_id: str, payload: ReferralIn):
    referral = reports.refer(_actor(request), _visit_key(visit_id), payload.kind, payload.note, payload.item_id,
                             program_id=payload.program_id, alarm_kind=payload.alarm_kind)  # fmt: skip
    return Status(201, _referral_out(referral))


class RateRowOut(Schema):
    code: str
    name: str
    targets: int
    visited: int
    overdue: int
    rate: float | None


class RateOut(Schema):
    month: date
    counted_methods: list[str]
    region: RateRowOut
    children: list[RateRowOut]


def _row(row) -> dict:
    return {**row.__dict__, "rate": row.rate}


@router.get(
    "/rate",
    response={200: RateOut, 404: ErrorOut, 422: ErrorOut},
    summary="月探访率（本区划及下级，month 为 YYYY-MM，默认本月）",
)
def rate(request, region: str = "", month: str = ""):
    # Visitors, families and providers read no region figures: the same answer as a region out of scope.
    if not has_permission(request.user, "visits.view_visittarget"):
        raise Http404
    code = requested_region(request.user, region, default=home_region)
    day = timezone.localdate().replace(day=1)
    if month:
        try:
            day = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise FieldErrors({"month": "应为年月（YYYY-MM）"}) from None
    whole, children = reports.monthly_rate(request.user, code, day)
    return {"month": day, "counted_methods": services.counted_methods(code), "region": _row(whole),
            "children": [_row(c) for c in children]}  # fmt: skip
