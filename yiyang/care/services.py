"""Every change to an alarm: opening one (from a device, a hotline call or an operator), repeated
presses, the timeline (calls, notes, notifications), the workflow's transitions, dispatch to the
nearest available responder, and the escalation steps the timers fire.

Each function takes an `Actor` and, where timing matters, `now` (the tests' controllable clock). Every
step is an immutable `AlarmStep`; every change bumps the alarm's `seq` (the consoles' cursor) and
recomputes `next_escalation_at`.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from yiyang.core import audit, coords, phones
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import DecisionStep, post_once
from yiyang.core.regioncodes import ancestors, contains
from yiyang.elders.models import Elder, ElderContact
from yiyang.providers.models import Staff, StaffRole
from yiyang.providers.services import on_duty

from . import notify, policies
from .models import (
    NO_CALL_BACK,
    OPEN_STATES,
    Alarm,
    AlarmKind,
    AlarmSource,
    AlarmState,
    AlarmStep,
    CallOutcome,
    Device,
    DeviceEvent,
    EscalationAction,
    EscalationPolicy,
    EventKind,
    HotlineCall,
    NotifyWhom,
    Offer,
    Outcome,
)
from .workflows import ALARM

# The people a console may send to an alarm.
RESPONDER_ROLES = (StaffRole.RESPONDER, StaffRole.CARER, StaffRole.SOCIAL_WORKER)
# Which alarm kind a device event opens.
EVENT_ALARM = {
    EventKind.SOS: AlarmKind.SOS,
    EventKind.FALL: AlarmKind.FALL,
    EventKind.SMOKE: AlarmKind.SMOKE,
    EventKind.GAS: AlarmKind.GAS,
    EventKind.WATER_LEAK: AlarmKind.WATER_LEAK,
    EventKind.HEALTH: AlarmKind.HEALTH,
    EventKind.INACTIVITY: AlarmKind.INACTIVITY,
}
# Presses of these kinds within the vendor's window join the elder's open alarm of a pressing kind.
PRESSES = (AlarmKind.SOS, AlarmKind.FALL, AlarmKind.HOTLINE)
# What each ending records as the outcome.
ENDINGS = {"false_alarm": Outcome.FALSE_ALARM, "test": Outcome.TEST, "duplicate": Outcome.DUPLICATE,
           "device_fault": Outcome.DEVICE_FAULT}  # fmt: skip


def _step(actor: Actor, alarm: Alarm, action: str, note: str = "", *, at=None, key: str = "", **fields) -> bool:
    """One timeline entry (a call, a note, a notification, an escalation); with `key`, once only."""
    entry = {"alarm": alarm, "county_code": alarm.county_code, "action": action, "note": note[:1000],
             "at": at or timezone.now(), "key": key, **DecisionStep.by_actor(actor), **fields}  # fmt: skip
    if key:
        return post_once(AlarmStep, **entry)
    AlarmStep.objects.create(**entry)
    return True


def _changed(alarm: Alarm, now=None, *, moved: bool = False, fields=()) -> None:
    """Save what a service changed on a locked alarm, bump its change counter and its next deadline."""
    now = now or timezone.now()
    if moved:
        alarm.state_since = now
    alarm.next_escalation_at = policies.next_deadline(alarm)
    alarm.seq = (alarm.seq or 0) + 1
    alarm.save(update_fields=["state", "state_since", "next_escalation_at", "seq", *fields])
    if alarm.next_escalation_at is not None:
        when = alarm.next_escalation_at
        transaction.on_commit(lambda: _schedule(when))


def _schedule(when) -> None:
    from .tasks import schedule_timers

    schedule_timers(when)


def _locked(actor: Actor, alarm_id, name: str) -> Alarm:
    return ALARM.lock(actor, alarm_id, name)


# --- Opening ---------------------------------------------------------------------------------------


def open_from_event(event: DeviceEvent, device: Device, now=None) -> Alarm:
    """The alarm a device's alarm event opens, or the open one it joins (repeated presses within the
    vendor's window). Inside the ingestion's transaction."""
    now = now or timezone.now()
    kind = EVENT_ALARM[event.kind]
    system = Actor.system()
    window = timedelta(seconds=device.vendor.merge_seconds)
    kinds = PRESSES if kind in PRESSES else (kind,)
    joined = (
        Alarm.objects.select_for_update()
        .filter(elder_id=device.elder_id, kind__in=kinds, state__in=OPEN_STATES, last_signal_at__gte=now - window)
        .order_by("-opened_at")
        .first()
    )
    if joined is not None:
        joined.presses += 1
        joined.last_signal_at = now
        _step(system, joined, "repeat", f"{device.get_kind_display()}再次报警（第 {joined.presses} 次），并入本次报警",
              at=now)  # fmt: skip
        _changed(joined, now, fields=["presses", "last_signal_at"])
        return joined
    alarm = Alarm.objects.create(
        elder_id=device.elder_id, device=device, region_code=device.region_code, county_code=device.county_code,
        kind=kind, source=AlarmSource.DEVICE, opened_at=now, state_since=now, last_signal_at=now,
        summary=f"{device.get_kind_display()}（{device.installed_where or '未登记位置'}）",
    )  # fmt: skip
    record_opening(system, alarm, f"{device.get_kind_display()} {device.external_id} 报警：{event.get_kind_display()}",
                   now)  # fmt: skip
    if kind in NO_CALL_BACK:
        _skip_call_back(alarm, now)
    return alarm


def record_opening(actor: Actor, alarm: Alarm, note: str, now) -> None:
    """A new alarm's first timeline step, and its first deadline."""
    _step(actor, alarm, "open", note, at=now, to_status=AlarmState.NEW)
    _changed(alarm, now)


def note_late(event: DeviceEvent, device: Device, now=None):
    """A late alarm event (backfilled, out of order): written on the elder's open alarm, if any, as a
    note; never opens an alarm nor restarts a timer."""
    now = now or timezone.now()
    alarm = (Alarm.objects.select_for_update().filter(elder_id=device.elder_id, state__in=OPEN_STATES)
             .order_by("-opened_at").first())  # fmt: skip
    if alarm is None:
        return None
    when = timezone.localtime(event.occurred_at).strftime("%m-%d %H:%M:%S")
    _step(Actor.system(), alarm, "late", f"迟到事件：{event.get_kind_display()}，发生于 {when}", at=now)
    alarm.seq += 1
    alarm.save(update_fields=["seq"])
    return alarm


def _skip_call_back(alarm: Alarm, now) -> None:
    """Smoke and gas: record the call to 119 and dispatch the nearest responder at once."""
    number = NO_CALL_BACK[alarm.kind]
    system = Actor.system()
    _call_emergency(system, alarm, number, now, "烟雾/燃气报警，不回拨老人，直接通知消防")
    found = candidates(alarm)
    if not found:
        _step(system, alarm, "note", "附近没有在岗的响应人员，请坐席人工派人", at=now)
        _changed(alarm, now)
        return
    distance, responder = found[0]
    ALARM.move(system, alarm, "auto_dispatch", f"自动派给 {responder.name}", authorised=True, at=now)
    _offer(alarm, responder, distance, now)
    _changed(alarm, now, moved=True, fields=_OFFER_FIELDS)


def _call_emergency(actor: Actor, alarm: Alarm, number: str, now, note: str = "") -> None:
    if number not in alarm.emergency_numbers:
        alarm.emergency_numbers = [*alarm.emergency_numbers, number]
        alarm.save(update_fields=["emergency_numbers"])
    _step(actor, alarm, "emergency", note or f"呼叫 {number}", at=now, called=number)


@transaction.atomic
def open_manual(actor: Actor, elder_id, kind: str, *, summary: str = "", caller_number: str = "",
                call_id=None, now=None, source: str = "") -> Alarm:  # fmt: skip
    """An operator opens an alarm from a hotline call (or on someone's report), acknowledged at once:
    the operator is already on the line. With `source` VISIT, an emergency a visit found: nobody at the
    hotline has taken it yet, so it waits in the queue as new, with its timers, for an operator."""
    now = now or timezone.now()
    errors = {}
    if source and source != AlarmSource.VISIT:
        errors["source"] = "不是可选的报警来源"
    if kind not in AlarmKind.values:
        errors["kind"] = "不是可选的报警类型"
    summary = (summary or "").strip()
    if len(summary) > 500:
        errors["summary"] = "情况说明不超过 500 字"
    number = ""
    if caller_number:
        try:
            number = phones.normalize(caller_number)
        except ValueError as exc:
            errors["caller_number"] = str(exc)
    elder = (
        Elder.objects.visible_to(actor.user, "view").filter(pk=elder_id).first() if str(elder_id).isdigit() else None
    )
    if elder is None:
        errors["elder"] = "找不到该老人，或不在您的管辖范围内"
    elif not _may_add(actor.user, elder):
        errors["elder"] = "您不能为该老人登记报警"
    if errors:
        raise FieldErrors(errors)
    source = source or (AlarmSource.HOTLINE if (caller_number or call_id) else AlarmSource.MANUAL)
    alarm = Alarm.objects.create(
        elder=elder, region_code=elder.region_code, county_code=elder.county_code, kind=kind, source=source,
        opened_at=now, state=AlarmState.NEW, state_since=now, last_signal_at=now, caller_number=number, summary=summary,
    )  # fmt: skip
    note = f"{alarm.get_source_display()}：{summary or alarm.get_kind_display()}"
    if source == AlarmSource.VISIT:
        record_opening(actor, alarm, note, now)
    else:
        _step(actor, alarm, "open", note, at=now, to_status=AlarmState.NEW)
        ALARM.move(actor, alarm, "acknowledge", "坐席接听来电并登记", at=now)
        alarm.acknowledged_at, alarm.acknowledged_by = now, actor.name
        _changed(alarm, now, moved=True, fields=["acknowledged_at", "acknowledged_by"])
    if call_id and str(call_id).isdigit():
        HotlineCall.objects.filter(pk=call_id, operator=actor.db_user).update(alarm=alarm)
    audit.record(actor, AuditAction.CREATE, alarm)
    if kind in NO_CALL_BACK:
        _skip_call_back(alarm, now)
    return alarm


def _may_add(user, elder: Elder) -> bool:
    from yiyang.core.scoping import region_predicate

    return region_predicate(user, Alarm, "care.add_alarm")(elder.region_code)


# --- The timeline ------------------------------------------------------------------------------------


def _for_handling(actor: Actor, alarm_id) -> Alarm:
    """The alarm locked for a timeline entry by an operator: 404 outside the scope, 403 inside it
    without the right to handle alarms."""
    from yiyang.core.scoping import get_for_action

    return get_for_action(Alarm.objects, actor.user, "care.handle_alarm", lock=True, pk=alarm_id)


@transaction.atomic
def log_call(actor: Actor, alarm_id, called: str, outcome: str, note: str = "", now=None) -> Alarm:
    """Record one call of the operator (to the elder, a contact, a responder) with its outcome."""
    now = now or timezone.now()
    alarm = _for_handling(actor, alarm_id)
    errors = {}
    called = (called or "").strip()
    if not called:
        errors["called"] = "请填写呼叫对象"
    elif len(called) > 100:
        errors["called"] = "呼叫对象不超过 100 字"
    if outcome not in CallOutcome.values:
        errors["outcome"] = "请选择通话结果"
    if len(note or "") > 1000:
        errors["note"] = "备注不超过 1000 字"
    if errors:
        raise FieldErrors(errors)
    if not alarm.is_open:
        raise Conflict("报警已结束，不能再记录通话", {"state": alarm.state})
    _step(actor, alarm, "call", (note or "").strip(), at=now, called=called, call_outcome=outcome)
    _changed(alarm, now)
    return alarm


@transaction.atomic
def add_note(actor: Actor, alarm_id, note: str, now=None) -> Alarm:
    now = now or timezone.now()
    alarm = _for_handling(actor, alarm_id)
    note = (note or "").strip()
    if not note:
        raise FieldErrors({"note": "请填写备注"})
    if len(note) > 1000:
        raise FieldErrors({"note": "备注不超过 1000 字"})
    _step(actor, alarm, "note", note, at=now)
    _changed(alarm, now)
    return alarm


@transaction.atomic
def notify_family(actor: Actor, alarm_id, now=None) -> int:
    """Tell the elder's emergency contacts (in order) about the alarm; returns how many were queued."""
    now = now or timezone.now()
    alarm = _for_handling(actor, alarm_id)
    count = _notify(actor, alarm, NotifyWhom.FAMILY, now)
    _changed(alarm, now)
    return count


def _message(alarm: Alarm) -> str:
    return (
        f"【颐养应急】{alarm.elder.name} {alarm.get_kind_display()}报警（{alarm.get_state_display()}），编号 {alarm.pk}"
    )


def _notify(actor: Actor, alarm: Alarm, whom: str, now) -> int:
    message = _message(alarm)
    sent = []
    if whom == NotifyWhom.FAMILY:
        for contact in ElderContact.objects.filter(elder_id=alarm.elder_id).order_by("-is_guardian", "id"):
            notify.queue(alarm, f"{contact.name}（{contact.get_relation_display()}）", contact.phone, message)
            sent.append(contact.name)
    elif whom == NotifyWhom.RESPONDER and alarm.responder_id:
        notify.queue(alarm, alarm.responder.name, alarm.responder.phone, message)
        sent.append(alarm.responder.name)
    else:
        from yiyang.accounts.models import Membership
        from yiyang.core.roles import Role

        role = Role.OPERATOR if whom == NotifyWhom.OPERATORS else Role.OFFICER
        over = [*ancestors(alarm.region_code), alarm.region_code]
        for m in Membership.objects.filter(role=role, is_active=True, region_code__in=over).select_related("user"):
            if contains(m.region_code, alarm.region_code):
                notify.queue(alarm, m.user.get_full_name() or m.user.username, "", message)
                sent.append(m.user.username)
    label = NotifyWhom(whom).label
    _step(actor, alarm, "notify", f"通知{label}：{'、'.join(sent) or '无可通知的人'}", at=now, called=label)
    return len(sent)


# --- The workflow ----------------------------------------------------------------------------------


@transaction.atomic
def acknowledge(actor: Actor, alarm_id, version=None, now=None) -> Alarm:
    """An operator takes the alarm; of two at once, one wins and the other gets 409."""
    now = now or timezone.now()
    alarm = _locked(actor, alarm_id, "acknowledge")
    ALARM.move(actor, alarm, "acknowledge", at=now, expected_version=version)
    alarm.acknowledged_at, alarm.acknowledged_by = now, actor.name
    _changed(alarm, now, moved=True, fields=["acknowledged_at", "acknowledged_by"])
    return alarm


@transaction.atomic
def move(actor: Actor, alarm_id, name: str, note: str = "", version=None, now=None, **values) -> Alarm:
    """The transitions without more to them than a note: verify, close, resolve by phone, endings."""
    if name not in ("verify", "close", "resolve_by_phone", *ENDINGS):
        raise FieldErrors({"step": "不是可执行的环节"})
    now = now or timezone.now()
    alarm = _locked(actor, alarm_id, name)
    ALARM.move(actor, alarm, name, note, at=now, expected_version=version)
    fields = []
    if name in ENDINGS:
        alarm.outcome, alarm.closed_at = ENDINGS[name], now
        fields = ["outcome", "closed_at"]
    elif name == "resolve_by_phone":
        alarm.outcome = values.get("outcome") or Outcome.ASSISTED
        if alarm.outcome not in Outcome.values:
            raise FieldErrors({"outcome": "请选择处置结果"})
        alarm.resolved_at = now
        fields = ["outcome", "resolved_at"]
    elif name == "close":
        alarm.closed_at = now
        fields = ["closed_at"]
    _changed(alarm, now, moved=True, fields=fields)
    return alarm


_OFFER_FIELDS = ["responder", "offer", "dispatched_at", "distance_m"]


def _offer(alarm: Alarm, responder: Staff, distance, now) -> None:
    alarm.responder, alarm.offer, alarm.dispatched_at = responder, Offer.OFFERED, now
    alarm.distance_m = round(distance) if distance is not None else None
    _notify(Actor.system(), alarm, NotifyWhom.RESPONDER, now)


def candidates(alarm: Alarm, limit: int = 10) -> list[tuple[float | None, Staff]]:
    """On-duty responders of the alarm's county whose area covers the elder's community, not already on
    another open alarm and not among those who declined this one, nearest first (unknown places last)."""
    elder = alarm.elder
    busy = set(
        Alarm.objects.filter(state__in=(AlarmState.DISPATCHED, AlarmState.ON_SCENE), county_code=alarm.county_code)
        .exclude(pk=alarm.pk).values_list("responder_id", flat=True)
    )  # fmt: skip
    found = []
    people = on_duty(Staff.objects.filter(county_code=alarm.county_code, role__in=RESPONDER_ROLES))
    for person in people.select_related("provider"):
        if person.pk in busy or person.pk in alarm.declined:
            continue
        if person.work_regions and not any(contains(code, alarm.region_code) for code in person.work_regions):
            continue
        if person.provider_id and not person.provider.is_active:
            continue
        known = None not in (person.lat, person.lng, elder.lat, elder.lng)
        distance = coords.distance_m(person.lat, person.lng, elder.lat, elder.lng) if known else None
        found.append((distance, person))
    found.sort(key=lambda pair: (pair[0] is None, pair[0] or 0, pair[1].pk))
    return found[:limit]


@transaction.atomic
def dispatch(actor: Actor, alarm_id, responder_id=None, version=None, now=None) -> Alarm:
    """Send a responder: the one named, or the nearest available one."""
    now = now or timezone.now()
    alarm = _locked(actor, alarm_id, "dispatch")
    found = candidates(alarm, limit=1000)
    if responder_id not in (None, ""):
        chosen = [pair for pair in found if str(pair[1].pk) == str(responder_id)]
        if not chosen:
            raise FieldErrors({"responder": "该人员不在岗、不在服务范围内或正在处置其他报警"})
    else:
        chosen = found[:1]
        if not chosen:
            raise Conflict("附近没有在岗的响应人员", {"responder": "无可派人员"})
    distance, responder = chosen[0]
    where = f"，距离约 {round(distance)} 米" if distance is not None else ""
    ALARM.move(actor, alarm, "dispatch", f"派给 {responder.name}{where}", at=now, expected_version=version)
    _offer(alarm, responder, distance, now)
    _changed(alarm, now, moved=True, fields=_OFFER_FIELDS)
    return alarm


@transaction.atomic
def accept(actor: Actor, alarm_id, version, now=None) -> Alarm:
    now = now or timezone.now()
    alarm = _locked(actor, alarm_id, "accept")
    if alarm.offer != Offer.OFFERED:
        raise Conflict("该任务已接受", {"offer": alarm.offer})
    ALARM.move(actor, alarm, "accept", at=now, expected_version=version)
    alarm.offer = Offer.ACCEPTED
    _changed(alarm, now, fields=["offer"])
    return alarm


@transaction.atomic
def decline(actor: Actor, alarm_id, note: str, version=None, now=None) -> Alarm:
    now = now or timezone.now()
    alarm = _locked(actor, alarm_id, "decline")
    ALARM.move(actor, alarm, "decline", note, at=now, expected_version=version)
    alarm.declined = [*alarm.declined, alarm.responder_id]
    alarm.responder, alarm.offer = None, Offer.DECLINED
    _changed(alarm, now, moved=True, fields=["declined", "responder", "offer"])
    return alarm


def _coordinate(value, name: str, low: float, high: float, errors: dict):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = "应为数字"
        return None
    if not low <= number <= high:
        errors[name] = f"应在 {low} 到 {high} 之间"
        return None
    return number


@transaction.atomic
def arrive(actor: Actor, alarm_id, lat=None, lng=None, version=None, now=None) -> Alarm:
    """The responder is at the door; with the phone's position, its distance from the elder's home."""
    now = now or timezone.now()
    errors = {}
    lat = _coordinate(lat, "lat", -90, 90, errors)
    lng = _coordinate(lng, "lng", -180, 180, errors)
    if errors:
        raise FieldErrors(errors)
    alarm = _locked(actor, alarm_id, "arrive")
    elder = alarm.elder
    where = ""
    if None not in (lat, lng, elder.lat, elder.lng):
        alarm.arrival_distance_m = round(coords.distance_m(lat, lng, elder.lat, elder.lng))
        where = f"，到场位置距住址 {alarm.arrival_distance_m} 米"
    ALARM.move(actor, alarm, "arrive", f"到场{where}", at=now, expected_version=version)
    alarm.arrived_at = now
    if alarm.offer == Offer.OFFERED:
        alarm.offer = Offer.ACCEPTED
    _changed(alarm, now, moved=True, fields=["arrived_at", "arrival_distance_m", "offer"])
    return alarm


@transaction.atomic
def resolve(actor: Actor, alarm_id, outcome: str, note: str, version=None, now=None) -> Alarm:
    """The responder closes on site with what happened."""
    now = now or timezone.now()
    if outcome not in Outcome.values:
        raise FieldErrors({"outcome": "请选择处置结果"})
    alarm = _locked(actor, alarm_id, "resolve")
    ALARM.move(actor, alarm, "resolve", note, at=now, expected_version=version)
    alarm.outcome, alarm.resolved_at = outcome, now
    _changed(alarm, now, moved=True, fields=["outcome", "resolved_at"])
    return alarm


# --- Escalation ------------------------------------------------------------------------------------


def fire(alarm: Alarm, policy: EscalationPolicy, now) -> bool:
    """Take one escalation step on a locked alarm, once: its key makes a second firing (a restart, a
    second worker) write nothing and do nothing."""
    system = Actor.system()
    label = f"{alarm.get_state_display()}超过 {policy.after_seconds} 秒：{policy.get_action_display()}"
    if not _step(system, alarm, "escalate", label, at=now, key=policies.step_key(alarm, policy)):
        return False
    if policy.action == EscalationAction.NOTIFY:
        _notify(system, alarm, policy.notify or NotifyWhom.SUPERVISOR, now)
    elif policy.action == EscalationAction.ESCALATE:
        alarm.escalation_level = max(alarm.escalation_level, policy.level or alarm.escalation_level + 1)
        alarm.save(update_fields=["escalation_level"])
        _notify(system, alarm, policy.notify or NotifyWhom.SUPERVISOR, now)
    elif policy.action == EscalationAction.CALL_EMERGENCY:
        _call_emergency(system, alarm, policy.emergency_number or "120", now)
    elif policy.action == EscalationAction.DISPATCH and alarm.state in ALARM["auto_dispatch"].source:
        found = candidates(alarm)
        if found:
            distance, responder = found[0]
            ALARM.move(system, alarm, "auto_dispatch", f"超时自动派给 {responder.name}", authorised=True, at=now)
            _offer(alarm, responder, distance, now)
            _changed(alarm, now, moved=True, fields=_OFFER_FIELDS)
            return True
    _changed(alarm, now)
    return True


def fire_due(now=None) -> int:
    """Fire every escalation step that is due, each alarm in its own transaction; returns how many
    steps fired. Safe to run twice, and after a restart: each step fires once."""
    now = now or timezone.now()
    fired = 0
    due = list(Alarm.objects.filter(next_escalation_at__lte=now, state__in=OPEN_STATES)
               .order_by("next_escalation_at").values_list("pk", flat=True)[:1000])  # fmt: skip
    for pk in due:
        with transaction.atomic():
            alarm = Alarm.objects.select_for_update().filter(pk=pk, state__in=OPEN_STATES).first()
            if alarm is None:
                continue
            for policy in policies.due_steps(alarm, now):
                if alarm.state != policy.state:
                    break
                fired += fire(alarm, policy, now)
            alarm.next_escalation_at = policies.next_deadline(alarm)
            alarm.save(update_fields=["next_escalation_at"])
    return fired


# --- Hotline ---------------------------------------------------------------------------------------


def elders_by_phone(user, number: str):
    """The elders in the user's scope whose own phone or an emergency contact's phone is `number`."""
    visible = Elder.objects.visible_to(user, "view")
    own = list(visible.filter(phone=number)[:10])
    by_contact = list(visible.filter(contacts__phone=number).exclude(pk__in=[e.pk for e in own]).distinct()[:10])
    return own + by_contact


@transaction.atomic
def hotline_call(actor: Actor, caller: str, external_id: str = "", now=None) -> HotlineCall:
    """A call rang the operator's seat: find the elder by the number and record the call, so that the
    operator's console pops the card."""
    now = now or timezone.now()
    try:
        number = phones.normalize(caller)
    except ValueError as exc:
        raise FieldErrors({"caller": str(exc)}) from None
    if not number:
        raise FieldErrors({"caller": "必填"})
    found = elders_by_phone(actor.user, number)
    elder = found[0] if found else None
    from yiyang.core.scoping import home_region

    region = elder.region_code if elder else home_region(actor.user)
    call = HotlineCall.objects.create(
        operator=actor.db_user, caller_number=number, elder=elder, region_code=region or "", county_code=(region or "")[:6],
        external_id=(external_id or "")[:64], received_at=now,
    )  # fmt: skip
    return call


# --- Devices ---------------------------------------------------------------------------------------


@transaction.atomic
def bind(actor: Actor, event_id, elder_id, kind: str, installed_where: str = "") -> Device:
    """Register the unknown device of a queued event for an elder; every waiting event of that device is
    bound to it (they stay history: a late binding never opens an alarm)."""
    from yiyang.core.scoping import get_for_action, region_predicate

    from .models import BindingState, DeviceKind

    event = get_for_action(DeviceEvent.objects, actor.user, "care.bind_deviceevent", lock=True, pk=event_id)
    errors = {}
    if event.binding != BindingState.WAITING:
        raise Conflict("该事件已处理", {"binding": event.binding})
    if kind not in DeviceKind.values:
        errors["kind"] = "不是可选的设备类型"
    elder = (
        Elder.objects.visible_to(actor.user, "view").filter(pk=elder_id).first() if str(elder_id).isdigit() else None
    )
    if elder is None or not region_predicate(actor.user, DeviceEvent, "care.bind_deviceevent")(elder.region_code):
        errors["elder"] = "找不到该老人，或不在您的管辖范围内"
    if len(installed_where or "") > 100:
        errors["installed_where"] = "不超过 100 字"
    if errors:
        raise FieldErrors(errors)
    if Device.objects.filter(vendor_id=event.vendor_id, external_id=event.external_id).exists():
        raise Conflict("该设备已登记", {"external_id": event.external_id})
    device = Device.objects.create(vendor_id=event.vendor_id, external_id=event.external_id, kind=kind, elder=elder,
                                   region_code=elder.region_code, county_code=elder.county_code,
                                   installed_where=(installed_where or "").strip())  # fmt: skip
    DeviceEvent.objects.filter(vendor_id=event.vendor_id, external_id=event.external_id,
                               binding=BindingState.WAITING).update(device=device, binding=BindingState.RESOLVED,
                                                                    region_code=elder.region_code,
                                                                    county_code=elder.county_code)  # fmt: skip
    audit.record(actor, AuditAction.CREATE, device)
    return device


def sweep_devices(now=None) -> dict:
    """Devices whose heartbeat is overdue are marked offline and, like those low on battery or often raising
    false alarms, get a maintenance ticket (one per device, reason and day), never an alarm; then the
    inactivity rules are checked against the working sensors (yiyang/care/inactivity.py)."""
    from . import inactivity
    from .models import DeviceStatus, MaintenanceTicket

    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    made = {"offline": 0, "battery": 0}
    stale = Device.objects.filter(status=DeviceStatus.ACTIVE, last_heartbeat_at__lt=now - timedelta(hours=2))
    for device in stale.iterator():
        if not device.heartbeat_overdue(now):
            continue
        Device.objects.filter(pk=device.pk).update(status=DeviceStatus.OFFLINE)
        made["offline"] += post_once(MaintenanceTicket, device=device, region_code=device.region_code,
                                     county_code=device.county_code, reason="offline",
                                     key=f"offline:{device.pk}:{day}")  # fmt: skip
    for device in Device.objects.filter(battery__lt=Device.LOW_BATTERY).exclude(status=DeviceStatus.RETIRED).iterator():
        made["battery"] += post_once(MaintenanceTicket, device=device, region_code=device.region_code,
                                     county_code=device.county_code, reason="battery",
                                     key=f"battery:{device.pk}:{day}")  # fmt: skip
    made["inactivity"] = len(inactivity.check(now))
    made["false_alarms"] = 0
    for device in false_alarming(Device.objects.exclude(status=DeviceStatus.RETIRED), now).iterator():
        made["false_alarms"] += post_once(MaintenanceTicket, device=device, region_code=device.region_code,
                                          county_code=device.county_code, reason="false_alarms",
                                          key=f"false_alarms:{device.pk}:{day}")  # fmt: skip
    return made


def with_false_alarms(devices, now=None):
    """The devices annotated with `false_alarms`: their alarms ended as false within the window."""
    since = (now or timezone.now()) - Device.FALSE_ALARM_WINDOW
    ended_false = Q(alarms__outcome=Outcome.FALSE_ALARM, alarms__closed_at__gte=since)
    return devices.annotate(false_alarms=Count("alarms", filter=ended_false))


def false_alarming(devices, now=None):
    return with_false_alarms(devices, now).filter(false_alarms__gte=Device.FALSE_ALARM_LIMIT)
