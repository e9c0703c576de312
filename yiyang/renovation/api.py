"""REST API of home renovation (/api/v1/renovation): applications and their steps, the assessor's plan,
the item-by-item acceptance, the catalogs, the budgets with their queue, and the progress figures. Thin:
every change goes through the services."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja import Status as Answer
from ninja.files import UploadedFile

from yiyang.core import masking
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.services import requested_region

from . import reports, services
from .models import Application, Catalog, Status

router = Router(tags=["居家适老化改造"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ApplicationOut(Schema):
    id: int
    number: str
    elder_id: int
    elder_name: str
    region_code: str
    year: int
    address: str
    category: str
    applicant_kind: str
    status: str
    status_label: str
    version: int
    submitted_at: datetime
    cap: int
    plan_total: int
    subsidy: int
    self_pay: int
    assessor_id: int | None
    contractor_id: int | None
    acceptor_id: int | None
    refusal_reason: str


class LineOut(Schema):
    id: int
    item_id: int
    number: int
    name: str
    tier: str
    unit: str
    needed: bool
    in_plan: bool
    quantity: Decimal
    unit_price: int
    amount: int
    rework: bool
    passed: bool | None
    photos: dict[str, int]


class StepOut(Schema):
    action: str
    from_status: str
    to_status: str
    note: str
    by_name: str
    at: datetime


class ApplicationDetailOut(ApplicationOut):
    options: list[str]
    lines: list[LineOut]
    steps: list[StepOut]


def application_out(application: Application, address: str | None = None) -> dict:
    return {
        **{name: getattr(application, name) for name in ApplicationOut.model_fields if hasattr(application, name)},
        "elder_name": application.elder.name,
        "status_label": application.get_status_display(),
        "address": masking.masked(application, ["address"])["address"] if address is None else address,
    }


def _detail(request, application: Application, reveal: bool = False) -> dict:
    shown = masking.shown(_actor(request), application, reveal=reveal, fields=["address"])
    lines = []
    for line in application.lines.select_related("item").prefetch_related("photos"):
        counted: dict[str, int] = {}
        for photo in line.photos.all():
            counted[photo.stage] = counted.get(photo.stage, 0) + 1
        lines.append({"id": line.pk, "item_id": line.item_id, "number": line.item.number, "name": line.item.name,
                      "tier": line.item.tier, "unit": line.item.unit, "needed": line.needed, "in_plan": line.in_plan,
                      "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount,
                      "rework": line.rework, "passed": line.passed, "photos": counted})  # fmt: skip
    return {
        **application_out(application, shown["address"]),
        "options": [o.name for o in services.options(request.user, application) if not o.refused],
        "lines": lines,
        "steps": list(application.steps.values("action", "from_status", "to_status", "note", "by_name", "at")),
    }


def _application(request, application_id: int) -> Application:
    return get_visible_or_404(Application.objects.select_related("elder"), request.user, pk=application_id)


@router.get(
    "/applications",
    response=Page[ApplicationOut],
    summary="改造申请（按管辖范围；可按状态、年度、区划筛选；waiting=环节名 为待本人办理的排队，按申请先后）",
)
def list_applications(request, status: str = "", year: int | None = None, waiting: str = "", region: str = "",
                      page: int = 1, page_size: int = 50):  # fmt: skip
    rows = Application.objects.visible_to(request.user).select_related("elder")
    if region:
        rows = rows.filter(region_range_q("region_code", requested_region(request.user, region, narrows=True)))
    if waiting:
        rows = services.waiting(request.user, waiting, queryset=rows)
    if status:
        if status not in Status.values:
            raise FieldErrors({"status": "不是可选的状态"})
        rows = rows.filter(status=status)
    if year:
        rows = rows.filter(year=year)
    result = paginate(rows, page, page_size)
    result["items"] = [application_out(a) for a in result["items"]]
    return result


class ApplyIn(Schema):
    elder_id: int
    address: str = ""
    category: str = ""
    applicant_kind: str = "family"
    applicant_name: str = ""
    referral_ref: str = ""
    year: int | None = None


@router.post("/applications", response={201: ApplicationOut, **ERRORS}, summary="为一户提出适老化改造申请")
def create_application(request, payload: ApplyIn):
    application = services.apply(_actor(request), payload.dict())
    return Answer(201, application_out(application))


@router.get("/applications/{application_id}", response={200: ApplicationDetailOut, 404: ErrorOut},
            summary="一户的申请：方案明细、办理记录、当前可办理的环节；reveal=true 显示住址全文（记入审计）")  # fmt: skip
def get_application(request, application_id: int, reveal: bool = False):
    return _detail(request, _application(request, application_id), reveal)


class StepIn(Schema):
    note: str = ""
    version: int | None = None
    assessor_id: int | None = None
    contractor_id: int | None = None
    acceptor_id: int | None = None


@router.post("/applications/{application_id}/steps/{step}", response={200: ApplicationDetailOut, **ERRORS},
             summary="办理环节：街道初审、县级审核（指派三家机构、占用资金）、确认方案、开工、完工、核定、拨付、结案")  # fmt: skip
def take_step(request, application_id: int, step: str, payload: StepIn):
    services.take_step(_actor(request), application_id, step, payload.dict())
    return _detail(request, _application(request, application_id))


class LineIn(Schema):
    item_id: int
    needed: bool = True
    in_plan: bool = True
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    note: str = ""


class PlanIn(Schema):
    lines: list[LineIn]
    subsidy: Decimal | None = None
    self_pay: Decimal | None = None
    note: str = ""
    version: int | None = None


@router.post("/applications/{application_id}/plan", response={200: ApplicationDetailOut, **ERRORS},
             summary="评估机构提交评估结果和改造方案（金额单位：元）")  # fmt: skip
def propose_plan(request, application_id: int, payload: PlanIn):
    services.propose_plan(_actor(request), application_id, payload.dict())
    return _detail(request, _application(request, application_id))


class ResultIn(Schema):
    line_id: int | None = None
    item_id: int | None = None
    passed: bool
    note: str = ""


class ChecksIn(Schema):
    results: list[ResultIn]
    note: str = ""
    version: int | None = None


@router.post("/applications/{application_id}/checks", response={200: ApplicationDetailOut, **ERRORS},
             summary="验收机构逐项验收：全部通过即验收通过，任一不通过即退回整改")  # fmt: skip
def check_items(request, application_id: int, payload: ChecksIn):
    data = payload.dict()
    services.check_items(_actor(request), application_id, data["results"], data["note"], data["version"])
    return _detail(request, _application(request, application_id))


class ComplaintIn(Schema):
    text: str
    role: str = "construct"


@router.post("/applications/{application_id}/complaints", response={200: ApplicationDetailOut, **ERRORS},
             summary="老人、家属或民政部门投诉指派的机构（计入该机构的投诉率）")  # fmt: skip
def complain(request, application_id: int, payload: ComplaintIn):
    services.complain(_actor(request), application_id, payload.text, payload.role)
    return _detail(request, _application(request, application_id))


class PhotosOut(Schema):
    ids: list[int]
    application: ApplicationDetailOut


@router.post("/applications/{application_id}/photos", response={201: PhotosOut, **ERRORS},
             summary="上传一个改造项目的照片（multipart：item_id、stage=assess/before/after/accept、photos；"
                     "JPEG、PNG 或 WebP，每张 5 MB 以内，一次最多 9 张；只能由该环节指派的机构上传）")  # fmt: skip
def add_photos(request, application_id: int, item_id: Form[int], stage: Form[str],
               photos: File[list[UploadedFile]] = None):  # fmt: skip
    made = services.add_photos(_actor(request), application_id, item_id, stage, list(photos or []))
    detail = _detail(request, _application(request, application_id))
    return Answer(201, {"ids": [p.pk for p in made], "application": detail})


class ItemOut(Schema):
    id: int
    number: int
    group: str
    name: str
    tier: str
    unit: str
    reference_price: int
    offered: bool
    subsidy_cap: int | None
    verified: bool


class CatalogOut(Schema):
    code: str
    name: str
    document: str
    version: int
    region_code: str
    is_complete: bool
    note: str
    items: list[ItemOut]


@router.get("/catalogs", response=list[CatalogOut], summary="改造目录（全国清单、城市手册与各地目录）")
def catalogs(request):
    return [
        {**{f: getattr(c, f) for f in ("code", "name", "document", "version", "region_code", "is_complete", "note")},
         "items": list(c.items.all())}
        for c in Catalog.objects.prefetch_related("items")
    ]  # fmt: skip


class FiguresOut(Schema):
    code: str
    applications: int
    by_status: dict[str, int]
    waiting: int
    in_progress: int
    done: int
    refused: int
    target: int
    completion_rate: float | None
    budget: int
    committed: int
    left: int
    paid: int
    average_cost: int | None
    items_installed: int
    complaints: int
    rework_rate: float | None


class TopItemOut(Schema):
    name: str
    unit: str
    households: int
    quantity: Decimal


class QualityOut(Schema):
    contractor_id: int
    name: str
    households: int
    checked: int
    failed: int
    rework_rate: float | None
    household_rework_rate: float | None
    complaint_rate: float | None


class ProgressOut(Schema):
    region: str
    year: int
    whole: FiguresOut
    children: list[FiguresOut]
    top_items: list[TopItemOut]
    contractors: list[QualityOut]


def figures_out(f: reports.Figures) -> dict:
    return {name: getattr(f, name) for name in FiguresOut.model_fields}


@router.get("/progress", response={200: ProgressOut, 404: ErrorOut, 422: ErrorOut},
            summary="年度目标与进度、资金占用与余额、排队户数、施工单位整改率（按区划逐级汇总）")  # fmt: skip
def progress(request, region: str = "", year: int | None = None):
    code = requested_region(request.user, region)
    year = year or timezone.localdate().year
    whole, children = reports.progress(request.user, code, year)
    return {
        "region": code, "year": year, "whole": figures_out(whole), "children": [figures_out(c) for c in children],
        "top_items": [{"name": r["item__name"], "unit": r["item__unit"], "households": r["households"],
                       "quantity": r["quantity"]} for r in reports.top_items(request.user, code, year)],
        "contractors": [{**r, "name": r["contractor__name"]} for r in reports.contractor_quality(request.user, code, year)],
    }  # fmt: skip


class BudgetOut(Schema):
    id: int
    region_code: str
    year: int
    source: str
    amount: int
    committed: int
    left: int
    paid: int


class QueueOut(Schema):
    budget_id: int
    seq: int
    kind: str
    amount: int
    application_id: int
    application_number: str
    submitted_at: datetime
    at: datetime
    by_name: str


class BudgetsOut(Schema):
    budgets: list[BudgetOut]
    queue: list[QueueOut]


@router.get("/budgets", response={200: BudgetsOut, 404: ErrorOut, 422: ErrorOut},
            summary="改造资金：预算、已占用、余额、已拨付，以及按先后顺序的占用流水（排队顺序可审计）")  # fmt: skip
def budgets(request, region: str = "", year: int | None = None):
    code = requested_region(request.user, region)
    year = year or timezone.localdate().year
    rows = [{"id": r["budget"].pk, "region_code": r["budget"].region_code, "year": r["budget"].year,
             "source": r["budget"].source, "amount": r["budget"].amount, "committed": r["committed"],
             "left": r["left"], "paid": r["paid"]} for r in reports.budget_rows(request.user, code, year)]  # fmt: skip
    entries = [{"budget_id": e.budget_id, "seq": e.seq, "kind": e.kind, "amount": e.amount,
                "application_id": e.application_id, "application_number": e.application.number,
                "submitted_at": e.application.submitted_at, "at": e.at, "by_name": e.by_name}
               for e in reports.queue(request.user, code, year)[:500]]  # fmt: skip
    return {"budgets": rows, "queue": entries}
