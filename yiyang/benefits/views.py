"""Pages of allowances: the county officer's programs, candidates, applications with their review buttons,
the payroll month page with the bank file and the result upload, stop lists, recovery cases and the
verification due list; the family's application page. Thin: every change goes through the services."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from yiyang.core import masking, origins
from yiyang.core.access import requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404, home_region, may
from yiyang.core.workflow import options_by_row
from yiyang.elders.models import Elder
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from . import payroll, services, stops, verification
from .models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    LineStatus,
    Payroll,
    Program,
    Recipient,
    RecoveryCase,
    StopBatch,
    StopKind,
    StopReason,
    Verification,
    VerificationMethod,
    VerificationStatus,
)
from .months import add_months, first_of, parse_month
from .workflows import APPLICATION, PAYROLL, RECIPIENT, VERIFICATION

VIEW_APPLICATION, VIEW_PAYROLL = "benefits.view_application", "benefits.view_payroll"


def _county(request) -> Region:
    code = services.county_region(request.user, request.GET.get("region") or request.POST.get("region"), page=True)
    return Region.objects.get(code=code)


def _region(request) -> Region:
    raw = request.GET.get("region") or request.POST.get("region")
    return Region.objects.get(code=requested_region(request.user, raw, default=home_region, page=True, narrows=True))


def _fail(request, exc: DomainError) -> None:
    reasons = "；".join(v for v in exc.fields.values() if v != exc.message)
    messages.error(request, exc.message + (f"：{reasons}" if reasons else ""))


def _month(request) -> date:
    return parse_month(request.GET.get("month") or request.POST.get("month") or "") or first_of(date.today())


def _labelled(workflow, steps) -> list:
    """Each step record with its transition's Chinese label, for the history on a page."""
    return [(step, workflow.by_name[step.action].label if step.action in workflow else step.action) for step in steps]


def _yuan(fen) -> str:
    return f"{(fen or 0) / 100:,.2f}"


# --- Programs ------------------------------------------------------------------------------------------


@requires("benefits.view_program")
def programs_view(request):
    county = _county(request)
    rows = Program.objects.visible_to(request.user).filter(region_range_q("region_code", county.code))
    rows = rows.prefetch_related("bands")
    change = any(may(request.user, p, "benefits.change_program") for p in rows[:1])
    return render(request, "benefits/programs.html", {"region": county, "programs": rows, "change": change})


@requires("benefits.change_program", hidden=True)
@require_POST
def band_view(request, band_id: int):
    from .models import Band

    band = get_visible_or_404(Band.objects.select_related("program"), request.user, pk=band_id)
    try:
        floor = round(float(request.POST.get("floor_yuan", "").replace(",", "")) * 100)
        top_up = round(float(request.POST.get("top_up_yuan", "").replace(",", "") or 0) * 100)
        services.set_band(Actor.from_request(request), band.pk, floor, top_up, request.POST.get("confirm") == "1")
        messages.success(request, f"已更新“{band}”的金额")
    except ValueError:
        messages.error(request, "金额应为数字（元）")
    except DomainError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('benefits:programs')}?region={band.program.region_code}")


# --- Candidates and applications --------------------------------------------------------------------------


@requires("benefits.add_application")
def candidates_view(request):
    county = _county(request)
    month = _month(request)
    found = services.candidates(request.user, county.code, month)
    return render(request, "benefits/candidates.html", {
        "region": county, "month": month, "found": found,
        "previous": add_months(month, -1), "following": add_months(month, 1),
    })  # fmt: skip


@requires("benefits.add_application")
@require_POST
def enrol_view(request):
    try:
        application = services.enrol_candidate(Actor.from_request(request), _int(request.POST.get("elder")),
                                               _int(request.POST.get("program")))  # fmt: skip
    except DomainError as exc:
        _fail(request, exc)
        return redirect(reverse("benefits:candidates"))
    messages.success(request, f"已为{application.elder.name}生成申请，进入社区初审")
    return redirect("benefits:application", application.pk)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@requires(VIEW_APPLICATION)
def applications_view(request):
    region = _region(request)
    status = request.GET.get("status", "")
    waiting = request.GET.get("waiting") == "1"
    rows = services.applications_waiting(request.user) if waiting else Application.objects.visible_to(request.user)
    rows = rows.filter(region_range_q("region_code", region.code))
    if status in ApplicationStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows.select_related("elder", "program"), 50).get_page(request.GET.get("page"))
    options = options_by_row(APPLICATION, request.user, page.object_list)
    return render(request, "benefits/applications.html", {
        "region": region, "page": page, "status": status, "statuses": ApplicationStatus.choices, "waiting": waiting,
        "rows": [(row, options[row.pk]) for row in page.object_list],
    })  # fmt: skip


@requires(VIEW_APPLICATION, hidden=True)
def application_view(request, application_id: int):
    row = get_visible_or_404(Application.objects.select_related("elder", "program"), request.user, pk=application_id)
    shown = masking.shown(Actor.from_request(request), row, reveal=request.GET.get("reveal") == "1")
    return render(request, "benefits/application.html", {
        "application": row, "shown": shown, "options": APPLICATION.options(request.user, row),
        "steps": _labelled(APPLICATION, row.steps.all()), "documents": row.documents.all(), "kinds": DocumentKind.choices,
        "origins": origins.of(request.user, row),
        "refusal": services.rules.check(row.program, row.elder, add_months(first_of(date.today()), 1))
        if row.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED) else None,
    })  # fmt: skip


@requires(VIEW_APPLICATION, hidden=True)
@require_POST
def application_step_view(request, application_id: int, step: str):
    version = request.POST.get("version", "")
    try:
        services.take_step(Actor.from_request(request), application_id, step, request.POST.get("note", ""),
                           expected_version=int(version) if version.isdigit() else None)  # fmt: skip
        messages.success(request, "已办理")
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect("benefits:application", application_id)


@requires(VIEW_APPLICATION, hidden=True)
def document_view(request, document_id: int):
    doc = get_visible_or_404(ApplicationDocument.objects, request.user, pk=document_id)
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.filename)


@requires("benefits.add_application")
def apply_view(request):
    """The family's page (and the window clerk's, with ?elder=): the elder's programs with what each rule
    says, and the form."""
    from yiyang.core import idnumber

    elders = Elder.objects.visible_to(request.user, "benefits.add_application")
    chosen = _int(request.GET.get("elder"))
    number = idnumber.normalize(request.GET.get("id_number", "")) if request.GET.get("id_number") else ""
    # A window clerk finds the elder by ID number; a family has one or two elders and sees the first.
    counter = elders[:3].count() > 2
    if number:
        elder = elders.filter(id_number=number).first()
    elif chosen:
        elder = elders.filter(pk=chosen).first()
        if elder is None:
            raise Http404
    else:
        elder = None if counter else elders.order_by("pk").first()
    offers = []
    if elder is not None:
        for program in services.programs_for(elder).prefetch_related("bands"):
            offers.append((program, services.eligibility(program, elder)))
    mine = (
        Application.objects.visible_to(request.user).filter(elder=elder).select_related("program")[:20] if elder else []
    )
    return render(request, "benefits/apply.html", {"elder": elder, "offers": offers, "mine": mine, "counter": counter,
                                                   "number": number, "kinds": DocumentKind.choices})  # fmt: skip


@requires("benefits.add_application")
@require_POST
def submit_view(request):
    data = {k: request.POST.get(k, "") for k in ("applicant_name", "applicant_relation", "applicant_phone",
                                                 "bank_name", "bank_account", "account_holder")}  # fmt: skip
    data.update(elder_id=_int(request.POST.get("elder")), program_id=_int(request.POST.get("program")))
    documents = [services.Upload(request.POST.get(f"kind_{i}") or DocumentKind.OTHER, f.name, f.read(services.MAX_DOCUMENT + 1))
                 for i, f in enumerate(request.FILES.getlist("documents"))]  # fmt: skip
    try:
        application = services.apply(Actor.from_request(request), data, documents)
    except DomainError as exc:
        _fail(request, exc)
        return redirect(f"{reverse('benefits:apply')}?elder={data['elder_id'] or ''}")
    messages.success(request, "申请已提交，请等待社区初审")
    return redirect("benefits:application", application.pk)


# --- Recipients ---------------------------------------------------------------------------------------------


@requires("benefits.view_recipient", hidden=True)
def recipient_view(request, recipient_id: int):
    row = get_visible_or_404(Recipient.objects.select_related("elder", "program"), request.user, pk=recipient_id)
    shown = masking.shown(Actor.from_request(request), row, reveal=request.GET.get("reveal") == "1")
    return render(request, "benefits/recipient.html", {
        "recipient": row, "shown": shown, "options": RECIPIENT.options(request.user, row), "steps": _labelled(RECIPIENT, row.steps.all()),
        "payments": row.payments.order_by("-month")[:24], "change": may(request.user, row, "benefits.change_recipient"),
        "reasons": StopReason.choices, "verifications": row.verifications.order_by("-year")[:5],
    })  # fmt: skip


@requires("benefits.change_recipient", hidden=True)
@require_POST
def recipient_change_view(request, recipient_id: int):
    actor = Actor.from_request(request)
    try:
        if request.POST.get("action") == "account":
            services.change_account(actor, recipient_id, request.POST.get("bank_name", ""),
                                    request.POST.get("bank_account", ""), request.POST.get("account_holder", ""))  # fmt: skip
        else:
            services.recipient_step(actor, recipient_id, request.POST.get("action", ""), request.POST.get("note", ""),
                                    request.POST.get("reason", ""), parse_month(request.POST.get("stop_month", "")))  # fmt: skip
        messages.success(request, "已保存")
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect("benefits:recipient", recipient_id)


# --- Payroll --------------------------------------------------------------------------------------------------


@requires(VIEW_PAYROLL)
def payrolls_view(request):
    county = _county(request)
    rows = Payroll.objects.visible_to(request.user).filter(region_code=county.code)[:36]
    run_right = may(request.user, county, "benefits.run_payroll")
    return render(request, "benefits/payrolls.html", {"region": county, "rows": rows, "run": run_right,
                                                      "month": first_of(date.today())})  # fmt: skip


@requires("benefits.run_payroll")
@require_POST
def run_view(request):
    month = parse_month(request.POST.get("month", ""))
    if month is None:
        messages.error(request, "月份应写作 YYYY-MM")
        return redirect("benefits:payrolls")
    from .tasks import IN_REQUEST, build_payroll

    try:
        county = services.county_region(request.user, request.POST.get("region"), "benefits.run_payroll")
        owed = Recipient.objects.filter(county_code=county[:6], status="active", next_month__lte=month)
        if owed[: IN_REQUEST + 1].count() > IN_REQUEST:
            build_payroll.enqueue(county, month.isoformat(), request.user.pk)
            messages.success(request, f"{month:%Y年%m月}名册较大，已转入后台生成，请稍后刷新本页")
            return redirect(f"{reverse('benefits:payrolls')}?region={county}")
        row, added = payroll.run(Actor.from_request(request), county, month)
    except DomainError as exc:
        _fail(request, exc)
        return redirect("benefits:payrolls")
    messages.success(request, f"已生成{row}：新增 {added} 笔" if added else f"{row}没有新增明细")
    return redirect("benefits:payroll", row.pk)


@requires(VIEW_PAYROLL, hidden=True)
def payroll_view(request, payroll_id: int):
    row = get_visible_or_404(Payroll.objects.select_related("bank_format"), request.user, pk=payroll_id)
    lines = row.lines.select_related("recipient__elder", "program", "band")
    status = request.GET.get("status", "")
    if status in LineStatus.values:
        lines = lines.filter(status=status)
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    by_band = (row.lines.values("program__name", "band__label").order_by("program__name", "band__label")
               .annotate(n=Count("id"), total=Sum("amount")))  # fmt: skip
    results = dict(row.lines.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return render(request, "benefits/payroll.html", {
        "payroll": row, "page": page, "rows": [(line, masking.masked(line)["bank_account"]) for line in page],
        "by_band": by_band, "results": results, "status": status,
        "options": [o for o in PAYROLL.options(request.user, row, by=Actor.from_request(request))
                    if o.name in ("check", "send_back", "approve")],
        "export": PAYROLL.may(request.user, row, "export") and may(request.user, row, "benefits.view_sensitive_recipient"),
        "settle": row.status == "exported" and may(request.user, row, "benefits.settle_payroll"),
        "failed": results.get(LineStatus.FAILED, 0), "steps": _labelled(PAYROLL, row.steps.all()), "line_statuses": LineStatus.choices,
        "total_yuan": _yuan(row.total_fen),
    })  # fmt: skip


@requires(VIEW_PAYROLL, hidden=True)
@require_POST
def payroll_step_view(request, payroll_id: int, step: str):
    try:
        payroll.take_step(Actor.from_request(request), payroll_id, step, request.POST.get("note", ""))
        messages.success(request, "已办理")
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect("benefits:payroll", payroll_id)


@requires("benefits.export_payroll", hidden=True)
@require_POST
def bank_file_view(request, payroll_id: int):
    try:
        found = payroll.export(Actor.from_request(request), payroll_id, retry=request.POST.get("retry") == "1")
    except DomainError as exc:
        _fail(request, exc)
        return redirect("benefits:payroll", payroll_id)
    except PermissionDenied:
        raise Http404 from None
    response = HttpResponse(found.content, content_type="text/plain")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@requires("benefits.settle_payroll", hidden=True)
@require_POST
def result_view(request, payroll_id: int):
    upload = request.FILES.get("file")
    get_visible_or_404(Payroll.objects, request.user, "benefits.settle_payroll", pk=payroll_id)
    try:
        if upload is None:
            messages.error(request, "请选择银行回盘文件")
        else:
            done = payroll.import_result(Actor.from_request(request), payroll_id, upload, upload.name)
            messages.success(request, f"回盘已导入：成功 {done['paid']} 笔，失败 {done['failed']} 笔")
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect("benefits:payroll", payroll_id)


# --- Stops and recovery -----------------------------------------------------------------------------------------


@requires("benefits.view_stopbatch")
def stops_view(request):
    county = _county(request)
    rows = StopBatch.objects.visible_to(request.user).filter(region_code=county.code)[:50]
    return render(request, "benefits/stops.html", {"region": county, "rows": rows, "kinds": StopKind.choices,
                                                   "upload": may(request.user, county, "benefits.add_stopbatch")})  # fmt: skip


@requires("benefits.add_stopbatch")
@require_POST
def stop_upload_view(request):
    upload = request.FILES.get("file")
    try:
        county = services.county_region(request.user, request.POST.get("region"), "benefits.add_stopbatch")
        if upload is None:
            messages.error(request, "请选择名单文件")
            return redirect(f"{reverse('benefits:stops')}?region={county}")
        batch = stops.import_list(Actor.from_request(request), county, request.POST.get("kind", ""),
                                  request.POST.get("source", ""), upload, upload.name)  # fmt: skip
    except DomainError as exc:
        _fail(request, exc)
        return redirect("benefits:stops")
    messages.success(request, f"比对完成：停发 {batch.matched} 人，姓名不符待核 {batch.mismatched} 人")
    return redirect("benefits:stop", batch.pk)


@requires("benefits.view_stopbatch", hidden=True)
def stop_view(request, batch_id: int):
    batch = get_visible_or_404(StopBatch.objects, request.user, pk=batch_id)
    records = batch.records.visible_to(request.user).select_related("recipient__program")
    return render(request, "benefits/stop.html", {"batch": batch,
                  "records": [(r, masking.masked(r)["id_number"]) for r in records]})  # fmt: skip


@requires("benefits.view_recoverycase")
def recoveries_view(request):
    county = _county(request)
    rows = RecoveryCase.objects.visible_to(request.user).filter(region_range_q("region_code", county.code))
    totals = rows.aggregate(due=Sum("due_fen"), repaid=Sum("repaid_fen"))
    page = Paginator(rows.select_related("recipient__elder", "recipient__program"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "benefits/recoveries.html", {"region": county, "page": page, "due": _yuan(totals["due"]),
                                                        "repaid": _yuan(totals["repaid"])})  # fmt: skip


@requires("benefits.view_recoverycase", hidden=True)
def recovery_view(request, case_id: int):
    case = get_visible_or_404(RecoveryCase.objects.select_related("recipient__elder", "recipient__program"),
                              request.user, pk=case_id)  # fmt: skip
    return render(request, "benefits/recovery.html", {"case": case, "entries": case.entries.all(),
                                                      "repay": stops.may_repay(request.user, case)})  # fmt: skip


@requires("benefits.change_recoverycase", hidden=True)
@require_POST
def repay_view(request, case_id: int):
    try:
        amount = round(float(request.POST.get("amount_yuan", "").replace(",", "")) * 100)
        stops.repay(Actor.from_request(request), case_id, amount, request.POST.get("note", ""),
                    request.POST.get("key") or None)  # fmt: skip
        messages.success(request, "已登记退回")
    except ValueError:
        messages.error(request, "金额应为数字（元）")
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect("benefits:recovery", case_id)


# --- Verification --------------------------------------------------------------------------------------------------


@requires("benefits.view_verification")
def verifications_view(request):
    region = _region(request)
    status = request.GET.get("status", "") or ""
    rows = Verification.objects.visible_to(request.user).filter(region_range_q("region_code", region.code))
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if status in VerificationStatus.values:
        rows = rows.filter(status=status)
    else:
        rows = rows.filter(~Q(status=VerificationStatus.VERIFIED))
    page = Paginator(rows.select_related("recipient__elder", "recipient__program"), 50).get_page(
        request.GET.get("page")
    )
    total = sum(counts.values())
    return render(request, "benefits/verifications.html", {
        "region": region, "page": page, "status": status, "tiles": [(value, label, counts.get(value, 0)) for value, label in VerificationStatus.choices],
        "rate": round(100 * counts.get(VerificationStatus.VERIFIED, 0) / total, 1) if total else None,
        "methods": VerificationMethod.choices, "today": date.today(),
        "verify": {r.pk for r in page.object_list if VERIFICATION.may(request.user, r, "verify")},
        "manage": may(request.user, region, "benefits.change_verification"),
    })  # fmt: skip


@requires("benefits.change_verification")
@require_POST
def verifications_run_view(request):
    actor, action = Actor.from_request(request), request.POST.get("action", "")
    region = request.POST.get("region")
    try:
        if action == "open":
            year = _int(request.POST.get("year")) or date.today().year
            due = date.fromisoformat(request.POST.get("due_on", ""))
            messages.success(request, f"已生成认证任务 {verification.open_year(actor, region, year, due)} 条")
        elif action == "notify":
            messages.success(request, f"已催告 {verification.notify_overdue(actor, region)} 人")
        elif action == "suspend":
            messages.success(request, f"已暂停发放 {verification.suspend_overdue(actor, region)} 人")
        else:
            messages.error(request, "不是可选的操作")
    except ValueError:
        messages.error(request, "截止日期应写作 YYYY-MM-DD")
    except DomainError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('benefits:verifications')}?region={region or ''}")


@requires("benefits.verify_verification", hidden=True)
@require_POST
def verify_view(request, verification_id: int):
    row = verification.get(request.user, verification_id)
    try:
        verification.verify(Actor.from_request(request), verification_id, request.POST.get("method", ""),
                            request.POST.get("evidence", ""))  # fmt: skip
        messages.success(request, f"{row.recipient.elder.name}已认证")
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect(f"{reverse('benefits:verifications')}?region={row.region_code}")
