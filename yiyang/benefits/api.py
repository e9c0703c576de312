"""REST API for allowances (/api/v1/benefits): programs, applications and their review steps, recipients,
the month's payroll (run, check, approve, bank file, result file), stop lists, recovery cases and the
yearly verification. Thin: every change goes through the services; bank accounts are always masked here."""

from datetime import date

from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core import masking
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404
from yiyang.core.workflow import options_by_row

from . import payroll, services, stops, verification
from .models import Application, Payroll, Program, Recipient, RecoveryCase, Verification
from .months import first_of, parse_month
from .workflows import APPLICATION, PAYROLL

router = Router(tags=["老年人补贴"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _month(text: str, field: str = "month") -> date:
    found = parse_month(text) if text else first_of(date.today())
    if found is None:
        raise FieldErrors({field: "月份应写作 YYYY-MM"})
    return found


# --- Programs -----------------------------------------------------------------------------------------


class BandOut(Schema):
    id: int
    label: str
    min_age: int | None
    max_age: int | None
    capability_level: int | None
    floor_fen: int
    top_up_fen: int
    amount_fen: int


class ProgramOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region_code: str
    min_age: int
    start_rule: str
    facility_rule: str
    placeholder: bool
    bands: list[BandOut]
    # With elder_id: the rule the elder fails for this program now ("" when eligible), and why.
    refused_rule: str = ""
    refused_reason: str = ""


@router.get("/programs", response=list[ProgramOut],
            summary="补贴项目及档次（placeholder=true 表示金额待民政部门确认）；带 elder_id 时为该老人可申请的项目及所不符合的条件")  # fmt: skip
def list_programs(request, elder_id: int | None = None):
    from yiyang.elders.models import Elder

    refusals = {}
    if elder_id is not None:
        elder = get_visible_or_404(Elder.objects, request.user, "benefits.add_application", pk=elder_id)
        rows = services.programs_for(elder).prefetch_related("bands")
        refusals = {p.pk: services.eligibility(p, elder) for p in rows}
    else:
        rows = Program.objects.visible_to(request.user).prefetch_related("bands")
    plain = [f for f in ProgramOut.model_fields if f not in ("bands", "refused_rule", "refused_reason")]
    return [{**{f: getattr(p, f) for f in plain},
             "bands": [{f: getattr(b, f) for f in BandOut.model_fields} for b in p.bands.all()],
             "refused_rule": refusals[p.pk].rule if refusals.get(p.pk) else "",
             "refused_reason": refusals[p.pk].text if refusals.get(p.pk) else ""} for p in rows]  # fmt: skip


# --- Applications -----------------------------------------------------------------------------------------


class ApplicationIn(Schema):
    elder_id: int
    program_id: int
    applicant_name: str
    applicant_relation: str = "本人"
    applicant_phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    account_holder: str = ""
    source: str = "online"


class ApplicationOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    program_id: int
    program_name: str
    status: str
    status_label: str
    source: str
    applicant_name: str
    applicant_phone: str
    bank_account: str
    notice_ends: date | None
    version: int
    options: list[str]


def _application_out(row: Application, options: list) -> dict:
    shown = masking.masked(row)
    return {"id": row.pk, "elder_id": row.elder_id, "elder_name": row.elder.name, "program_id": row.program_id,
            "program_name": row.program.name, "status": row.status, "status_label": row.get_status_display(),
            "source": row.source, "applicant_name": row.applicant_name, "applicant_phone": shown["applicant_phone"],
            "bank_account": shown["bank_account"], "notice_ends": row.notice_ends, "version": row.version,
            "options": [o.name for o in options if not o.refused]}  # fmt: skip


@router.get("/applications", response=Page[ApplicationOut],
            summary="补贴申请（按管辖范围；status 过滤；waiting=true 仅待本人办理审核环节的）")  # fmt: skip
def list_applications(request, status: str = "", waiting: bool = False, page: int = 1, page_size: int = 50):
    rows = services.applications_waiting(request.user) if waiting else Application.objects.visible_to(request.user)
    rows = rows.select_related("elder", "program")
    if status:
        rows = rows.filter(status=status)
    result = paginate(rows, page, page_size)
    options = options_by_row(APPLICATION, request.user, result["items"])
    result["items"] = [_application_out(row, options[row.pk]) for row in result["items"]]
    return result


@router.post("/applications", response={201: ApplicationOut, **ERRORS},
             summary="提交补贴申请；不符合条件时 422，rule 指明所不符合的条件")  # fmt: skip
def create_application(request, payload: ApplicationIn):
    row = services.apply(_actor(request), payload.dict())
    return Status(201, _application_out(row, APPLICATION.options(request.user, row)))


@router.get("/applications/{application_id}", response={200: ApplicationOut, 404: ErrorOut})
def get_application(request, application_id: int):
    row = get_visible_or_404(Application.objects.select_related("elder", "program"), request.user, pk=application_id)
    return _application_out(row, APPLICATION.options(request.user, row))


class DocumentOut(Schema):
    id: int
    kind: str
    filename: str
    size: int


@router.post("/applications/{application_id}/documents", response={201: DocumentOut, **ERRORS},
             summary="上传申请材料（PDF、JPG、PNG，5 MB 以内）")  # fmt: skip
def add_document(request, application_id: int, kind: Form[str], file: File[UploadedFile]):
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from yiyang.core.scoping import may

    with transaction.atomic():
        row = get_visible_or_404(Application.objects, request.user, pk=application_id)
        if not may(request.user, row, "benefits.add_applicationdocument") or row.status in ("approved", "refused"):
            raise PermissionDenied
        upload = services.Upload(kind, file.name or "", file.read(services.MAX_DOCUMENT + 1))
        services.check_documents([upload])
        doc = services.add_document(row, upload)
    return Status(201, {"id": doc.pk, "kind": doc.kind, "filename": doc.filename, "size": doc.size})


class StepIn(Schema):
    note: str = ""
    version: int | None = None


@router.post("/applications/{application_id}/steps/{step}", response={200: ApplicationOut, **ERRORS},
             summary="审核环节：community_pass, street_pass, start_notice, object, renotice, approve, refuse_community, refuse")  # fmt: skip
def application_step(request, application_id: int, step: str, payload: StepIn):
    row = services.take_step(_actor(request), application_id, step, payload.note, expected_version=payload.version)
    return _application_out(row, APPLICATION.options(request.user, row))


# --- Recipients and candidates -------------------------------------------------------------------------------


class RecipientOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    program_id: int
    status: str
    start_month: date
    stop_month: date | None
    bank_account: str
    verified_until: date | None


@router.get("/recipients", response=Page[RecipientOut], summary="补贴对象（region 区划内；账号已脱敏）")
def list_recipients(request, region: str = "", status: str = "", page: int = 1, page_size: int = 50):
    from yiyang.regions.services import requested_region

    code = requested_region(request.user, region, narrows=True)
    rows = (
        Recipient.objects.visible_to(request.user).filter(region_range_q("region_code", code)).select_related("elder")
    )
    if status:
        rows = rows.filter(status=status)
    result = paginate(rows, page, page_size)
    result["items"] = [{"id": r.pk, "elder_id": r.elder_id, "elder_name": r.elder.name, "program_id": r.program_id,
                        "status": r.status, "start_month": r.start_month, "stop_month": r.stop_month,
                        "bank_account": masking.mask("bank_account", r.bank_account),
                        "verified_until": r.verified_until} for r in result["items"]]  # fmt: skip
    return result


class CandidateOut(Schema):
    kind: str
    program_id: int
    elder_id: int
    elder_name: str
    birth_date: date | None
    # stopping and stopped rows: the recipient, the end rule and its event, the month the allowance stops from.
    recipient_id: int | None = None
    rule: str = ""
    detail: str = ""
    event_date: date | None = None
    stop_month: date | None = None
    by_rule: bool = False
    stop_reason: str = ""


@router.get(
    "/candidates", response=list[CandidateOut],
    summary="本月应纳入（turning、missed）、应停发（stopping：规则、事件日期、停发月份；by_rule=true 的在下次造册时自动停发）"
            "和本月、次月起已停发（stopped）的名单",
)  # fmt: skip
def list_candidates(request, region: str = "", month: str = ""):
    county = services.county_region(request.user, region)
    found = services.candidates(request.user, county, _month(month))
    rows = [{"kind": kind, "program_id": p.pk, "elder_id": e.pk, "elder_name": e.name, "birth_date": e.birth_date}
            for kind in ("turning", "missed") for p, e in found[kind]]  # fmt: skip
    for e in found["stopping"]:
        r = e.recipient
        rows.append({"kind": "stopping", "program_id": r.program_id, "elder_id": r.elder_id, "elder_name": r.elder.name,
                     "birth_date": r.elder.birth_date, "recipient_id": r.pk, "rule": e.rule.code, "detail": e.detail,
                     "event_date": e.event_date, "stop_month": e.stop_month, "by_rule": e.by_rule})  # fmt: skip
    rows += [{"kind": "stopped", "program_id": r.program_id, "elder_id": r.elder_id, "elder_name": r.elder.name,
              "birth_date": r.elder.birth_date, "recipient_id": r.pk, "stop_month": r.stop_month,
              "stop_reason": r.stop_reason} for r in found["stopped"]]  # fmt: skip
    return rows


# --- Payroll --------------------------------------------------------------------------------------------------


class PayrollIn(Schema):
    region: str
    month: str


class PayrollOut(Schema):
    id: int
    region_code: str
    month: date
    status: str
    status_label: str
    lines_count: int
    total_fen: int
    added: int = 0
    options: list[str] = []


def _payroll_out(row: Payroll, user, added: int = 0) -> dict:
    return {"id": row.pk, "region_code": row.region_code, "month": row.month, "status": row.status,
            "status_label": row.get_status_display(), "lines_count": row.lines_count, "total_fen": row.total_fen,
            "added": added, "options": [o.name for o in PAYROLL.options(user, row) if not o.refused]}  # fmt: skip


@router.get("/payrolls", response=list[PayrollOut], summary="月度发放名册（region 为县级区划）")
def list_payrolls(request, region: str = ""):
    county = services.county_region(request.user, region)
    rows = Payroll.objects.visible_to(request.user).filter(region_code=county)[:36]
    return [_payroll_out(row, request.user) for row in rows]


@router.post("/payrolls", response={200: PayrollOut, **ERRORS},
             summary="生成（或补充）县（区）某月的发放名册；重复执行不会重复造册")  # fmt: skip
def run_payroll(request, payload: PayrollIn):
    row, added = payroll.run(_actor(request), payload.region, _month(payload.month))
    return _payroll_out(row, request.user, added)


@router.get("/payrolls/{payroll_id}", response={200: PayrollOut, 404: ErrorOut})
def get_payroll(request, payroll_id: int):
    return _payroll_out(get_visible_or_404(Payroll.objects, request.user, pk=payroll_id), request.user)


@router.post("/payrolls/{payroll_id}/steps/{step}", response={200: PayrollOut, **ERRORS},
             summary="名册环节：check（复核）、send_back（退回）、approve（审批）")  # fmt: skip
def payroll_step(request, payroll_id: int, step: str, payload: StepIn):
    return _payroll_out(payroll.take_step(_actor(request), payroll_id, step, payload.note), request.user)


@router.post("/payrolls/{payroll_id}/bank-file", response=ERRORS,
             summary="导出银行代发文件（含完整账号，记入审计日志）；retry=true 仅导出失败待重发的明细")  # fmt: skip
def bank_file(request, payroll_id: int, retry: bool = False):
    found = payroll.export(_actor(request), payroll_id, retry=retry)
    response = HttpResponse(found.content, content_type="text/plain")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


class ResultOut(Schema):
    paid: int
    failed: int
    status: str


@router.post("/payrolls/{payroll_id}/result", response={200: ResultOut, **ERRORS},
             summary="导入银行回盘文件（.csv/.xlsx，须有汇总行）；有未知账号或合计不符时整份拒收并指明行号")  # fmt: skip
def result_file(request, payroll_id: int, file: File[UploadedFile]):
    return payroll.import_result(_actor(request), payroll_id, file, file.name or "")


# --- Stops and recovery ------------------------------------------------------------------------------------------


class BatchOut(Schema):
    id: int
    kind: str
    rows: int
    matched: int
    mismatched: int
    unmatched: int
    refused: list[dict]


@router.post("/stop-lists", response={201: BatchOut, **ERRORS},
             summary="导入死亡（kind=death）或迁出（kind=move）名单，按身份证号码比对停发")  # fmt: skip
def stop_list(request, region: Form[str], kind: Form[str], file: File[UploadedFile], source: Form[str] = ""):
    batch = stops.import_list(_actor(request), region, kind, source, file, file.name or "")
    return Status(201, {f: getattr(batch, f) for f in BatchOut.model_fields})


class CaseOut(Schema):
    id: int
    recipient_id: int
    elder_name: str
    reason: str
    status: str
    due_fen: int
    repaid_fen: int
    balance_fen: int


def _case_out(case: RecoveryCase) -> dict:
    return {"id": case.pk, "recipient_id": case.recipient_id, "elder_name": case.recipient.elder.name,
            "reason": case.reason, "status": case.status, "due_fen": case.due_fen, "repaid_fen": case.repaid_fen,
            "balance_fen": case.balance_fen}  # fmt: skip


@router.get("/recovery-cases", response=Page[CaseOut], summary="多发追回案件")
def list_cases(request, region: str = "", page: int = 1, page_size: int = 50):
    county = services.county_region(request.user, region)
    rows = RecoveryCase.objects.visible_to(request.user).filter(region_range_q("region_code", county))
    result = paginate(rows.select_related("recipient__elder"), page, page_size)
    result["items"] = [_case_out(case) for case in result["items"]]
    return result


class RepayIn(Schema):
    amount_fen: int
    note: str = ""
    key: str = ""


@router.post("/recovery-cases/{case_id}/repayments", response={200: CaseOut, **ERRORS},
             summary="登记退回；key 为客户端生成的编号，重发不会重复记账")  # fmt: skip
def repay(request, case_id: int, payload: RepayIn):
    case = stops.repay(_actor(request), case_id, payload.amount_fen, payload.note, payload.key or None)
    return _case_out(RecoveryCase.objects.select_related("recipient__elder").get(pk=case.pk))


# --- Verification --------------------------------------------------------------------------------------------------


class VerificationOut(Schema):
    id: int
    recipient_id: int
    elder_name: str
    year: int
    due_on: date
    status: str
    method: str
    notice_ends: date | None


def _verification_out(row: Verification) -> dict:
    return {"id": row.pk, "recipient_id": row.recipient_id, "elder_name": row.recipient.elder.name, "year": row.year,
            "due_on": row.due_on, "status": row.status, "method": row.method, "notice_ends": row.notice_ends}  # fmt: skip


@router.get(
    "/verifications",
    response=Page[VerificationOut],
    summary="年度资格认证（status 过滤：due、notified、verified、suspended）",
)
def list_verifications(request, region: str = "", status: str = "", page: int = 1, page_size: int = 50):
    from yiyang.regions.services import requested_region

    code = requested_region(request.user, region, narrows=True)
    rows = Verification.objects.visible_to(request.user).filter(region_range_q("region_code", code))
    if status:
        rows = rows.filter(status=status)
    result = paginate(rows.select_related("recipient__elder"), page, page_size)
    result["items"] = [_verification_out(row) for row in result["items"]]
    return result


class VerifyIn(Schema):
    method: str
    evidence: str
    verified_on: date | None = None


@router.post("/verifications/{verification_id}/verify", response={200: VerificationOut, **ERRORS},
             summary="确认认证：method 为 in_person（现场）、video（视频）、visit（探访记录）")  # fmt: skip
def verify(request, verification_id: int, payload: VerifyIn):
    row = verification.verify(_actor(request), verification_id, payload.method, payload.evidence, payload.verified_on)
    return _verification_out(Verification.objects.select_related("recipient__elder").get(pk=row.pk))
