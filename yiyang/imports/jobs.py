"""Running one import job: read the stored file, import it, record the outcome and row errors."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from yiyang.core import tabular
from yiyang.core.audit import Actor, Interface
from yiyang.core.errors import DomainError

from .kinds import KINDS
from .models import ImportJob, JobStatus

MAX_STORED_ERRORS = 20_000  # the report lists this many; the count covers all


def run(job_id: int, ip: str = "", interface: str = Interface.IMPORT) -> None:
    job = ImportJob.objects.get(pk=job_id)
    if job.is_finished:
        return
    kind = KINDS[job.kind]
    actor = Actor(user=get_user_model().objects.get(pk=job.user_id), ip=ip or None, interface=interface)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)

    def progress(processed: int):
        ImportJob.objects.filter(pk=job.pk).update(processed=processed)

    path = Path(job.stored_path)
    try:
        table = tabular.open_table(path, job.filename, kind.columns, max_bytes=settings.IMPORT_MAX_BYTES)
        result = kind.run(actor, iter(table), progress)
    except (tabular.TableError, DomainError) as exc:
        _finish(job, JobStatus.FAILED, message=exc.message)
        return
    except Exception:
        _finish(job, JobStatus.FAILED, message="导入时发生内部错误；已保存的行可通过重新导入同一文件补全，不会重复")
        raise
    finally:
        path.unlink(missing_ok=True)
    errors = [{"row": e.row, "column": e.column, "reason": e.reason} for e in result.errors[:MAX_STORED_ERRORS]]
    extra = table.extra_headers
    message = f"文件中的以下列未导入：{'、'.join(extra)}" if extra else ""
    _finish(
        job,
        JobStatus.DONE,
        created=result.created,
        updated=result.updated,
        error_count=len({e.row for e in result.errors}),
        errors=errors,
        message=message,
    )


def _finish(job: ImportJob, status: str, **values) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), stored_path="", **values)
