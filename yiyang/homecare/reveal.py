"""Home care's reveal rule (core.masking): the caregiver sent to an elder sees the elder's phone, to
call on the way and at the door, while the order is dispatched to them or in service, and only then.
Every view is written to the audit log under the rule's name."""

from yiyang.core.masking import RevealRule, register_rule
from yiyang.elders.models import Elder

from .models import Order, OrderStatus

# The states in which the caregiver is on the way or at the elder's home.
ON_THE_JOB = (OrderStatus.DISPATCHED, OrderStatus.IN_SERVICE)


def _caregiver_on_the_job(user, elder: Elder) -> bool:
    return (
        Order.objects.visible_to(user, "homecare.serve_order").filter(elder_id=elder.pk, status__in=ON_THE_JOB).exists()
    )


CAREGIVER_CALLS_ELDER = RevealRule(
    name="homecare.caregiver_calls_elder",
    model=Elder,
    fields=("phone",),
    applies=_caregiver_on_the_job,
    label="上门服务人员查看老人电话",
)

register_rule(CAREGIVER_CALLS_ELDER)
