"""Complaints and the 12345 hotline: registration, the state machine, replies, overdue lists."""

from datetime import date, datetime

from ninja import Router, Schema, Status

from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.services import requested_region

from ..models import Complaint, ComplaintStatus
from ..services import complaints as services
from .types import Id

router = Router(tags=["监管：投诉举报"])


class ComplaintIn(Schema):
    facility_id: Id | None = None
    provider_id: Id | None = None
    channel: str
    ticket_number: str = ""
    complainant_name: str
    complainant_phone: str
    content: str
    received_on: date | None = None


class ComplaintOut(Schema):
    id: int
    facility_id: Id | None
    provider_id: Id | None
    subject_name: str
    region_code: str
    channel: str
    ticket_number: str
    complainant_name: str
    complainant_phone: str
    content: str
    received_on: date
    deadline: date
    status: str
    reply: str
    overdue: bool
    closed_at: datetime | None


class StepOut(Schema):
    from_status: str
    to_status: str
    note: str
    by_name: str
    at: datetime


class ComplaintDetailOut(ComplaintOut):
    steps: list[StepOut]
    next_steps: list[str]


def _out(actor: Actor, complaint: Complaint, reveal: bool = False) -> dict:
    contact = services.contact_for(actor, complaint, reveal)
    data = {name: getattr(complaint, name) for name in ComplaintOut.model_fields if hasattr(complaint, name)}
    data.update(complainant_name=contact["name"], complainant_phone=contact["phone"], overdue=complaint.is_overdue())
    return data


@router.get("/complaints", response={200: Page[ComplaintOut], 404: ErrorOut, 422: ErrorOut},
            summary="投诉（按管辖范围；overdue=true 只看逾期，due_soon=true 只看 3 天内到期或已逾期）")  # fmt: skip
def list_complaints(request, region: str = "", status: str = "", overdue: bool = False, facility_id: Id = 0,
                    due_soon: bool = False, page: int = 1, page_size: int = 20):  # fmt: skip
    if status and status not in ComplaintStatus.values:
        raise FieldErrors({"status": "不是可选值之一"})
    code = requested_region(request.user, region, narrows=True) if region else ""
    rows = services.listing(
        request.user, code, status=status, overdue=overdue, facility_id=facility_id or None, due_soon=due_soon
    )
    result = paginate(rows, page, page_size)
    actor = _actor(request)
    result["items"] = [_out(actor, c) for c in result["items"]]
    return result


@router.post("/complaints", response={201: ComplaintOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="登记投诉（被投诉对象：机构 facility_id 或服务商 provider_id，须在本辖区内）")  # fmt: skip
def create_complaint(request, payload: ComplaintIn):
    complaint = services.register(_actor(request), payload.dict())
    return Status(201, _out(_actor(request), complaint))


@router.get("/complaints/{complaint_id}", response={200: ComplaintDetailOut, 404: ErrorOut},
            summary="投诉详情（投诉人联系方式脱敏，reveal=true 显示完整并留痕）")  # fmt: skip
def get_complaint(request, complaint_id: Id, reveal: bool = False):
    complaint = get_visible_or_404(Complaint.objects, request.user, pk=complaint_id)
    data = _out(_actor(request), complaint, reveal)
    data["steps"] = list(complaint.steps.all())
    data["next_steps"] = sorted(services.next_states(request.user, complaint))
    return data


class TransitionIn(Schema):
    to: str
    note: str = ""
    reply: str = ""


@router.post("/complaints/{complaint_id}/transitions",
             response={200: ComplaintOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="办理投诉：转办理中、答复、办结、重新办理")  # fmt: skip
def transition(request, complaint_id: Id, payload: TransitionIn):
    complaint = services.transition(_actor(request), complaint_id, payload.to, payload.note, payload.reply)
    return _out(_actor(request), complaint)
