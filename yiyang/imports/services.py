"""Running imports as background tasks: accept an upload, preview it, import it once confirmed, resume
it when its worker died, and report progress and refused rows."""

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from yiyang.core import audit, masking, tabular
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.exports import write_xlsx
from yiyang.core.roles import SCOPE_KIND, ScopeKind, grants
from yiyang.core.scoping import get_visible_or_404, has_permission, memberships_of, region_predicate

from . import jobs
from . import mapping as column_mapping
from .kinds import KINDS, ImportKind
from .models import ColumnMapping, ImportJob, JobStatus

SHOWN_ERRORS = 1000  # refused cells listed in an API answer; the report has them all


def kind_for(user, key: str) -> ImportKind:
    kind = KINDS.get(key)
    if kind is None:
        raise Http404
    if not has_permission(user, kind.permission):
        raise PermissionDenied
    return kind


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_import(actor: Actor, key: str, upload, *, confirm: bool = False, mapping=None) -> ImportJob:
    """Check the file's size, type and header now (so the user hears at once), then queue its preview.
    The import itself waits for `confirm_import`, unless `confirm` asks for it right after the preview
    (one call for machines). `mapping` ({header: field key, or '' to ignore}) maps headers no synonym knows;
    it is kept for the region's later files."""
    kind = kind_for(actor.user, key)
    region_code = job_region(actor.user, kind)
    mapping = column_mapping.clean(kind, mapping) if mapping is not None else {}
    name = Path(upload.name or "").name[:200]
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        message = f"文件过大：{upload.size / 1048576:.1f} MB，上限 {limit} MB"
        raise FieldErrors({"file": message}, message=message)
    suffix = Path(name).suffix.lower()
    stored = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    with stored.open("wb") as out:
        for piece in upload.chunks():
            out.write(piece)
    try:
        jobs.open_file(stored, name, kind, {**column_mapping.saved(region_code, kind), **mapping})
    except tabular.TableError as exc:
        stored.unlink(missing_ok=True)
        raise FieldErrors({"file": exc.message}, message=exc.message) from None
    if mapping:
        column_mapping.save(actor.user, kind, region_code, mapping)
    job = ImportJob.objects.create(
        kind=kind.key,
        user=actor.user,
        filename=name,
        stored_path=str(stored),
        region_code=region_code,
        auto_confirm=confirm,
    )
    jobs.enqueue(job.pk, actor.ip or "", actor.interface)
    return job


def map_columns(actor: Actor, job_id: int, mapping) -> ImportJob:
    """The clerk maps the previewed file's unknown headers (or ignores them): kept for the region's later files,
    and the file previewed again with it."""
    job = job_for(actor.user, job_id)
    kind = KINDS[job.kind]
    if job.status != JobStatus.PREVIEWED:
        raise Conflict("只能为待确认的导入任务指定表头对应", {"status": job.get_status_display()})
    mapping = column_mapping.clean(kind, mapping)
    try:
        jobs.open_file(Path(job.stored_path), job.filename, kind, {**(job.mapping or {}), **mapping})
    except tabular.TableError as exc:
        raise FieldErrors({"mapping": exc.message}, message=exc.message) from None
    with transaction.atomic():
        column_mapping.save(actor.user, kind, job.region_code, mapping)
        if not jobs.preview_again(job.pk):
            raise Conflict("该导入任务不在待确认状态", {"status": job.get_status_display()})
    job.refresh_from_db()
    return job


def saved_mappings(user, kind: ImportKind):
    """The header mappings kept for the regions where the user may import this kind."""
    return (
        ColumnMapping.objects.visible_to(user, kind.permission).filter(kind=kind.key).order_by("region_code", "shown")
    )


def forget_mapping(actor: Actor, key: str, mapping_id: int) -> ColumnMapping:
    """A clerk removes a header mapping (mapped wrongly, or no longer used): later files ask again."""
    kind = kind_for(actor.user, key)
    with transaction.atomic():
        mapping = get_visible_or_404(saved_mappings(actor.user, kind).select_for_update(), actor.user,
                                     kind.permission, pk=mapping_id)  # fmt: skip
        audit.record(actor, AuditAction.DELETE, mapping, changes={"header": mapping.shown, "field": mapping.field})
        mapping.delete()
    return mapping


def confirm_import(actor: Actor, job_id: int) -> ImportJob:
    """The clerk has read the preview: import the file."""
    job = job_for(actor.user, job_id)
    if jobs.needs_mapping(job):
        missing = "、".join(job.preview["missing_columns"])
        raise Conflict(f"文件缺少必填列：{missing}；请先为表头指定对应的列", {"mapping": missing})
    with transaction.atomic():
        if not jobs.confirm(job.pk, actor.user.pk):
            raise Conflict("该导入任务不在待确认状态", {"status": job.get_status_display()})
        jobs.enqueue(job.pk, actor.ip or "", actor.interface)
    job.refresh_from_db()
    return job


def resume_import(actor: Actor, job_id: int) -> ImportJob:
    """Go on with a job whose worker stopped: from the row after its last committed chunk."""
    job = job_for(actor.user, job_id)
    with transaction.atomic():
        jobs.mark_interrupted(job)
        if not jobs.resume(job.pk):
            raise Conflict("该导入任务没有中断，无需继续", {"status": job.get_status_display()})
    job.refresh_from_db()
    return job


def cancel_import(actor: Actor, job_id: int) -> ImportJob:
    """Drop a previewed (or interrupted) job; rows already committed stay."""
    job = job_for(actor.user, job_id)
    jobs.mark_interrupted(job)
    if not jobs.cancel(job.pk):
        raise Conflict("只能取消待确认或已中断的导入任务", {"status": job.get_status_display()})
    job.refresh_from_db()
    return job


def job_region(user, kind: ImportKind) -> str:
    """The region a new job belongs to: the widest region in which the user may import this kind of data
    ('' for a platform administrator without one)."""
    codes = [
        m.region_code
        for m in memberships_of(user)
        if m.region_code and SCOPE_KIND[m.role] == ScopeKind.REGION and grants(m.role, kind.permission)
    ]
    return min(codes, default="")


def visible_jobs(user, kind: ImportKind):
    """The jobs of this kind the user may see: those of the regions where they may import it."""
    return ImportJob.objects.visible_to(user, kind.permission).filter(kind=kind.key)


def job_for(user, job_id: int) -> ImportJob:
    """A job the user may see (see `visible_jobs`); any other id answers 404."""
    key = ImportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if key not in KINDS:
        raise Http404
    return get_visible_or_404(ImportJob.objects.filter(kind=key), user, KINDS[key].permission, pk=job_id)


def shown_status(job: ImportJob) -> tuple[str, str]:
    """(status, label) as a reader should see it: a job whose worker is gone is interrupted, even
    before the watch has marked it so."""
    if jobs.worker_gone(job):
        return JobStatus.INTERRUPTED, JobStatus.INTERRUPTED.label
    return job.status, job.get_status_display()


# --- Masking per reader -------------------------------------------------------------------------


def _reveals(user, kind: ImportKind):
    """A function telling whether the user sees a row of `region_code` in full (False: mask)."""
    spec = kind.sensitive
    if spec is None:
        return lambda code: True
    return region_predicate(user, kind.model, spec.permission)


_PHONE_IN_TEXT = re.compile(r"\+?\d[\d-]{5,}\d")


def _masked(kind: ImportKind, name: str, value: str) -> str:
    spec = kind.sensitive
    if spec is None or not value:
        return value
    if name == "contacts" or (name.startswith("contact") and name.endswith("_phone")):
        # Emergency contacts' phones are masked like every phone (in the contacts' text of a preview too).
        return _PHONE_IN_TEXT.sub(lambda m: masking.mask_phone(m.group()), value)
    if name not in spec.fields:
        return value
    return str(masking.mask(spec.fields[name], value))


def preview_for(user, job: ImportJob) -> dict:
    """The job's preview with the old and new values of sensitive fields masked on the rows the user
    may not see in full."""
    kind = KINDS[job.kind]
    reveals = _reveals(user, kind)
    preview = dict(job.preview or {})
    samples = []
    for sample in preview.get("samples", []):
        full = reveals(sample.get("region_code", ""))
        changes = [
            change
            if full
            else {
                **change,
                "old": _masked(kind, change["field"], change["old"]),
                "new": _masked(kind, change["field"], change["new"]),
            }
            for change in sample["changes"]
        ]
        samples.append({**sample, "changes": changes})
    preview["samples"] = samples
    preview["mappable"] = [{"field": c.key, "column": c.header} for c in kind.columns]
    return preview


def error_rows(user, job: ImportJob, limit: int | None = None) -> list[dict]:
    """The refused cells, each with the bureau's serial number (序号) when the file has one, the
    spreadsheet row, the row's name and masked identifier, the column, the value read and the reason.
    Values of sensitive columns are masked unless the user sees the job's region in full."""
    kind = KINDS[job.kind]
    if not job.row_errors.exists() and job.errors:  # a job from before the refusals had a table
        return [
            {"row": e["row"], "serial": "", "name": "", "identifier": "", "column": e["column"], "value": "",
             "reason": e["reason"]}
            for e in job.errors[:limit]
        ]  # fmt: skip
    full = _reveals(user, kind)(job.region_code) if job.region_code else True
    keys = {c.header: c.key for c in kind.columns}
    fields = ("row", "serial", "name", "identifier", "column", "value", "reason")
    queryset = job.row_errors.values(*fields)
    rows = list(queryset[:limit] if limit else queryset.iterator(chunk_size=2000))
    if not full:
        for row in rows:
            row["value"] = _masked(kind, keys.get(row["column"], ""), row["value"])
    return rows


REPORT_HEADERS = ["序号", "行号", "姓名/名称", "证件号码/编码", "列", "读取的值", "原因"]


def error_report(user, job: ImportJob):
    """The refused rows as .xlsx (cells neutralised against formula injection by core.exports)."""
    return write_xlsx(
        REPORT_HEADERS,
        (
            [e["serial"], e["row"], e["name"], e["identifier"], e["column"], e["value"], e["reason"]]
            for e in error_rows(user, job)
        ),
        sheet_name="错误",
    )


TEMPLATE_NOTES = [
    "也可以直接上传本单位的花名册：表头上方的标题行、两行表头、表尾的合计和签名行都能识别；“也可使用的列名”一栏列出能识别的其他列名。",
    "所属社区可填写社区名称或 12 位区划代码；一个电话单元格中可填写两个号码，用“、”或“/”分开。",
    "身份证号码列须为文本格式；数值格式（如显示为 4.11002E+17）的号码可能已被 Excel 改动，会被拒绝。",
    "重复导入同一人（同一机构）时：文件中没有的列、留空的单元格都不会改动已登记的内容。",
    "如需清空已登记的某项内容，请在该单元格填写“（清空）”（全角或半角括号均可）。",
    "可增加“序号”列填写本单位的序号，错误报告将按序号标明出错的行。",
    "上传后先显示预览（新增、更新、未变和有错误的行数，以及将要修改的内容），确认后才会导入。",
]


def template(kind: ImportKind) -> bytes:
    """The import template, whose notes sheet also explains re-imports, the clearing marker and 序号."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(tabular.write_template(kind.columns, kind.examples)))
    notes = book["填写说明"] if "填写说明" in book.sheetnames else book.create_sheet("填写说明")
    for line in TEMPLATE_NOTES:
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
