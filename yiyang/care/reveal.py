"""Emergency help's reveal rule (core.masking): the responder sent to an alarm sees the elder's phone,
address and home coordinates, to call and to find the door, while the alarm is dispatched to them or
they are on scene, and only then. Every view is written to the audit log under the rule's name."""

from yiyang.core.masking import RevealRule, register_rule
from yiyang.elders.models import Elder

from .models import Alarm, AlarmState

ON_THE_WAY = (AlarmState.DISPATCHED, AlarmState.ON_SCENE)


def _responder_on_the_way(user, elder: Elder) -> bool:
    return Alarm.objects.visible_to(user, "care.respond_alarm").filter(elder_id=elder.pk, state__in=ON_THE_WAY).exists()


RESPONDER_FINDS_ELDER = RevealRule(
    name="care.responder_finds_elder",
    model=Elder,
    fields=("phone", "address", "lat", "lng"),
    applies=_responder_on_the_way,
    label="应急响应人员查看老人电话和住址",
)

register_rule(RESPONDER_FINDS_ELDER)
