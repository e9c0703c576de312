"""Pages for importing spreadsheets: upload, progress, error report, templates."""

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yiyang.core.access import login_only
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError

from . import services


@login_only
def import_page(request, kind: str):
    spec = services.kind_for(request.user, kind)
    jobs = [(job, *services.shown_status(job)) for job in services.visible_jobs(request.user, spec)[:10]]
    fields = {c.key: c.header for c in spec.columns}
    mappings = [(m, fields.get(m.field, m.field)) for m in services.saved_mappings(request.user, spec)[:200]]
    return render(request, "imports/import.html", {"kind": spec, "jobs": jobs, "mappings": mappings})


@login_only
@require_POST
def forget_mapping(request, kind: str, mapping_id: int):
    mapping = services.forget_mapping(Actor.from_request(request), kind, mapping_id)
    messages.success(request, f"已删除表头“{mapping.shown}”的对应，之后的文件会再次询问")
    return redirect("imports:import", kind=kind)


@login_only
@require_POST
def upload(request, kind: str):
    spec = services.kind_for(request.user, kind)
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "请选择要导入的 .xlsx 或 .csv 文件")
        return redirect("imports:import", kind=spec.key)
    try:
        job = services.start_import(Actor.from_request(request), spec.key, file)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:import", kind=spec.key)
    return redirect("imports:job", job_id=job.pk)


@login_only
def job_page(request, job_id: int):
    job = services.job_for(request.user, job_id)
    template = "imports/job_status.html" if request.headers.get("HX-Request") else "imports/job.html"
    status, label = services.shown_status(job)
    context = {
        "job": job,
        "kind": services.KINDS[job.kind],
        "status": status,
        "status_label": label,
        "preview": services.preview_for(request.user, job) if job.preview else None,
        "errors": services.error_rows(request.user, job, 50),
        "polling": status in ("queued", "previewing", "running"),
    }
    return render(request, template, context)


def _act(request, job_id: int, action, done: str):
    try:
        action(Actor.from_request(request), job_id)
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("imports:job", job_id=job_id)


@login_only
@require_POST
def confirm(request, job_id: int):
    return _act(request, job_id, services.confirm_import, "已确认，正在导入")


@login_only
@require_POST
def map_columns(request, job_id: int):
    """The preview's mapping step: each unknown header mapped to a column, or ignored."""
    headers, fields = request.POST.getlist("header"), request.POST.getlist("field")
    mapping = dict(zip(headers, fields, strict=False))
    return _act(
        request, job_id, lambda actor, pk: services.map_columns(actor, pk, mapping), "已保存表头对应，正在重新预览"
    )


@login_only
@require_POST
def resume(request, job_id: int):
    return _act(request, job_id, services.resume_import, "已继续导入，将从中断处接着进行")


@login_only
@require_POST
def cancel(request, job_id: int):
    return _act(request, job_id, services.cancel_import, "已取消该导入")


@login_only
def error_report(request, job_id: int):
    job = services.job_for(request.user, job_id)
    return FileResponse(
        services.error_report(request.user, job), as_attachment=True, filename=f"导入错误报告-{job.pk}.xlsx"
    )


@login_only
def template_download(request, kind: str):
    spec = services.kind_for(request.user, kind)
    response = HttpResponse(
        services.template(spec), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{spec.key}-template.xlsx"
    return response
