"""Which escalation steps apply to an alarm, and when the next one is due.

A region's policies are data (`EscalationPolicy`): after N seconds in a state, notify whom, escalate
to which level, dispatch, or call which emergency number. For each state the steps of the deepest
region over the alarm's community that has any for that state (and the alarm's kind, or every kind)
apply; a county's own steps thus replace the city's. Each step fires once per alarm: its timeline key
is `esc:<alarm>:<policy>`.
"""

from datetime import timedelta

from yiyang.core.regioncodes import ancestors

from .models import Alarm, AlarmStep, EscalationPolicy


def step_key(alarm: Alarm, policy: EscalationPolicy) -> str:
    return f"esc:{alarm.pk}:{policy.pk}"


def applicable(alarm: Alarm, state: str | None = None) -> list[EscalationPolicy]:
    """The steps that apply to the alarm in `state` (its current one by default), in time order."""
    state = state or alarm.state
    regions = [*ancestors(alarm.region_code), alarm.region_code]
    rows = list(
        EscalationPolicy.objects.filter(
            region_code__in=regions, state=state, is_active=True, alarm_kind__in=["", alarm.kind]
        )  # fmt: skip
    )
    if not rows:
        return []
    deepest = max(rows, key=lambda p: len(p.region_code.rstrip("0"))).region_code
    # Kind-specific steps replace the general ones of the same region.
    chosen = [p for p in rows if p.region_code == deepest]
    if any(p.alarm_kind for p in chosen):
        chosen = [p for p in chosen if p.alarm_kind]
    return sorted(chosen, key=lambda p: (p.after_seconds, p.pk))


def fired_keys(alarm: Alarm) -> set[str]:
    return set(AlarmStep.objects.filter(alarm=alarm, key__startswith="esc:").values_list("key", flat=True))


def due_steps(alarm: Alarm, now) -> list[EscalationPolicy]:
    fired = fired_keys(alarm)
    return [
        p for p in applicable(alarm)
        if step_key(alarm, p) not in fired and alarm.state_since + timedelta(seconds=p.after_seconds) <= now
    ]  # fmt: skip


def next_deadline(alarm: Alarm):
    """When the next unfired step of the alarm's current state is due; None when none is left."""
    if not alarm.is_open:
        return None
    fired = fired_keys(alarm) if alarm.pk else set()
    times = [
        alarm.state_since + timedelta(seconds=p.after_seconds)
        for p in applicable(alarm)
        if step_key(alarm, p) not in fired
    ]
    return min(times, default=None)
