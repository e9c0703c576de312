"""Dashboard pages: drill-down over the region tree, table view, targets, big screen, monthly reports."""

from datetime import date

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiyang.core import pdf
from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from . import documents, indicators, services, tasks
from .models import Direction, MonthlyReport


def _region_code(request) -> str:
    raw = request.GET.get("region") or request.POST.get("region")
    return requested_region(request.user, raw, page=True)


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label="指标", choices=[(i.key, f"{i.name}（{i.unit}）") for i in indicators.REGISTRY])
    direction = forms.ChoiceField(label="要求", choices=Direction.choices)
    value = forms.DecimalField(label="目标值", min_value=0, decimal_places=2)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    note = forms.CharField(label="说明", required=False, max_length=200)


def _chart_data(board: services.Dashboard) -> dict:
    registry = [{"key": i.key, "name": i.name, "unit": i.unit} for i in indicators.REGISTRY]
    return {
        "region": {"code": board.region.code, "name": board.region.name, "level": board.region.level},
        "values": board.values,
        "children": [{"code": c.code, "name": c.name, "values": v} for c, v in board.children],
        "indicators": registry,
        "age": [[label, board.values[f"age_{key}"]] for key, label, _, _ in indicators.AGE_BANDS],
        "levels": [[i.name, board.values[i.key]] for i in indicators.REGISTRY if i.key.startswith("level_")],
    }


@requires("regions.view_region")
def dashboard_page(request):
    code = _region_code(request)
    board = services.dashboard(request.user, code)
    headline = [
        (indicators.BY_KEY[k], board.values[k], services.trend(board.values, board.last_month, k))
        for k in indicators.HEADLINE
    ]
    columns = [i for i in indicators.REGISTRY]
    rows = [(child, [values[i.key] for i in columns]) for child, values in board.children]
    can_set_targets = Region.objects.visible_to(request.user, "change").filter(code=code).exists()
    form = TargetForm(initial={"year": timezone.localdate().year, "direction": Direction.AT_LEAST})
    return render(
        request,
        "analytics/dashboard.html",
        {
            "board": board,
            "headline": headline,
            "columns": columns,
            "rows": rows,
            "chart_data": _chart_data(board),
            "form": form,
            "can_set_targets": can_set_targets,
            "state_labels": services.STATE_LABELS,
            "reports": MonthlyReport.objects.visible_to(request.user, "view").filter(region_code=code)[:6],
        },
    )


@requires("regions.view_region")
@require_POST
def set_target_view(request):
    code = _region_code(request)
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_target(Actor.from_request(request), code, data["year"], data["indicator"], data["value"],
                                data["direction"], data["note"])  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message + " " + "；".join(exc.fields.values()))
        else:
            messages.success(request, "目标已保存")
    else:
        messages.error(request, "目标未保存：" + "；".join(f"{k}：{v[0]}" for k, v in form.errors.items()))
    return redirect(f"{reverse('analytics:dashboard')}?region={code}")


@requires("regions.view_region")
def export_view(request):
    code = _region_code(request)
    handle = services.export_table(Actor.from_request(request), code)
    return FileResponse(handle, as_attachment=True, filename="指标表.xlsx")


@requires("regions.view_region")
def screen_page(request):
    code = _region_code(request)
    board = services.dashboard(request.user, code)
    return render(
        request,
        "analytics/screen.html",
        {
            "board": board,
            "headline": [(indicators.BY_KEY[k], board.values[k]) for k in indicators.SCREEN],
            "counters": services.today_counters(request.user, code),
            "chart_data": _chart_data(board),
        },
    )


@requires("regions.view_region")
@require_POST
def request_report_view(request):
    code = _region_code(request)
    try:
        month = date.fromisoformat(request.POST.get("month", "") + "-01")
    except ValueError:
        messages.error(request, "月份格式应为 YYYY-MM")
    else:
        tasks.request_report(Actor.from_request(request), code, month)
        messages.success(request, "报告正在后台生成，完成后可在本页下载")
    return redirect(f"{reverse('analytics:dashboard')}?region={code}#reports")


@login_only
def report_file(request, report_id: int):
    report = get_visible_or_404(MonthlyReport.objects, request.user, "view", pk=report_id)
    if not report.file:
        raise Http404
    return FileResponse(open(report.file, "rb"), as_attachment=True, filename=f"月度报告-{report.month:%Y%m}.xlsx")  # noqa: SIM115


@requires("analytics.view_monthlyreport", hidden=True)
def report_print_view(request, report_id: int):
    """The monthly report as a page to print."""
    context = documents.monthly_report(request.user, report_id)
    return pdf.page(request, documents.TEMPLATE, context, pdf_url=reverse("analytics:report-pdf", args=[report_id]))


@requires("analytics.view_monthlyreport", hidden=True)
def report_pdf_view(request, report_id: int):
    context = documents.monthly_report(request.user, report_id)
    return pdf.response(request, documents.TEMPLATE, context, filename=documents.filename(context))
