"""Dashboard API (/api/v1/analytics): indicators of a region and its children, targets, reports."""

from datetime import date

from django.http import FileResponse, Http404
from ninja import Field, Router, Schema, Status

from yiyang.core import pdf
from yiyang.core.api import ErrorOut, region_code_param
from yiyang.core.audit import Actor, Interface
from yiyang.core.scoping import get_visible_or_404

from . import documents, indicators, services, tasks
from .models import MonthlyReport

router = Router(tags=["数据决策分析"])


class IndicatorDefOut(Schema):
    key: str
    name: str
    unit: str
    formula: str
    source: str
    additive: bool
    kind: str


class RegionFiguresOut(Schema):
    code: str
    name: str
    values: dict[str, float | int | None]


class TargetProgressOut(Schema):
    id: int
    indicator: str
    name: str
    unit: str
    direction: str
    target: float
    expected_by_now: float
    actual: float | int | None
    state: str
    note: str


class DashboardOut(Schema):
    region: RegionFiguresOut
    path: list[dict[str, str]]
    children: list[RegionFiguresOut]
    targets: list[TargetProgressOut]


class TargetIn(Schema):
    region: str
    year: int
    indicator: str
    value: float = Field(..., ge=0)
    direction: str = "gte"
    note: str = ""


class OpenAlarmOut(Schema):
    kind: str
    state: str
    community: str
    minutes: int


class CountersOut(Schema):
    registered_today: int
    assessed_today: int
    orders_today: int
    alarms_today: int
    alarms_open: int
    open_alarms: list[OpenAlarmOut]


class ReportIn(Schema):
    region: str
    month: date


class ReportOut(Schema):
    id: int
    region_code: str
    month: date
    status: str


@router.get("/indicators", response=list[IndicatorDefOut], summary="指标定义")
def list_indicators(request):
    return [i.__dict__ for i in indicators.REGISTRY]


@router.get("/dashboard", response={200: DashboardOut, 404: ErrorOut, 422: ErrorOut}, summary="区划及下级的全部指标")
def dashboard(request, region: str):
    board = services.dashboard(request.user, region_code_param(region))
    return {
        "region": {"code": board.region.code, "name": board.region.name, "values": board.values},
        "path": [{"code": r.code, "name": r.name} for r in board.path],
        "children": [{"code": c.code, "name": c.name, "values": v} for c, v in board.children],
        "targets": board.targets,
    }


@router.get("/dashboard.xlsx", response={200: None, 404: ErrorOut, 422: ErrorOut}, summary="下级区划指标表（.xlsx）")
def dashboard_xlsx(request, region: str):
    handle = services.export_table(Actor.from_request(request, Interface.API), region_code_param(region))
    return FileResponse(handle, as_attachment=True, filename="indicators.xlsx")


@router.get("/counters", response={200: CountersOut, 404: ErrorOut, 422: ErrorOut}, summary="今日实时计数")
def counters(request, region: str):
    from yiyang.regions.services import requested_region

    return services.today_counters(request.user, requested_region(request.user, region, default=None))


@router.post("/targets", response={200: TargetProgressOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def set_target(request, payload: TargetIn):
    code = region_code_param(payload.region)
    target = services.set_target(
        Actor.from_request(request, Interface.API), code, payload.year, payload.indicator, payload.value,
        payload.direction, payload.note,
    )  # fmt: skip
    board = services.dashboard(request.user, code, today=date(target.year, 12, 31))
    return next(t for t in board.targets if t["id"] == target.pk)


@router.post("/reports", response={202: ReportOut, 404: ErrorOut, 422: ErrorOut}, summary="生成月度报告（后台）")
def request_report(request, payload: ReportIn):
    report = tasks.request_report(
        Actor.from_request(request, Interface.API), region_code_param(payload.region), payload.month
    )
    report.refresh_from_db()
    return Status(202, report)


@router.get("/reports/{report_id}", response={200: ReportOut, 404: ErrorOut})
def get_report(request, report_id: int):
    return get_visible_or_404(MonthlyReport.objects, request.user, "view", pk=report_id)


@router.get("/reports/{report_id}/file", response={200: None, 404: ErrorOut})
def report_file(request, report_id: int):
    report = get_visible_or_404(MonthlyReport.objects, request.user, "view", pk=report_id)
    if not report.file:
        raise Http404
    return FileResponse(open(report.file, "rb"), as_attachment=True, filename=f"report-{report.month:%Y%m}.xlsx")  # noqa: SIM115


@router.get("/reports/{report_id}/report.pdf", response={200: None, 404: ErrorOut}, summary="月度报告（PDF）")
def report_pdf(request, report_id: int):
    context = documents.monthly_report(request.user, report_id)
    return pdf.response(request, documents.TEMPLATE, context, filename=documents.filename(context))
