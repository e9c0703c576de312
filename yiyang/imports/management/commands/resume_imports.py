"""Resume imports whose worker is gone, and queue the watch that keeps doing so while imports run.

`make run` calls this before it starts the task worker, so that an import cut short by a stopped or
killed worker goes on by itself when the platform starts again.
"""

from django.core.management.base import BaseCommand

from yiyang.imports import jobs
from yiyang.imports.tasks import schedule_watch


class Command(BaseCommand):
    help = "继续处理进程已停止的导入任务"

    def handle(self, *args, **options):
        resumed = jobs.check_workers()
        schedule_watch()
        if resumed:
            self.stdout.write(f"继续导入任务：{', '.join(map(str, resumed))}")
