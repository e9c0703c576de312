"""Long allowance work as tasks of the worker (DESIGN.md §6): a county's monthly payroll of many thousand
lines is built outside the request. The task acts as the officer who asked for it, with the same checks."""

from datetime import date

from django.contrib.auth import get_user_model
from django_tasks import task

from yiyang.core.audit import Actor, Interface

# Up to this many recipients the page builds the payroll in the request (a few seconds); above, a task.
IN_REQUEST = 5000


@task()
def build_payroll(region: str, month: str, user_id: int) -> int:
    from . import payroll

    user = get_user_model().objects.get(pk=user_id)
    _, added = payroll.run(Actor(user=user, interface=Interface.TASK), region, date.fromisoformat(month))
    return added
