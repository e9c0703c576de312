"""Complaints and the 12345 hotline (投诉).

The bureau registers a complaint about a facility or a home-care provider of its scope, whatever the
channel, with a reply deadline (configured days after registration). The complaint moves through a
state machine declared in `supervision/workflows.py` (core's workflow mechanism); every step locks the row, checks the current state and is
recorded with who, when and why. The facility or provider complained about sees and answers its own
complaints, with the complainant's contact masked.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiyang.core import audit, masking
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.phones import InvalidPhone
from yiyang.core.phones import normalize as normalize_phone
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import ensure_visible, get_visible_or_404
from yiyang.facilities.models import Facility
from yiyang.providers.models import Provider

from .. import conf
from ..models import Channel, Complaint, ComplaintStatus, ComplaintStep
from ..workflows import COMPLAINT

S = ComplaintStatus
WAITING = (S.RECEIVED, S.HANDLING, S.REOPENED)


def reply_deadline(start: date) -> date:
    return start + timedelta(days=conf.value("COMPLAINT_REPLY_DAYS"))


def _step(actor: Actor, complaint: Complaint, from_status: str, to_status: str, note: str = "") -> None:
    ComplaintStep.objects.create(
        complaint=complaint, county_code=complaint.county_code, from_status=from_status, to_status=to_status,
        note=note[:1000], **ComplaintStep.by_actor(actor),
    )  # fmt: skip


MAX_ID = 2**63 - 1  # the largest row id the database can hold


def _provider(user, provider_id):
    """The home-care provider complained about, read through the scoping mechanism."""
    if not isinstance(provider_id, int) or isinstance(provider_id, bool) or not 0 < provider_id <= MAX_ID:
        return None
    return Provider.objects.visible_to(user, "view").filter(pk=provider_id).first()


def _subject(actor: Actor, data: dict, errors: dict) -> dict:
    """The facility or the provider, each looked up in the user's scope; the name and the region of
    the complaint are the subject's own."""
    facility_id, provider_id = data.get("facility_id"), data.get("provider_id")
    if bool(facility_id) == bool(provider_id):
        errors["facility_id"] = "请选择被投诉的养老机构，或填写被投诉的居家服务商（二者选一）"
        return {}
    if facility_id:
        facility = get_visible_or_404(Facility.objects, actor.user, "view", pk=facility_id)
        return {"facility": facility, "subject_name": facility.name, "region_code": facility.region_code,
                "county_code": facility.county_code}  # fmt: skip
    provider = _provider(actor.user, provider_id)
    if provider is None:
        errors["provider_id"] = "服务商编号不存在或不在您的管辖范围内"
        return {}
    return {"provider": provider, "subject_name": provider.name[:100], "region_code": provider.region_code,
            "county_code": provider.county_code}  # fmt: skip


@transaction.atomic
def register(actor: Actor, data: dict) -> Complaint:
    """Register a complaint received through any channel."""
    errors: dict[str, str] = {}
    subject = _subject(actor, data, errors)
    channel = data.get("channel")
    if channel not in Channel.values:
        errors["channel"] = "渠道应为12345热线、电话、来访或网上之一"
    ticket = str(data.get("ticket_number") or "").strip()
    if channel == Channel.HOTLINE and not ticket:
        errors["ticket_number"] = "12345热线转办的投诉请填写工单号"
    name = str(data.get("complainant_name") or "").strip()
    if not name or len(name) > 50:
        errors["complainant_name"] = "请填写投诉人姓名（可填“匿名”）"
    try:
        phone = normalize_phone(str(data.get("complainant_phone") or ""))
        if not phone:
            errors["complainant_phone"] = "请填写投诉人联系电话，以便答复"
    except InvalidPhone as exc:
        phone, errors["complainant_phone"] = "", str(exc)
    content = str(data.get("content") or "").strip()
    if not content:
        errors["content"] = "请填写投诉内容"
    today = timezone.localdate()
    received_on = data.get("received_on") or today
    if not isinstance(received_on, date) or received_on > today:
        errors["received_on"] = "登记日期不能晚于今天"
    if errors:
        raise FieldErrors(errors)
    complaint = Complaint.objects.create(
        **subject, channel=channel, ticket_number=ticket[:40], complainant_name=name, complainant_phone=phone,
        content=content[:5000], received_on=received_on, deadline=reply_deadline(received_on),
        created_by=actor.db_user,
    )  # fmt: skip
    ensure_visible(actor.user, complaint, "supervision.add_complaint")
    _step(actor, complaint, "", S.RECEIVED, f"{complaint.get_channel_display()}登记")
    audit.record(actor, AuditAction.CREATE, complaint, object_repr=f"登记投诉：{complaint.subject_name}")
    return complaint


def next_states(user, complaint: Complaint) -> list[str]:
    """The states the user may move the complaint to now (the buttons and the API read this)."""
    return [t.target for t in COMPLAINT.allowed(user, complaint)]


def step_effects(complaint: Complaint, to: str, at: datetime, reply: str = "") -> None:
    """What a move to `to` at time `at` changes on the complaint besides its state, which the workflow
    sets (not saved): the one place of these rules, used by `transition` and by whatever writes a
    complaint's history through `COMPLAINT.replay` (the demo)."""
    if to == S.REPLIED:
        complaint.reply = reply[:5000]
    elif to == S.CLOSED:
        complaint.closed_at = at
    elif to == S.REOPENED:
        # A reopened complaint gets a fresh term to be answered again.
        complaint.closed_at, complaint.deadline = None, reply_deadline(timezone.localdate(at))


@transaction.atomic
def transition(actor: Actor, complaint_id: int, to: str, note: str = "", reply: str = "") -> Complaint:
    """Move a complaint one step; the step is recorded with who, when and why."""
    if to not in COMPLAINT:
        get_visible_or_404(Complaint.objects, actor.user, "view", pk=complaint_id)
        raise FieldErrors({"to": "目标状态应为办理中、已答复、已办结或重新办理"})
    complaint = COMPLAINT.lock(actor, complaint_id, to)
    COMPLAINT.check_state(complaint, COMPLAINT[to])
    note, reply = note.strip(), reply.strip()
    if to == S.REPLIED and not reply:
        raise FieldErrors({"reply": "请填写答复内容"})
    before = COMPLAINT.move(actor, complaint, to, note, step_note=reply if to == S.REPLIED and not note else note)
    step_effects(complaint, to, timezone.now(), reply)
    complaint.save(update_fields=["status", "reply", "closed_at", "deadline"])
    audit.record(actor, AuditAction.UPDATE, complaint, changes={"status": [before, to]})
    return complaint


def contact_for(actor: Actor, complaint: Complaint, reveal: bool = False) -> dict:
    """The complainant's contact, masked unless the user may see it and asks to (audited)."""
    shown = masking.shown(actor, complaint, reveal=reveal)
    return {"name": shown["complainant_name"], "phone": shown["complainant_phone"], "revealed": shown.revealed}


# A complaint waiting for its reply this many days before its deadline is near it (the home page's to-do).
DUE_SOON_DAYS = 3


def due_soon_q(today: date | None = None) -> Q:
    """Waiting for a reply, and the deadline within DUE_SOON_DAYS days or already past."""
    today = today or timezone.localdate()
    return Q(status__in=WAITING, deadline__lte=today + timedelta(days=DUE_SOON_DAYS))


def listing(user, region_code: str = "", *, status: str = "", overdue: bool = False, facility_id: int | None = None,
            channel: str = "", due_soon: bool = False):  # fmt: skip
    """Complaints the user may see, under a region if given; soonest deadline first."""
    rows = Complaint.objects.visible_to(user)
    if region_code:
        rows = rows.filter(region_range_q("region_code", region_code))
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if overdue:
        rows = rows.filter(overdue_q())
    if due_soon:
        rows = rows.filter(due_soon_q())
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    return rows.order_by("deadline", "id")


def overdue_q(today: date | None = None) -> Q:
    return Q(status__in=WAITING, deadline__lt=today or timezone.localdate())
