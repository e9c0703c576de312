"""The open exchange API: signed requests of linked systems (docs/exchange.md). No signed-in user or bearer token
reaches these routes; each is authenticated by the app's signature (signed.py)."""

from datetime import date, datetime
from typing import Any

from django.db.models import F
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ValidationError

from yiyang.core.api import ErrorOut, validation_fields
from yiyang.core.errors import FieldErrors

from . import feed, metadata, sync, writes
from .models import ChangeOp, ExchangeApp
from .signed import SignedApp, note_error, require_right

router = Router(tags=["互联互通"], auth=SignedApp())
MAX_VERSION = 2**31 - 1  # fits the stored integer on every database
SIGNED_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class MeOut(Schema):
    key_id: str
    name: str
    region_code: str
    facility_code: str | None
    read_resources: list[str]
    write_resources: list[str]
    window_seconds: int
    rate_per_minute: int


@router.get("/me", response={200: MeOut, **SIGNED_ERRORS}, summary="本应用的范围与权限（用于验证签名）")
def me(request):
    app: ExchangeApp = request.exchange_app
    return {
        "key_id": app.key_id, "name": app.name, "region_code": app.region_code,
        "facility_code": app.facility.code if app.facility else None, "read_resources": app.read_resources,
        "write_resources": app.write_resources, "window_seconds": app.window_seconds,
        "rate_per_minute": app.rate_per_minute,
    }  # fmt: skip


class ChangeOut(Schema):
    seq: int
    resource: str
    id: str
    op: str
    at: str
    data: dict | None


class FeedOut(Schema):
    changes: list[ChangeOut]
    next_cursor: int
    more: bool
    settling: bool


@router.get(
    "/feed",
    response={200: FeedOut, **SIGNED_ERRORS},
    summary="变更订阅：按序号读取 cursor 之后的变更（每页最多 10000 条），以 next_cursor 继续",
)
def changes(request, cursor: int = 0, limit: int = feed.DEFAULT_PAGE, resources: str = ""):
    app: ExchangeApp = request.exchange_app
    names = [n for n in (r.strip() for r in resources.split(",")) if n] or list(app.read_resources)
    for name in names:
        require_right(app, name, write=False, target=request.get_full_path())
    page = feed.read(app.user, min(max(cursor, 0), feed.MAX_CURSOR), limit, names)
    ExchangeApp.objects.filter(pk=app.pk).update(changes_read=F("changes_read") + len(page.changes))
    return page.__dict__


class ResidenceIn(Schema):
    external_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1, le=MAX_VERSION)
    facility: str | None = Field(None, max_length=32, description="机构编码；限定机构的应用可省略")
    id_number: str = Field(min_length=15, max_length=18)
    admitted_on: date
    left_on: date | None = None
    bed_number: str = Field("", max_length=20)
    # For a newcomer the facility does not see yet: the name on the ID card, checked against the register,
    # and, for a person on no register, where the household is (a community code) and a phone.
    name: str | None = Field(None, max_length=50, description="新入住：身份证上的姓名（与登记的姓名核对）")
    region_code: str | None = Field(
        None, max_length=12, description="新入住且未登记：户籍所在社区代码，默认机构所在社区"
    )
    phone: str | None = Field(None, max_length=20)


class BedsIn(Schema):
    external_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1, le=MAX_VERSION)
    facility: str | None = Field(None, max_length=32)
    beds_total: int = Field(ge=0)
    beds_nursing: int = Field(ge=0)


class StaffIn(Schema):
    external_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1, le=MAX_VERSION)
    facility: str | None = Field(None, max_length=32)
    name: str = Field(min_length=1, max_length=50)
    role: str = Field(max_length=16, description="carer、nurse、doctor、social_worker、manager 等")
    phone: str = Field("", max_length=20)
    education: str = Field("", max_length=16)
    hired_on: date | None = None
    left_on: date | None = None
    is_director: bool = False
    is_full_time: bool = True
    trained_junior_standard: bool = False


class BatchIn(Schema):
    # Any JSON per record: each is checked on its own, so one malformed record does not refuse the batch.
    records: list[Any] = Field(max_length=writes.MAX_BATCH)
    dry_run: bool = False


class ResultOut(Schema):
    external_id: str
    status: str
    id: str | None = None
    code: str = ""
    message: str = ""
    fields: dict[str, str] = {}


class BatchOut(Schema):
    results: list[ResultOut]
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    refused: int


BATCH_RESPONSES = {200: BatchOut, 404: BatchOut, 409: BatchOut, 401: ErrorOut, 403: ErrorOut, 422: BatchOut | ErrorOut,
                   429: ErrorOut}  # fmt: skip


def _batch(request, resource: str, schema, payload: BatchIn):
    app: ExchangeApp = request.exchange_app
    require_right(app, resource, write=True, target=request.get_full_path())
    parsed, early = [], {}
    for index, raw in enumerate(payload.records):
        try:
            parsed.append((index, schema.model_validate(raw).model_dump(exclude_unset=True)))
        except ValidationError as exc:
            external_id = str(raw.get("external_id", "")) if isinstance(raw, dict) else ""
            fields = {k: str(v) for k, v in validation_fields(exc.errors()).items()}
            early[index] = writes.Result(external_id, "invalid", None, "invalid", "记录格式有误", fields)
    done = writes.upsert(app, resource, [r for _, r in parsed], dry_run=payload.dry_run, request=request)
    by_index = dict(zip((i for i, _ in parsed), done, strict=True)) | early
    results = [by_index[i] for i in range(len(payload.records))]
    if not payload.dry_run:
        if early:
            ExchangeApp.objects.filter(pk=app.pk).update(records_refused=F("records_refused") + len(early))
        for r in results:
            if r.status in writes.SEVERITY:
                note_error(app, r.code or r.status, f"{r.external_id}: {r.message}", request.path)
    body = {
        "results": [r.__dict__ for r in results],
        "dry_run": payload.dry_run,
        **{name: sum(r.status == name for r in results) for name in ("created", "updated", "unchanged")},
        "refused": sum(r.status in writes.SEVERITY for r in results),
    }
    return Status(writes.batch_status(results), body)


@router.post(
    "/residences",
    response=BATCH_RESPONSES,
    summary="入住与离开（按 external_id 与 version 幂等写入；dry_run 只校验不写入）",
)
def residences(request, payload: BatchIn):
    return _batch(request, "residences", ResidenceIn, payload)


@router.post("/beds", response=BATCH_RESPONSES, summary="机构床位数（按 external_id 与 version 幂等写入）")
def beds(request, payload: BatchIn):
    return _batch(request, "beds", BedsIn, payload)


@router.post("/staff", response=BATCH_RESPONSES, summary="机构从业人员（按 external_id 与 version 幂等写入）")
def staff(request, payload: BatchIn):
    return _batch(request, "staff", StaffIn, payload)


class SyncChangeIn(Schema):
    seq: int = Field(ge=1)
    resource: str
    id: str = Field(min_length=1, max_length=40)
    op: str
    data: dict | None = None


class SyncIn(Schema):
    changes: list[SyncChangeIn] = Field(max_length=sync.MAX_CHANGES)
    through: int = Field(ge=0, description="发送方本批读到的最大序号（含未发送的重复变更）")
    head: int = Field(0, ge=0)
    pending: int = Field(0, ge=0)
    oldest_pending_at: datetime | None = None


class SyncOut(Schema):
    applied_through: int
    applied: int
    parked: int
    skipped: int


@router.post(
    "/sync",
    response={200: SyncOut, **SIGNED_ERRORS},
    summary="下级颐养平台推送变更（按序号应用，重复推送不会重复写入；不能自动应用的进入冲突待处理）",
)
def push(request, payload: SyncIn):
    app: ExchangeApp = request.exchange_app
    require_right(app, "sync", write=True, target=request.get_full_path())
    errors = {}
    previous = 0
    for index, change in enumerate(payload.changes):
        if change.resource not in sync.SYNCED:
            errors[f"changes.{index}.resource"] = f"不能同步的数据：{change.resource}"
        if change.op not in ChangeOp.values:
            errors[f"changes.{index}.op"] = "应为 upsert、exit 或 delete"
        if change.seq <= previous or change.seq > payload.through:
            errors[f"changes.{index}.seq"] = "序号应递增且不大于 through"
        previous = change.seq
    if errors:
        raise FieldErrors(errors)
    changes = [c.model_dump() for c in payload.changes]
    return sync.receive(
        app, changes, through=payload.through, head=payload.head, pending=payload.pending,
        oldest_pending_at=payload.oldest_pending_at, request=request,
    )  # fmt: skip


class MetaSetOut(Schema):
    name: str
    version: str
    regions: list[str]
    rows: list[dict]


class MetadataOut(Schema):
    sets: list[MetaSetOut]


@router.get(
    "/metadata",
    response={200: MetadataOut, **SIGNED_ERRORS},
    summary="上级平台下发的数据集（服务菜单、检查表、目标考核）；have=名称:版本,… 只返回有变化的数据集",
)
def published_sets(request, have: str = ""):
    app: ExchangeApp = request.exchange_app
    require_right(app, "sync", write=True, target=request.get_full_path())
    versions = dict(part.split(":", 1) for part in have.split(",") if ":" in part)
    return {"sets": metadata.published(app.region_code, versions)}
