"""Running one import job: preview the stored file, then (once confirmed) import it chunk by chunk.

A job is held by one run at a time (`run_token`). Each chunk's rows, its refused rows and the job's
counts and cursor are committed in one transaction, and only while the run still holds the job: the
counts shown are always what the database holds, and a run given up for dead can never write beside
the run that resumed it. A run beats its heartbeat with every chunk; a job whose heartbeat is older than
`IMPORT_STALE_SECONDS`, or whose task the task framework reports finished, has lost its worker and is
marked interrupted (`check_workers`), then resumed from the row after its cursor.
"""

import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yiyang.core import tabular
from yiyang.core.audit import Actor, Interface
from yiyang.core.errors import DomainError
from yiyang.elders.importers import ImportResult, chunked

from . import mapping as column_mapping
from .kinds import KINDS, ImportKind
from .models import WORKING, ImportJob, ImportRowError, JobStatus

MAX_STORED_ERRORS = 20_000  # the report lists this many; the count covers all
PREVIEW_SAMPLES = 20  # updated rows shown with their old and new values
MAX_AUTO_RESUMES = 3  # runs after which an interrupted job waits for a person to resume it
INTERRUPTED_MESSAGE = "导入中断（处理任务的进程已停止）；已提交的行已保存，继续导入将从中断处接着进行，不会重复"
# Called after each committed chunk with (job id, chunks committed in this run); tests stop a run there.
after_chunk = None


class LeaseLost(Exception):
    """This run no longer holds the job (it was given up for dead and resumed elsewhere)."""


def stale_after() -> timedelta:
    return timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def chunk_size(kind: ImportKind) -> int:
    return min(kind.chunk_size, settings.IMPORT_CHUNK_ROWS)


def run(job_id: int, ip: str = "", interface: str = Interface.IMPORT) -> None:
    """The task: preview a queued job; import a confirmed one (resuming after its cursor)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return
    kind = KINDS[job.kind]
    actor = Actor(user=get_user_model().objects.get(pk=job.user_id), ip=ip or None, interface=interface)
    if job.confirmed_at is None:
        token = _claim(job, JobStatus.PREVIEWING)
        if token is None or not _guarded(job, token, lambda: _preview(job, kind, actor, token)):
            return
        job.refresh_from_db()
        if not job.auto_confirm or needs_mapping(job):
            return
        if not confirm(job.pk, job.user_id):
            return
        job.refresh_from_db()
    token = _claim(job, JobStatus.RUNNING)
    if token is not None:
        _guarded(job, token, lambda: _import(job, kind, actor, token))


def _watch() -> None:
    from .tasks import schedule_watch

    schedule_watch()


def _guarded(job: ImportJob, token: str, step) -> bool:
    """Run one step; a problem with the file fails the job, a stopped worker interrupts it."""
    try:
        step()
        return True
    except LeaseLost:
        return False
    except (tabular.TableError, DomainError) as exc:
        _finish(job, token, JobStatus.FAILED, message=exc.message)
        return False
    except (KeyboardInterrupt, SystemExit):
        # The worker is being stopped: the job is interrupted now, with its committed counts.
        _held(job, token).update(status=JobStatus.INTERRUPTED, run_token="", message=INTERRUPTED_MESSAGE)
        raise
    except Exception:
        _finish(
            job, token, JobStatus.FAILED, message="导入时发生内部错误；已保存的行可通过重新导入同一文件补全，不会重复"
        )
        raise


def _held(job: ImportJob, token: str):
    return ImportJob.objects.filter(pk=job.pk, run_token=token)


def _claim(job: ImportJob, status: str) -> str | None:
    """Take a queued job for this run; None when another run took it first."""
    token = uuid.uuid4().hex
    taken = ImportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=status, run_token=token, heartbeat_at=timezone.now(), attempts=F("attempts") + 1, message=""
    )
    if not taken:
        return None
    _watch()  # someone must notice if this worker dies
    return token


def open_file(path, filename: str, kind: ImportKind, mapping: dict[str, str]) -> tuple[tabular.Table, list[str]]:
    """The table read with the region's column mapping, and its unknown headers (neither known nor ignored).
    A header lacking required columns is accepted when unknown headers might be mapped to them."""
    columns, ignored = column_mapping.columns_for(kind, mapping)
    table = tabular.open_table(path, filename, columns, max_bytes=settings.IMPORT_MAX_BYTES, allow_missing=True)
    unknown = [h for h in table.extra_headers if tabular.normalise_header(h) not in ignored]
    if table.missing and not unknown:  # nothing left that could be mapped to the missing columns
        raise tabular.TableError(f"表头（第 {table.header_row} 行）缺少必填列：{'、'.join(table.missing)}")
    return table, unknown


def _open(job: ImportJob, kind: ImportKind) -> tuple[tabular.Table, list[str]]:
    return open_file(Path(job.stored_path), job.filename, kind, job.mapping or {})


def _error_rows(job: ImportJob, errors, room: int) -> list[ImportRowError]:
    return [
        ImportRowError(
            job_id=job.pk,
            row=e.row,
            serial=str(e.serial)[:50],
            name=str(e.name)[:100],
            identifier=str(e.identifier)[:40],
            column=str(e.column)[:50],
            value=str(e.value)[:200],
            reason=str(e.reason)[:300],
        )
        for e in errors[: max(0, room)]
    ]


def _preview(job: ImportJob, kind: ImportKind, actor: Actor, token: str) -> None:
    """Plan every row without writing any: counts of new, updated, unchanged and refused rows, the
    fields that would change (with a sample of old and new values) and the refused rows."""
    job.mapping = column_mapping.saved(job.region_code, kind)
    if not _held(job, token).update(mapping=job.mapping):
        raise LeaseLost
    table, unknown = _open(job, kind)
    headers = kind.headers()
    with transaction.atomic():
        ImportRowError.objects.filter(job_id=job.pk).delete()
    if table.missing:
        _needs_mapping(job, kind, token, table, unknown)
        return
    importer = kind.importer(actor, set(table.header_map))
    totals = Counter()
    fields = Counter()
    samples = []
    stored = 0
    for chunk in chunked(iter(table), chunk_size(kind)):
        plan = importer.plan(chunk)
        totals.update(
            rows=len(chunk), new=len(plan.new), updated=len(plan.changed), unchanged=plan.unchanged,
            refused=plan.refused_rows,
        )  # fmt: skip
        for number, diff in plan.changes:
            fields.update(diff.keys())
            if len(samples) < PREVIEW_SAMPLES:
                samples.append(
                    {
                        "row": number,
                        "serial": plan.serials.get(number, ""),
                        "name": plan.names.get(number, ""),
                        "region_code": plan.regions.get(number, ""),
                        "changes": [
                            {"field": name, "column": headers.get(name, name), "old": old, "new": new}
                            for name, (old, new) in diff.items()
                        ],
                    }
                )
        errors = _error_rows(job, plan.errors, MAX_STORED_ERRORS - stored)
        with transaction.atomic():
            ImportRowError.objects.bulk_create(errors)
            if not _held(job, token).update(processed=totals["rows"], heartbeat_at=timezone.now()):
                raise LeaseLost
        stored += len(errors)
    absent = [c.header for c in kind.columns if c.key not in table.header_map]
    preview = {
        **{key: totals[key] for key in ("rows", "new", "updated", "unchanged", "refused")},
        "fields": [
            {"field": name, "column": headers.get(name, name), "count": count} for name, count in fields.most_common()
        ],
        "samples": samples,
        "absent_columns": absent,
        "extra_columns": unknown,
        "unknown_columns": unknown,
        "missing_columns": [],
        "mapping": job.mapping,
        "notes": [note] if (note := table.footer_note()) else [],
    }
    if not _held(job, token).update(
        status=JobStatus.PREVIEWED,
        run_token="",
        preview=preview,
        total_rows=totals["rows"],
        processed=0,
        error_count=totals["refused"],
        heartbeat_at=timezone.now(),
    ):
        raise LeaseLost


def _needs_mapping(job: ImportJob, kind: ImportKind, token: str, table: tabular.Table, unknown: list[str]) -> None:
    """A file lacking required columns while it has unknown ones: the preview asks the clerk to map them."""
    preview = {
        **dict.fromkeys(("rows", "new", "updated", "unchanged", "refused"), 0),
        "fields": [],
        "samples": [],
        "absent_columns": [c.header for c in kind.columns if c.key not in table.header_map],
        "extra_columns": unknown,
        "unknown_columns": unknown,
        "missing_columns": table.missing,
        "mapping": job.mapping,
        "notes": [],
    }
    if not _held(job, token).update(
        status=JobStatus.PREVIEWED, run_token="", preview=preview, total_rows=None, processed=0, error_count=0,
        heartbeat_at=timezone.now(),
    ):  # fmt: skip
        raise LeaseLost


def needs_mapping(job: ImportJob) -> bool:
    """Whether the job's file lacks required columns that the clerk must map before it can be imported."""
    return bool((job.preview or {}).get("missing_columns"))


def preview_again(job_id: int) -> bool:
    """Queue a previewed job's preview again (after its region's column mapping changed)."""
    queued = ImportJob.objects.filter(pk=job_id, status=JobStatus.PREVIEWED).update(
        status=JobStatus.QUEUED, confirmed_at=None, attempts=0, message=""
    )
    if queued:
        enqueue(job_id)
    return bool(queued)


def confirm(job_id: int, user_id: int) -> bool:
    """Queue the import of a previewed job; False when it is not waiting for confirmation."""
    confirmed = ImportJob.objects.filter(pk=job_id, status=JobStatus.PREVIEWED).update(
        status=JobStatus.QUEUED, confirmed_at=timezone.now(), confirmed_by_id=user_id, attempts=0
    )
    return bool(confirmed)


def _import(job: ImportJob, kind: ImportKind, actor: Actor, token: str) -> None:
    job.refresh_from_db()
    table, unknown = _open(job, kind)
    importer = kind.importer(actor, set(table.header_map))
    if job.cursor == 0:  # nothing imported yet: the preview's refusals give way to the import's
        with transaction.atomic():
            ImportRowError.objects.filter(job_id=job.pk).delete()
            if not _held(job, token).update(processed=0, created=0, updated=0, unchanged=0, error_count=0):
                raise LeaseLost
    stored = ImportRowError.objects.filter(job_id=job.pk).count()
    cursor = job.cursor

    def remaining():
        for number, raw in table:
            if number <= cursor:
                importer.skip(number, raw)  # committed before: only its place in the repeat check
            else:
                yield number, raw

    committed = 0
    for chunk in chunked(remaining(), chunk_size(kind)):
        plan = importer.plan(chunk)
        errors = _error_rows(job, plan.errors, MAX_STORED_ERRORS - stored)
        with transaction.atomic():
            # Refuse to write when the job has been taken from this run; locks the job row for the chunk.
            if not _held(job, token).update(heartbeat_at=timezone.now()):
                raise LeaseLost
            importer.write(plan)
            ImportRowError.objects.bulk_create(errors)
            _held(job, token).update(
                processed=F("processed") + len(chunk),
                created=F("created") + len(plan.new),
                updated=F("updated") + len(plan.changed),
                unchanged=F("unchanged") + plan.unchanged,
                error_count=F("error_count") + plan.refused_rows,
                cursor=chunk[-1][0],
            )
        stored += len(errors)
        committed += 1
        if after_chunk is not None:
            after_chunk(job.pk, committed)
    job.refresh_from_db()
    importer.finish(
        ImportResult(created=job.created, updated=job.updated, unchanged=job.unchanged, refused=job.error_count)
    )
    notes = [f"文件中的以下列未导入：{'、'.join(unknown)}"] if unknown else []
    if footer := table.footer_note():
        notes.append(footer)
    message = "；".join(notes)[:500]
    # The sample of old and new values served the confirmation; the counts stay.
    preview = {**job.preview, "samples": []}
    _finish(job, token, JobStatus.DONE, message=message, preview=preview)


def _finish(job: ImportJob, token: str, status: str, **values) -> None:
    if _held(job, token).update(status=status, finished_at=timezone.now(), stored_path="", run_token="", **values):
        Path(job.stored_path).unlink(missing_ok=True)


def cancel(job_id: int) -> bool:
    """Drop a job that is waiting (for confirmation, or interrupted) without importing anything more."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return False
    done = ImportJob.objects.filter(pk=job_id, status__in=(JobStatus.PREVIEWED, JobStatus.INTERRUPTED)).update(
        status=JobStatus.CANCELLED,
        finished_at=timezone.now(),
        stored_path="",
        run_token="",
        preview={**(job.preview or {}), "samples": []},  # old and new values are not kept
    )
    if done:
        Path(job.stored_path).unlink(missing_ok=True)
    return bool(done)


# --- Workers that are gone ---------------------------------------------------------------------


def worker_gone(job: ImportJob, now=None) -> bool:
    """Whether a previewing or running job has lost its worker: no heartbeat within the threshold, or
    its task already finished according to the task framework."""
    if job.status not in WORKING:
        return False
    now = now or timezone.now()
    if job.heartbeat_at is None or job.heartbeat_at < now - stale_after():
        return True
    return _task_finished(job.task_id)


def _task_finished(task_id: str) -> bool:
    if not task_id:
        return False
    from django_tasks import TaskResultStatus

    from .tasks import run_import

    try:
        result = run_import.get_result(task_id)
    except Exception:  # a backend that keeps no results, or a result already pruned
        return False
    return result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


def mark_interrupted(job: ImportJob) -> bool:
    """Take a job from a worker that is gone (see `worker_gone`); its counts are those committed."""
    if not worker_gone(job):
        return False
    return bool(
        ImportJob.objects.filter(pk=job.pk, status=job.status, run_token=job.run_token).update(
            status=JobStatus.INTERRUPTED, run_token="", message=INTERRUPTED_MESSAGE
        )
    )


def resume(job_id: int) -> bool:
    """Queue an interrupted job again: a preview starts over, an import goes on after its cursor."""
    queued = ImportJob.objects.filter(pk=job_id, status=JobStatus.INTERRUPTED).update(
        status=JobStatus.QUEUED, message=""
    )
    if queued:
        enqueue(job_id)
    return bool(queued)


def enqueue(job_id: int, ip: str = "", interface: str = Interface.IMPORT) -> None:
    from .tasks import run_import

    def send():
        result = run_import.enqueue(job_id, ip, interface)
        ImportJob.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])

    transaction.on_commit(send)


def check_workers() -> list[int]:
    """Mark jobs whose worker is gone as interrupted and resume those that may resume by themselves
    (fewer than MAX_AUTO_RESUMES runs); the ids resumed."""
    for job in ImportJob.objects.filter(status__in=WORKING):
        mark_interrupted(job)
    resumed = []
    for pk in ImportJob.objects.filter(status=JobStatus.INTERRUPTED, attempts__lt=MAX_AUTO_RESUMES).values_list(
        "pk", flat=True
    ):
        if resume(pk):
            resumed.append(pk)
    return resumed


def next_check():
    """When the watch should look again: when the oldest heartbeat of a working job goes stale (None
    when no job is previewing or running)."""
    oldest = (
        ImportJob.objects.filter(status__in=WORKING, heartbeat_at__isnull=False)
        .order_by("heartbeat_at")
        .values_list("heartbeat_at", flat=True)
        .first()
    )
    if oldest is None:
        return None
    return max(oldest + stale_after(), timezone.now()) + timedelta(seconds=1)
