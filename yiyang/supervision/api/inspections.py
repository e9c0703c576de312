"""Inspections and the rectification ledger: checklists, plans, on-site results, hazards."""

from datetime import date, datetime

from django.http import FileResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core import pdf
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.services import requested_region

from .. import documents
from ..models import Checklist, Hazard, HazardStatus, Severity
from ..services import inspections as services
from .types import Id

router = Router(tags=["监管：检查与隐患整改"])


class ChecklistItemIO(Schema):
    category: str
    text: str


class ChecklistIn(Schema):
    region_code: str
    name: str
    items: list[ChecklistItemIO]


class ChecklistOut(Schema):
    id: int
    region_code: str
    name: str
    version: int
    items: list[dict]
    is_active: bool


@router.get("/checklists", response=list[ChecklistOut], summary="检查表（本辖区及上级发布的）")
def list_checklists(request, active: bool = True):
    rows = Checklist.objects.visible_to(request.user)
    return list(rows.filter(is_active=True) if active else rows)[:500]


@router.post("/checklists", response={201: ChecklistOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="发布检查表（同名则生成新版本）")  # fmt: skip
def create_checklist(request, payload: ChecklistIn):
    items = [(item.category, item.text) for item in payload.items]
    return Status(201, services.save_checklist(_actor(request), payload.region_code, payload.name, items))


class InspectionIn(Schema):
    facility_id: Id
    checklist_id: Id
    kind: str
    planned_on: date
    inspectors: str


class InspectionOut(Schema):
    id: int
    facility_id: Id
    region_code: str
    checklist_id: Id
    kind: str
    planned_on: date
    inspectors: str
    status: str
    results: dict[str, str]
    summary: str
    inspected_at: datetime | None


@router.post("/inspections", response={201: InspectionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="安排检查")  # fmt: skip
def plan(request, payload: InspectionIn):
    inspection = services.plan_inspection(_actor(request), payload.facility_id, payload.checklist_id, payload.kind,
                                          payload.planned_on, payload.inspectors)  # fmt: skip
    return Status(201, inspection)


@router.get("/inspections", response=Page[InspectionOut], summary="检查（按管辖范围）")
def list_inspections(request, status: str = "", facility_id: Id = 0, page: int = 1, page_size: int = 20):
    rows = services.inspections_visible(request.user)
    if status:
        rows = rows.filter(status=status)
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    return paginate(rows.order_by("-planned_on", "-id"), page, page_size)


@router.get("/inspections/{inspection_id}", response={200: InspectionOut, 404: ErrorOut})
def get_inspection(request, inspection_id: Id):
    return services.get_inspection(request.user, inspection_id)


@router.get("/inspections/{inspection_id}/notice.pdf", response={200: None, 404: ErrorOut},
            summary="整改通知书（PDF，检查完成后）")  # fmt: skip
def rectification_notice_pdf(request, inspection_id: Id):
    context = documents.rectification_notice(request.user, inspection_id)
    return pdf.response(request, documents.NOTICE_TEMPLATE, context, filename=documents.notice_filename(context))


class FindingIn(Schema):
    description: str
    severity: str = Severity.GENERAL
    responsible_person: str
    deadline: date | None = None


class ResultsIn(Schema):
    results: dict[str, str]
    findings: dict[str, FindingIn] = {}
    summary: str = ""


@router.post("/inspections/{inspection_id}/results",
             response={200: InspectionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="录入现场检查结果（不合格项生成隐患）")  # fmt: skip
def record_results(request, inspection_id: Id, payload: ResultsIn):
    findings = {code: services.Finding(**finding.dict()) for code, finding in payload.findings.items()}
    return services.record_results(_actor(request), inspection_id, payload.results, findings, payload.summary)


class PhotoOut(Schema):
    id: int
    item_code: str
    purpose: str
    uploaded_at: datetime


@router.post("/inspections/{inspection_id}/photos",
             response={201: list[PhotoOut], 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="上传某一检查项的现场照片（multipart）")  # fmt: skip
def add_photos(request, inspection_id: Id, item_code: Form[str], photos: File[list[UploadedFile]]):
    return Status(201, services.add_finding_photos(_actor(request), inspection_id, item_code, list(photos)))


class HazardOut(Schema):
    id: int
    facility_id: Id
    region_code: str
    inspection_id: Id
    item_code: str
    category: str
    description: str
    severity: str
    responsible_person: str
    deadline: date
    status: str
    returned_times: int
    escalation_level: int
    found_on: date
    closed_at: datetime | None


class StepOut(Schema):
    action: str
    note: str
    by_name: str
    at: datetime


class HazardDetailOut(HazardOut):
    steps: list[StepOut]
    photo_ids: list[int]


@router.get("/hazards", response=Page[HazardOut], summary="隐患整改台账")
def list_hazards(request, region: str = "", status: str = "", severity: str = "", overdue: bool = False,
                 escalated: bool = False, facility_id: Id = 0, page: int = 1, page_size: int = 20):  # fmt: skip
    code = requested_region(request.user, region, narrows=True)
    if status and status not in (services.PENDING, *HazardStatus.values):
        raise FieldErrors({"status": "应为 pending（未销号）、open、submitted 或 closed"})
    hazards = services.ledger(request.user, code, status=status, severity=severity, overdue=overdue,
                              escalated=escalated, facility_id=facility_id or None)  # fmt: skip
    return paginate(hazards, page, page_size)


class SummaryOut(Schema):
    region_code: str
    name: str
    total: int
    open: int
    submitted: int
    closed: int
    overdue: int
    closed_rate: float | None


@router.get("/hazards/summary", response={200: list[SummaryOut], 422: ErrorOut}, summary="台账对账：各下级区划的隐患数")
def hazard_summary(request, region: str = ""):
    code = requested_region(request.user, region, narrows=True)
    return services.summary_by_child_region(request.user, code)


@router.get("/hazards/export.xlsx", response={200: None, 403: ErrorOut, 422: ErrorOut}, summary="导出隐患整改台账")
def export_hazards(request, region: str = "", status: str = "", overdue: bool = False):
    code = requested_region(request.user, region, narrows=True)
    hazards = services.ledger(request.user, code, status=status, overdue=overdue, action="export")
    handle = services.export_ledger(_actor(request), hazards)
    return FileResponse(handle, as_attachment=True, filename="隐患整改台账.xlsx")


@router.get("/hazards/{hazard_id}", response={200: HazardDetailOut, 404: ErrorOut})
def get_hazard(request, hazard_id: Id):
    hazard = get_visible_or_404(Hazard.objects, request.user, pk=hazard_id)
    hazard.photo_ids = list(hazard.photos.values_list("pk", flat=True))
    return hazard


@router.post("/hazards/{hazard_id}/rectification",
             response={200: HazardOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="机构提交整改材料（说明与照片，multipart）")  # fmt: skip
def rectify(request, hazard_id: Id, note: Form[str], photos: File[list[UploadedFile]] = None):
    return services.submit_rectification(_actor(request), hazard_id, note, list(photos or []))


class VerifyIn(Schema):
    accept: bool
    note: str = ""


@router.post("/hazards/{hazard_id}/verify",
             response={200: HazardOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="核验：销号或退回")  # fmt: skip
def verify(request, hazard_id: Id, payload: VerifyIn):
    return services.verify(_actor(request), hazard_id, payload.accept, payload.note)
