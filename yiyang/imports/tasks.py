from django_tasks import task

from . import jobs


@task()
def run_import(job_id: int, ip: str = "", interface: str = "import") -> None:
    jobs.run(job_id, ip, interface)
