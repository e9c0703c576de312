"""REST API of visits (/api/v1/visits): the phone app's assignment download, visit upload and photos."""

from datetime import date, datetime

from django.http import Http404
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core.api import ErrorOut
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import has_permission, home_region
from yiyang.regions.services import requested_region

from . import reports, services, sync

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
