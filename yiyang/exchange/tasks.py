from django_tasks import task

from . import services


@task()
def run_import(job_id: int, ip: str = "", interface: str = "import") -> None:
    services.run(job_id, ip, interface)
