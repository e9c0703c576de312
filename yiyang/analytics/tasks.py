from django.db import transaction
from django_tasks import task

from . import services


@task()
def build_report(report_id: int) -> None:
    services.build_report(report_id)


def request_report(actor, code: str, month):
    """Record the request and build the report in the background once the request is committed."""
    report = services.create_report(actor, code, month)
    transaction.on_commit(lambda: build_report.enqueue(report.pk))
    return report
