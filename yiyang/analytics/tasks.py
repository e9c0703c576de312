from django_tasks import task

from . import services


@task()
def build_report(report_id: int) -> None:
    services.build_report(report_id)
