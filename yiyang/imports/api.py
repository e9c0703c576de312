"""REST API for imports (/api/v1/imports): upload a file, read its preview, confirm, follow the job,
resume it when its worker stopped, read its refused rows."""

import json
from datetime import datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core.api import ErrorOut
from yiyang.core.audit import Actor, Interface
from yiyang.core.errors import FieldErrors

from . import services

router = Router(tags=["数据导入"])


class RowErrorOut(Schema):
    row: int
    serial: str = ""
    name: str = ""
    identifier: str = ""
    column: str
    value: str = ""
    reason: str


class FieldCountOut(Schema):
    field: str
    column: str
    count: int


class ChangeOut(Schema):
    field: str
    column: str
    old: str
    new: str


class SampleOut(Schema):
    row: int
    serial: str = ""
    name: str = ""
    changes: list[ChangeOut]


class FieldChoiceOut(Schema):
    field: str
    column: str


class MappingIn(Schema):
    mapping: dict[str, str]


class PreviewOut(Schema):
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    fields: list[FieldCountOut] = []
    samples: list[SampleOut] = []
    absent_columns: list[str] = []
    extra_columns: list[str] = []
    unknown_columns: list[str] = []
    missing_columns: list[str] = []
    mapping: dict[str, str] = {}
    mappable: list[FieldChoiceOut] = []
    notes: list[str] = []


class ImportJobOut(Schema):
    id: int
    kind: str
    filename: str
    status: str
    status_label: str
    total_rows: int | None
    processed: int
    percent: int | None
    created: int
    updated: int
    unchanged: int
    error_count: int
    errors: list[RowErrorOut]
    preview: PreviewOut | None
    message: str
    created_at: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None


def _out(request, job) -> dict:
    status, label = services.shown_status(job)
    return {
        **{name: getattr(job, name) for name in ("id", "kind", "filename", "total_rows", "processed", "percent",
                                                  "created", "updated", "unchanged", "error_count", "message",
                                                  "created_at", "confirmed_at", "finished_at")},
        "status": status,
        "status_label": label,
        "errors": services.error_rows(request.user, job, services.SHOWN_ERRORS),
        "preview": services.preview_for(request.user, job) if job.preview else None,
    }  # fmt: skip


@router.post(
    "/{kind}",
    response={202: ImportJobOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="上传 .xlsx/.csv：先在后台预览，确认后导入（kind：elders、facilities、regions；confirm=true 预览后直接导入）",
)
def upload(request, kind: str, file: File[UploadedFile], confirm: bool = False, mapping: Form[str] = ""):
    """`mapping` (a form field holding a JSON object {header: field, or "" to ignore}) maps headers no synonym
    knows; it is kept for the region's later files (see the preview's `unknown_columns` and `mappable`)."""
    given = None
    if mapping:
        try:
            given = json.loads(mapping)
        except ValueError:
            raise FieldErrors({"mapping": "应为 JSON 对象：{表头: 对应列的字段名，或空字符串表示忽略}"}) from None
    job = services.start_import(Actor.from_request(request, Interface.API), kind, file, confirm=confirm, mapping=given)
    job.refresh_from_db()
    return Status(202, _out(request, job))


@router.get("/jobs/{job_id}", response={200: ImportJobOut, 404: ErrorOut}, summary="预览、导入进度与错误明细")
def get_job(request, job_id: int):
    return _out(request, services.job_for(request.user, job_id))


@router.post(
    "/jobs/{job_id}/confirm",
    response={202: ImportJobOut, 404: ErrorOut, 409: ErrorOut},
    summary="确认预览结果并开始导入",
)
def confirm_job(request, job_id: int):
    job = services.confirm_import(Actor.from_request(request, Interface.API), job_id)
    return Status(202, _out(request, job))


@router.post(
    "/jobs/{job_id}/mapping",
    response={202: ImportJobOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="为未识别的表头指定对应的列（或忽略），保存供本地区以后使用，并重新预览",
)
def map_job_columns(request, job_id: int, payload: MappingIn):
    job = services.map_columns(Actor.from_request(request, Interface.API), job_id, payload.mapping)
    return Status(202, _out(request, job))


@router.post(
    "/jobs/{job_id}/resume",
    response={202: ImportJobOut, 404: ErrorOut, 409: ErrorOut},
    summary="继续已中断的导入（从最后提交的批次之后接着进行）",
)
def resume_job(request, job_id: int):
    job = services.resume_import(Actor.from_request(request, Interface.API), job_id)
    return Status(202, _out(request, job))


@router.post(
    "/jobs/{job_id}/cancel",
    response={200: ImportJobOut, 404: ErrorOut, 409: ErrorOut},
    summary="取消待确认或已中断的导入",
)
def cancel_job(request, job_id: int):
    return _out(request, services.cancel_import(Actor.from_request(request, Interface.API), job_id))
