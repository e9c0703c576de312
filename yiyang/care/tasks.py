"""The escalation timers, run by the task worker that `make run` starts (`db_worker`): no outside cron.

Deadlines live on the alarms (`next_escalation_at`). Whenever a change sets one, a `watch_alarms` task is
queued to run at that time unless one is already waiting for then or earlier; the task fires what is
due and queues itself for the next deadline. Queued tasks are rows in the database, so they survive a
restart; `manage.py care_timers` (run by `make run`) fires what fell due while the platform was down
and queues the next watch. Each step fires once (its timeline key), so a second run changes nothing.
"""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import services
from .models import OPEN_STATES, Alarm


@task()
def watch_alarms() -> None:
    services.fire_due()
    schedule_next()


SWEEP_EVERY = timedelta(minutes=10)


@task()
def sweep_devices() -> None:
    """Overdue heartbeats and low batteries become maintenance tickets, and old nonces are forgotten; then
    the sweep queues itself again (`manage.py care_timers` starts it)."""
    from . import ingest

    services.sweep_devices()
    ingest.forget_nonces()
    schedule_sweep()


def schedule_sweep() -> None:
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer or _waiting_by(timezone.now() + SWEEP_EVERY, sweep_devices):
        return
    sweep_devices.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()


def schedule_next() -> None:
    when = (
        Alarm.objects.filter(state__in=OPEN_STATES, next_escalation_at__isnull=False)
        .order_by("next_escalation_at")
        .values_list("next_escalation_at", flat=True)
        .first()
    )
    if when is not None:
        schedule_timers(when)


def schedule_timers(when) -> None:
    """Queue `watch_alarms` for `when`, unless the backend cannot defer tasks (the tests' immediate
    backend: the tests fire timers with their own clock) or a watch already waits for that time or earlier."""
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer or _waiting_by(when):
        return
    watch_alarms.using(run_after=max(when, timezone.now())).enqueue()


def _waiting_by(when, which=None) -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: a second watch does no harm
        return False
    from django.db.models import Q
    from django_tasks import TaskResultStatus

    soon = Q(run_after__isnull=True) | Q(run_after__lte=when)
    return DBTaskResult.objects.filter(
        soon, task_path=(which or watch_alarms).module_path, status=TaskResultStatus.READY
    ).exists()
