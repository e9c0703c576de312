"""REST API for imports (/api/v1/imports): upload a file, follow the job, read its row errors."""

from datetime import datetime

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core.api import ErrorOut
from yiyang.core.audit import Actor, Interface

from . import services

router = Router(tags=["数据导入"])


class RowErrorOut(Schema):
    row: int
    column: str
    reason: str


class ImportJobOut(Schema):
    id: int
    kind: str
    filename: str
    status: str
    processed: int
    created: int
    updated: int
    error_count: int
    errors: list[RowErrorOut]
    message: str
    created_at: datetime
    finished_at: datetime | None


@router.post(
    "/{kind}",
    response={202: ImportJobOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="上传 .xlsx/.csv 并在后台导入（kind：elders、facilities、regions）",
)
def upload(request, kind: str, file: File[UploadedFile]):
    job = services.start_import(Actor.from_request(request, Interface.API), kind, file)
    job.refresh_from_db()
    return Status(202, job)


@router.get("/jobs/{job_id}", response={200: ImportJobOut, 404: ErrorOut}, summary="导入进度与错误明细")
def get_job(request, job_id: int):
    return services.job_for(request.user, job_id)
