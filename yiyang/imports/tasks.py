from django_tasks import task

from . import jobs


@task()
def run_import(job_id: int, ip: str = "", interface: str = "import") -> None:
    jobs.run(job_id, ip, interface)


@task()
def watch_imports() -> None:
    """Resume imports whose worker is gone, and look again while imports are running.

    Queued whenever an import starts and when the platform starts (`manage.py resume_imports`): a worker
    that dies mid-import leaves this task waiting, and the next worker to start runs it."""
    jobs.check_workers()
    schedule_watch()


def schedule_watch() -> None:
    """Queue `watch_imports` for when the oldest running job's heartbeat would go stale, unless the
    backend cannot defer tasks or a watch is already waiting."""
    from django_tasks import default_task_backend

    when = jobs.next_check()
    if when is None or not default_task_backend.supports_defer or _watch_waiting():
        return
    watch_imports.using(run_after=when).enqueue()


def _watch_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: a second watch does no harm
        return False
    from django_tasks import TaskResultStatus

    return DBTaskResult.objects.filter(task_path=f"{watch_imports.module_path}", status=TaskResultStatus.READY).exists()
