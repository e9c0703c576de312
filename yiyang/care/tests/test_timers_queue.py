"""The timers run in the task worker: a deadline queues one waiting `watch_alarms`, stored in the database
(so it survives a restart), and a second deadline no earlier queues nothing more."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks():
    # django_tasks drops its cached backends when the TASKS setting changes.
    with override_settings(TASKS=DB_TASKS):
        yield


def test_a_deadline_queues_one_waiting_watch(db, db_tasks):
    from django_tasks import default_task_backend
    from django_tasks_db.models import DBTaskResult

    from yiyang.care import tasks

    if not default_task_backend.supports_defer:
        pytest.skip("the task backend in use cannot defer")
    when = timezone.now() + timedelta(seconds=60)
    tasks.schedule_timers(when)
    tasks.schedule_timers(when + timedelta(seconds=30))
    waiting = DBTaskResult.objects.filter(task_path=tasks.watch_alarms.module_path)
    assert waiting.count() == 1 and abs((waiting.get().run_after - when).total_seconds()) < 1
    tasks.schedule_timers(when - timedelta(seconds=30))
    assert waiting.count() == 2
    tasks.schedule_sweep()
    tasks.schedule_sweep()
    assert DBTaskResult.objects.filter(task_path=tasks.sweep_devices.module_path).count() == 1
