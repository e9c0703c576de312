"""REST API for emergency help (/api/v1/care): the vendors' webhooks (signed, no user), the alarm
queue and its handling, the telephony system's call events, devices and the binding queue."""

import json
from datetime import datetime

from django.http import Http404, HttpResponse
from ninja import Router, Schema, Status

from yiyang.core import masking
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.services import requested_region

from . import inactivity, ingest, live, services
from .models import AdapterKind, Alarm, AlarmState, Device, DeviceEvent, Vendor

router = Router(tags=["应急救援"])

# --- Vendor webhooks: authenticated by signature, not by user ---------------------------------------------


def _vendor(code: str, adapter: str) -> Vendor:
    vendor = Vendor.objects.filter(code=code, is_active=True, adapter=adapter).first()
    if vendor is None:
        raise Http404
    return vendor


def _json(body: bytes):
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldErrors({"body": "不是有效的 JSON"}) from None


class StoredOut(Schema):
    status: str
    event_id: int
    alarm_id: int | None = None
    late: bool = False


class BatchOut(Schema):
    stored: int
    duplicates: int
    unbound: int
    alarms: list[int]


VENDOR_ERRORS = {401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _stored(item: ingest.Stored) -> dict:
    return {"status": item.status, "event_id": item.event.pk, "alarm_id": item.alarm_id, "late": item.event.late}


@router.post("/vendors/{vendor}/events", auth=None, response={200: StoredOut, 201: StoredOut, 202: StoredOut,
             **VENDOR_ERRORS}, summary="厂商推送一条事件（通用签名 JSON，见 docs/care.md）")  # fmt: skip
def post_event(request, vendor: str):
    found = _vendor(vendor, AdapterKind.GENERIC)
    nonce = ingest.check_generic(found, request.method, request.path, request.headers, request.body)
    parsed = ingest.parse_generic(_json(request.body))
    (item,) = ingest.store(found, [parsed], nonce)
    return Status({"stored": 201, "duplicate": 200, "unbound": 202}[item.status], _stored(item))


@router.post("/vendors/{vendor}/events/batch", auth=None, response={200: BatchOut, **VENDOR_ERRORS},
             summary="厂商批量推送事件（遥测；一批全部写入或全部不写）")  # fmt: skip
def post_batch(request, vendor: str):
    found = _vendor(vendor, AdapterKind.GENERIC)
    nonce = ingest.check_generic(found, request.method, request.path, request.headers, request.body)
    body = _json(request.body)
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or not events:
        raise FieldErrors({"events": "应为非空的事件数组"})
    if len(events) > ingest.MAX_BATCH:
        raise FieldErrors({"events": f"一批最多 {ingest.MAX_BATCH} 条"})
    parsed = [ingest.parse_generic(item, f"events.{i}.") for i, item in enumerate(events)]
    stored = ingest.store(found, parsed, nonce)
    return {
        "stored": sum(s.status == "stored" for s in stored),
        "duplicates": sum(s.status == "duplicate" for s in stored),
        "unbound": sum(s.status == "unbound" for s in stored),
        "alarms": sorted({s.alarm_id for s in stored if s.alarm_id}),
    }


@router.post("/vendors/{vendor}/notify", auth=None, response={200: BatchOut, **VENDOR_ERRORS},
             summary="手表云平台推送（IMEI + flag：AL/UD/UD2/LK，MD5 时间窗签名）")  # fmt: skip
def post_watch(request, vendor: str):
    found = _vendor(vendor, AdapterKind.WATCH_CLOUD)
    body = _json(request.body)
    sign = (
        request.headers.get("sign") or request.GET.get("sign") or (body.get("sign") if isinstance(body, dict) else "")
    )
    ingest.check_watch(found, str(sign or ""))
    stored = ingest.store(found, ingest.parse_watch(body))
    return {
        "stored": sum(s.status == "stored" for s in stored),
        "duplicates": sum(s.status == "duplicate" for s in stored),
        "unbound": sum(s.status == "unbound" for s in stored),
        "alarms": sorted({s.alarm_id for s in stored if s.alarm_id}),
    }


@router.get("/vendors/{vendor}/ping", auth=None, summary="厂商平台的连通检查：回答 pong")
def ping(request, vendor: str):
    if not Vendor.objects.filter(code=vendor, is_active=True).exists():
        raise Http404
    return HttpResponse("pong", content_type="text/plain")


# --- Alarms ------------------------------------------------------------------------------------------


class AlarmOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    device_id: int | None
    kind: str
    kind_label: str
    source: str
    state: str
    state_label: str
    version: int
    opened_at: datetime
    presses: int
    caller_number: str
    summary: str
    responder_id: int | None
    responder_name: str
    offer: str
    distance_m: int | None
    arrived_at: datetime | None
    outcome: str
    emergency_numbers: list[str]
    escalation_level: int
    next_escalation_at: datetime | None


def alarm_out(alarm: Alarm) -> dict:
    return {
        **{
            f: getattr(alarm, f)
            for f in (
                "id",
                "elder_id",
                "device_id",
                "kind",
                "source",
                "state",
                "version",
                "opened_at",
                "presses",
                "summary",
                "responder_id",
                "offer",
                "distance_m",
                "arrived_at",
                "outcome",
                "emergency_numbers",
                "escalation_level",
                "next_escalation_at",
            )
        },  # fmt: skip
        "elder_name": alarm.elder.name,
        "kind_label": alarm.get_kind_display(),
        "state_label": alarm.get_state_display(),
        "caller_number": masking.masked(alarm, ["caller_number"])["caller_number"],
        "responder_name": alarm.responder.name if alarm.responder_id else "",
    }


@router.get("/alarms", response=Page[AlarmOut], summary="报警（按管辖范围；open=true 仅未结束的）")
def list_alarms(request, open: bool = False, page: int = 1, page_size: int = 50):
    rows = Alarm.objects.visible_to(request.user).select_related("elder", "responder")
    if open:
        rows = rows.filter(state__in=live.QUEUE_STATES)
    result = paginate(rows, page, page_size)
    result["items"] = [alarm_out(a) for a in result["items"]]
    return result


class LiveOut(Schema):
    changed: bool
    cursor: str
    items: list[AlarmOut] = []


@router.get("/alarms/live", response=LiveOut, summary="坐席实时队列：带上次的 cursor，无变化时 changed=false")
def live_queue(request, since: str = ""):
    rows, cursor = live.queue(request.user)
    if since and since == cursor:
        return {"changed": False, "cursor": cursor, "items": []}
    return {"changed": True, "cursor": cursor, "items": [alarm_out(a) for a in rows]}


@router.get("/alarms/{alarm_id}", response={200: AlarmOut, 404: ErrorOut})
def get_alarm(request, alarm_id: int):
    alarm = get_visible_or_404(Alarm.objects.select_related("elder", "responder"), request.user, pk=alarm_id)
    return alarm_out(alarm)


class ManualIn(Schema):
    elder_id: int
    kind: str = "hotline"
    summary: str = ""
    caller_number: str = ""
    call_id: int | None = None


@router.post("/alarms", response={201: AlarmOut, 403: ErrorOut, 422: ErrorOut}, summary="登记热线或人工报警")
def open_alarm(request, payload: ManualIn):
    alarm = services.open_manual(_actor(request), payload.elder_id, payload.kind, summary=payload.summary,
                                 caller_number=payload.caller_number, call_id=payload.call_id)  # fmt: skip
    return Status(201, alarm_out(alarm))


class StepIn(Schema):
    version: int | None = None
    note: str = ""
    responder_id: int | None = None
    lat: float | None = None
    lng: float | None = None
    outcome: str = ""


STEP_RESPONSES = {200: AlarmOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
STEPS = ("acknowledge", "verify", "dispatch", "accept", "decline", "arrive", "resolve", "resolve_by_phone", "close",
         "false_alarm", "test", "duplicate", "device_fault")  # fmt: skip


def run_step(actor, alarm_id: int, step: str, data: dict) -> Alarm:
    """One workflow step from the API or a page form."""
    version = data.get("version")
    if step == "acknowledge":
        return services.acknowledge(actor, alarm_id, version)
    if step == "dispatch":
        return services.dispatch(actor, alarm_id, data.get("responder_id"), version)
    if step == "accept":
        return services.accept(actor, alarm_id, version)
    if step == "decline":
        return services.decline(actor, alarm_id, data.get("note", ""), version)
    if step == "arrive":
        return services.arrive(actor, alarm_id, data.get("lat"), data.get("lng"), version)
    if step == "resolve":
        return services.resolve(actor, alarm_id, data.get("outcome", ""), data.get("note", ""), version)
    if step in STEPS:
        return services.move(actor, alarm_id, step, data.get("note", ""), version, outcome=data.get("outcome", ""))
    raise Http404


@router.post(
    "/alarms/{alarm_id}/steps/{step}", response=STEP_RESPONSES, summary="报警处置环节（接警、派人、到场、结案…）"
)
def step(request, alarm_id: int, step: str, payload: StepIn):
    alarm = run_step(_actor(request), alarm_id, step, payload.dict())
    return alarm_out(Alarm.objects.select_related("elder", "responder").get(pk=alarm.pk))


class CallIn(Schema):
    called: str
    outcome: str
    note: str = ""


@router.post("/alarms/{alarm_id}/calls", response=STEP_RESPONSES, summary="记录一次回拨及结果")
def log_call(request, alarm_id: int, payload: CallIn):
    alarm = services.log_call(_actor(request), alarm_id, payload.called, payload.outcome, payload.note)
    return alarm_out(Alarm.objects.select_related("elder", "responder").get(pk=alarm.pk))


class NoteIn(Schema):
    note: str


@router.post("/alarms/{alarm_id}/notes", response=STEP_RESPONSES, summary="添加处置备注")
def add_note(request, alarm_id: int, payload: NoteIn):
    alarm = services.add_note(_actor(request), alarm_id, payload.note)
    return alarm_out(Alarm.objects.select_related("elder", "responder").get(pk=alarm.pk))


class StepOut(Schema):
    at: datetime
    action: str
    by_name: str
    note: str
    from_status: str
    to_status: str
    called: str
    call_outcome: str


@router.get("/alarms/{alarm_id}/timeline", response={200: list[StepOut], 404: ErrorOut}, summary="报警处置时间线")
def timeline(request, alarm_id: int):
    alarm = get_visible_or_404(Alarm.objects, request.user, pk=alarm_id)
    return list(alarm.steps.all())


class ResponderOut(Schema):
    id: int
    name: str
    role: str
    distance_m: int | None


@router.get("/alarms/{alarm_id}/responders", response={200: list[ResponderOut], 403: ErrorOut, 404: ErrorOut},
            summary="可派的在岗响应人员（由近到远）")  # fmt: skip
def responders(request, alarm_id: int):
    from yiyang.core.scoping import get_for_action

    alarm = get_for_action(Alarm.objects.select_related("elder"), request.user, "care.handle_alarm", pk=alarm_id)
    return [{"id": s.pk, "name": s.name, "role": s.get_role_display(),
             "distance_m": round(d) if d is not None else None} for d, s in services.candidates(alarm)]  # fmt: skip


# --- Hotline ---------------------------------------------------------------------------------------


class CallEventIn(Schema):
    caller: str
    call_id: str = ""


class CardElderOut(Schema):
    id: int
    name: str


class CallEventOut(Schema):
    id: int
    elders: list[CardElderOut]


@router.post("/calls", response={201: CallEventOut, 403: ErrorOut, 422: ErrorOut},
             summary="话务系统的来电事件（以坐席的接口令牌调用）：按号码弹出老人卡片")  # fmt: skip
def call_event(request, payload: CallEventIn):
    from yiyang.core.scoping import has_permission

    if not has_permission(request.user, "care.add_alarm"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    call = services.hotline_call(_actor(request), payload.caller, payload.call_id)
    found = services.elders_by_phone(request.user, call.caller_number)
    return Status(201, {"id": call.pk, "elders": [{"id": e.pk, "name": e.name} for e in found]})


# --- Devices ---------------------------------------------------------------------------------------


class DeviceOut(Schema):
    id: int
    vendor_id: int
    external_id: str
    kind: str
    elder_id: int
    installed_where: str
    last_heartbeat_at: datetime | None
    last_event_at: datetime | None
    battery: int | None
    status: str


@router.get("/devices", response=Page[DeviceOut], summary="报警设备（按管辖范围）")
def list_devices(request, page: int = 1, page_size: int = 50):
    return paginate(Device.objects.visible_to(request.user).order_by("id"), page, page_size)


class UnboundOut(Schema):
    id: int
    vendor_id: int
    external_id: str
    kind: str
    occurred_at: datetime
    received_at: datetime


@router.get("/events/unbound", response=Page[UnboundOut], summary="待绑定的设备事件（未知设备）")
def unbound(request, page: int = 1, page_size: int = 50):
    rows = DeviceEvent.objects.visible_to(request.user).filter(binding="waiting").order_by("-received_at", "-id")
    return paginate(rows, page, page_size)


class BindIn(Schema):
    elder_id: int
    kind: str
    installed_where: str = ""


@router.post("/events/{event_id}/bind", response={201: DeviceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
             422: ErrorOut}, summary="为待绑定事件的未知设备登记老人")  # fmt: skip
def bind(request, event_id: int, payload: BindIn):
    device = services.bind(_actor(request), event_id, payload.elder_id, payload.kind, payload.installed_where)
    return Status(201, device)


# --- Inactivity rules ------------------------------------------------------------------------------------


class InactivityRuleOut(Schema):
    id: int
    region_code: str
    elder_id: int | None
    signal: str
    hours: int
    min_litres: float | None
    day_start: str
    day_end: str
    is_active: bool

    @staticmethod
    def resolve_day_start(rule):
        return rule.day_start.strftime("%H:%M")

    @staticmethod
    def resolve_day_end(rule):
        return rule.day_end.strftime("%H:%M")


class InactivityRuleIn(Schema):
    region_code: str = ""
    elder_id: int | None = None
    signal: str
    hours: int
    min_litres: float | None = None
    day_start: str = "07:00"
    day_end: str = "21:00"
    is_active: bool = True


@router.get("/inactivity-rules", response={200: list[InactivityRuleOut], 404: ErrorOut, 422: ErrorOut},
            summary="无活动报警规则（区划及其下级、单个老人）")  # fmt: skip
def list_inactivity_rules(request, region: str = ""):
    code = requested_region(request.user, region)
    return list(inactivity.rules_of(request.user, code).order_by("region_code", "signal", "id"))


@router.post("/inactivity-rules", response={200: InactivityRuleOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="设置无活动报警规则（同一区划或老人、同一信号只有一条，再设即替换）")  # fmt: skip
def save_inactivity_rule(request, payload: InactivityRuleIn):
    return inactivity.save_rule(_actor(request), payload.dict())


@router.delete("/inactivity-rules/{rule_id}", response={204: None, 403: ErrorOut, 404: ErrorOut},
               summary="删除无活动报警规则")  # fmt: skip
def delete_inactivity_rule(request, rule_id: int):
    inactivity.delete_rule(_actor(request), rule_id)
    return Status(204, None)


__all__ = ["router", "AlarmState"]
