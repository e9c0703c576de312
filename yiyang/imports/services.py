"""Running imports as background tasks: accept an upload, import it, report progress and row errors."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from yiyang.core import tabular
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.exports import write_xlsx
from yiyang.core.roles import SCOPE_KIND, ScopeKind, grants
from yiyang.core.scoping import get_visible_or_404, has_permission, memberships_of

from .kinds import KINDS, ImportKind
from .models import ImportJob
from .tasks import run_import


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


def start_import(actor: Actor, key: str, upload) -> ImportJob:
    """Check the file's size, type and header now (so the user hears at once), then queue the import."""
    kind = kind_for(actor.user, key)
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
        tabular.open_table(stored, name, kind.columns, max_bytes=settings.IMPORT_MAX_BYTES)
    except tabular.TableError as exc:
        stored.unlink(missing_ok=True)
        raise FieldErrors({"file": exc.message}, message=exc.message) from None
    job = ImportJob.objects.create(
        kind=kind.key,
        user=actor.user,
        filename=name,
        stored_path=str(stored),
        region_code=job_region(actor.user, kind),
    )
    transaction.on_commit(lambda: run_import.enqueue(job.pk, actor.ip or "", actor.interface))
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


def error_report(job: ImportJob):
    return write_xlsx(
        ["行号", "列", "原因"], ([e["row"], e["column"], e["reason"]] for e in job.errors), sheet_name="错误"
    )


def template(kind: ImportKind) -> bytes:
    return tabular.write_template(kind.columns, kind.examples)
