"""Domain operations on programs, applications, recipients and the monthly candidate lists. The pages, the
API and the demo call these; each takes the acting `Actor`. The payroll, the stop lists with recovery and
the yearly verification have their own modules (payroll.py, stops.py, verification.py)."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiyang.core import audit, masking
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.regioncodes import Level, county_of, level_of, region_range_q
from yiyang.core.scoping import get_for_action, get_visible_or_404
from yiyang.elders.models import Elder, Status
from yiyang.regions.services import requested_region

from . import ends, rules
from .models import (
    Application,
    ApplicationDocument,
    ApplicationSource,
    ApplicationStatus,
    Band,
    BankFormat,
    DocumentKind,
    FacilityRule,
    Program,
    ProgramKind,
    Recipient,
    RecipientStatus,
    StartRule,
)
from .months import add_months, first_of, last_day
from .workflows import APPLICATION, RECIPIENT

# Sources opened on the household's behalf (the month's candidate list, a visitor's referral): nobody at
# the door holds the bank card, so the account is left for the review chain; the recipient's account is set
# on the recipient's page and the payroll skips a recipient without one, adding the months owed once it
# is set.
ACCOUNT_LATER = (ApplicationSource.CANDIDATE, ApplicationSource.REFERRAL)
# What a caller may claim; the sources in ACCOUNT_LATER come only from the platform's own paths.
CALLER_SOURCES = (ApplicationSource.ONLINE, ApplicationSource.COUNTER)
OPEN_APPLICATION = [
    s for s in ApplicationStatus.values if s not in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)
]
RECEIVING = (RecipientStatus.ACTIVE, RecipientStatus.SUSPENDED)

# --- Programs ------------------------------------------------------------------------------------------

# The programs every county starts from. Henan's amounts are not confirmed here: every amount below is a
# placeholder (Program.placeholder) for the bureau to set on the programs page before the first payroll.
# (code, name, kind, min age, categories, min capability level, facility rule, start rule, policy, bands)
# with bands as (label, min age, max age, capability level, province floor in fen, county top-up in fen).
SEED = [
    ("old_age", "高龄津贴", ProgramKind.OLD_AGE, 80, 0, None, FacilityRule.ANY, StartRule.AFTER_BIRTHDAY,
     "河南省高龄津贴制度（金额待省、县民政部门确认）",
     [("80-89周岁", 80, 89, None, 5000, 0), ("90-99周岁", 90, 99, None, 10000, 0), ("100周岁及以上", 100, None, None, 30000, 0)]),
    ("service", "经济困难老年人服务补贴", ProgramKind.SERVICE, 60, 0b111, None, FacilityRule.HOME_ONLY,
     StartRule.AFTER_APPROVAL, "经济困难的高龄、失能等老年人补贴制度（财社〔2014〕113号；金额待确认）",
     [("低保、特困、低保边缘老年人", 60, None, None, 10000, 0)]),
    ("care", "失能老年人护理补贴", ProgramKind.CARE, 60, 0b111, 2, FacilityRule.ANY, StartRule.AFTER_APPROVAL,
     "经济困难的失能老年人护理补贴（按能力评估等级；金额待确认）",
     [("中度失能", 60, None, 2, 10000, 0), ("重度失能", 60, None, 3, 20000, 0), ("完全失能", 60, None, 4, 30000, 0)]),
]  # fmt: skip

# A bank's payroll file as data; this default is a placeholder until the paying bank confirms its format.
DEFAULT_FORMAT = {
    "code": "default",
    "name": "代发工资通用格式（待开户银行确认）",
    "encoding": "gbk",
    "delimiter": ",",
    "with_header": True,
    "columns": ["line_no", "account", "holder", "amount", "id_number", "program", "month"],
    "amount_in_yuan": True,
    "totals": "foot",
    "totals_marker": "汇总",
    "success_values": ["成功", "0000", "S"],
}


def seed_programs(county: str) -> list[Program]:
    """The default programs, bands and bank file format of a county (12-digit code), once."""
    found = []
    with transaction.atomic():
        for code, name, kind, min_age, bits, level, facility_rule, start_rule, policy, bands in SEED:
            program, made = Program.objects.get_or_create(
                county_code=county_of(county), code=code,
                defaults={"region_code": county, "name": name, "kind": kind, "min_age": min_age, "categories_any": bits,
                          "min_capability_level": level, "facility_rule": facility_rule, "start_rule": start_rule,
                          "policy": policy, "placeholder": True},
            )  # fmt: skip
            if made:
                Band.objects.bulk_create(
                    Band(program=program, county_code=program.county_code, label=label, min_age=low, max_age=high,
                         capability_level=lv, floor_fen=floor, top_up_fen=top)
                    for label, low, high, lv, floor, top in bands
                )  # fmt: skip
            found.append(program)
        BankFormat.objects.get_or_create(county_code=county_of(county), code=DEFAULT_FORMAT["code"],
                                         defaults={**DEFAULT_FORMAT, "region_code": county})  # fmt: skip
    return found


def set_band(actor: Actor, band_id: int, floor_fen: int, top_up_fen: int, confirm: bool = False) -> Band:
    """Set a band's amounts (the bureau confirming or changing them); `confirm` clears the placeholder mark."""
    if floor_fen < 0 or top_up_fen < 0 or floor_fen + top_up_fen > 10_000_000:
        raise FieldErrors({"floor_fen": "金额应为 0 至 10 万元之间的整数（分）"})
    with transaction.atomic():
        band = get_for_action(Band.objects.select_related("program"), actor.user, "benefits.change_program",
                              lock=True, pk=band_id)  # fmt: skip
        before = {"floor_fen": band.floor_fen, "top_up_fen": band.top_up_fen}
        band.floor_fen, band.top_up_fen = floor_fen, top_up_fen
        band.save(update_fields=["floor_fen", "top_up_fen"])
        if confirm and band.program.placeholder:
            Program.objects.filter(pk=band.program_id).update(placeholder=False)
        audit.record(actor, AuditAction.UPDATE, band, region_code=band.program.region_code,
                     changes=audit.diff(before, {"floor_fen": floor_fen, "top_up_fen": top_up_fen}))  # fmt: skip
    return band


# --- Applications ----------------------------------------------------------------------------------------

_ACCOUNT = re.compile(r"\d{12,30}")
MAX_DOCUMENT = 5 * 1024 * 1024
DOCUMENT_TYPES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


def clean_account(value: str) -> str:
    """A bank account number: digits only (spaces and dashes dropped, full-width digits accepted)."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value or ""))


def _already(program: Program, elder: Elder) -> rules.Refusal | None:
    if Recipient.objects.filter(program=program, elder=elder, status__in=RECEIVING).exists():
        return rules.Refusal("already", f"老人已在享受{program.name}")
    if Application.objects.filter(program=program, elder=elder, status__in=OPEN_APPLICATION).exists():
        return rules.Refusal("already", f"老人已有一份{program.name}申请在办理中")
    return None


def eligibility(program: Program, elder: Elder, month: date | None = None) -> rules.Refusal | None:
    """Why `elder` may not apply to `program` now (the rule named), or None."""
    month = month or first_of(timezone.localdate())
    # The month after the application is the first that can be owed: a birthday this month is eligible.
    return rules.check(program, elder, add_months(month, 1)) or _already(program, elder)


@dataclass(frozen=True)
class Upload:
    kind: str
    name: str
    content: bytes


def check_documents(documents: list[Upload]) -> None:
    for i, doc in enumerate(documents):
        if doc.kind not in DocumentKind.values:
            raise FieldErrors({f"documents.{i}.kind": "不是可选的材料类别"})
        if not doc.content or len(doc.content) > MAX_DOCUMENT:
            raise FieldErrors({f"documents.{i}": "材料文件应为 5 MB 以内的 PDF、JPG 或 PNG"})
        if not any(doc.content.startswith(magic) for magic in DOCUMENT_TYPES):
            raise FieldErrors({f"documents.{i}": "材料文件应为 PDF、JPG 或 PNG 格式"})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def programs_for(elder: Elder):
    """The active programs of the elder's county (the region rule narrows them further)."""
    return Program.objects.filter(county_code=elder.county_code, is_active=True)


def apply(actor: Actor, data: dict, documents: list[Upload] = (), *, opened_by: str | None = None) -> Application:
    """File an application for an elder the actor may apply for (the family for its own elder, a
    community worker or an officer for the elders of their area). Refused with the rule named when the
    elder is not eligible.

    A caller (page or API) may say only `online` or `counter` as `data["source"]`. The sources that let an
    application wait for its bank account (the month's candidate list, a visit's referral) are set by the
    platform's own paths through `opened_by`, never by what a caller claims."""
    errors = {}
    for name, label in (("applicant_name", "申请人姓名"),):
        if not str(data.get(name) or "").strip():
            errors[name] = f"请填写{label}"
    source = opened_by or data.get("source") or ApplicationSource.ONLINE
    if opened_by is None and source not in CALLER_SOURCES:
        errors["source"] = "申请来源只能是网上申请（online）或窗口代办（counter）"
    account = clean_account(data.get("bank_account", ""))
    if account and not _ACCOUNT.fullmatch(account):
        errors["bank_account"] = "银行账号应为 12 至 30 位数字"
    if not account and source not in ACCOUNT_LATER:
        errors["bank_account"] = "请填写发放补贴的银行账号"
    if errors:
        raise FieldErrors(errors)
    documents = list(documents)
    check_documents(documents)
    with transaction.atomic():
        elder = get_visible_or_404(Elder.objects, actor.user, "benefits.add_application", pk=_int(data.get("elder_id")))
        # Programs are published policy, open to every applicant; the region rule decides whether one applies.
        program = Program.objects.filter(is_active=True, pk=_int(data.get("program_id"))).first()
        if program is None:
            raise FieldErrors({"program_id": "没有这个补贴项目"})
        # Lock the elder's row: two submissions at once must not both pass the "not already applied" rule.
        Elder.objects.select_for_update(of=("self",)).filter(pk=elder.pk).first()
        refusal = eligibility(program, elder)
        if refusal:
            raise rules.NotEligible(refusal)
        application = Application.objects.create(
            elder=elder, program=program, region_code=elder.region_code, county_code=elder.county_code,
            source=source, applicant_name=str(data["applicant_name"]).strip()[:50],
            applicant_relation=str(data.get("applicant_relation") or "本人").strip()[:20],
            applicant_phone=str(data.get("applicant_phone") or "").strip()[:20],
            bank_name=str(data.get("bank_name") or "").strip()[:60], bank_account=account,
            account_holder=str(data.get("account_holder") or elder.name).strip()[:50], submitted_by=actor.db_user,
        )  # fmt: skip
        for doc in documents:
            add_document(application, doc)
        audit.record(actor, AuditAction.CREATE, application)
    return application


def add_document(application: Application, doc: Upload) -> ApplicationDocument:
    from django.core.files.base import ContentFile

    extension = next(ext for magic, ext in DOCUMENT_TYPES.items() if doc.content.startswith(magic))
    row = ApplicationDocument(application=application, county_code=application.county_code, kind=doc.kind,
                              filename=(doc.name or f"材料.{extension}")[:120], size=len(doc.content))  # fmt: skip
    row.file.save(f"{application.pk}-{doc.kind}.{extension}", ContentFile(doc.content), save=True)
    return row


def take_step(actor: Actor, application_id: int, step: str, note: str = "", *, today: date | None = None,
              expected_version: int | None = None) -> Application:  # fmt: skip
    """One step of the review chain; approval makes the elder a recipient."""
    if step not in APPLICATION:
        raise FieldErrors({"step": "不是可选的办理环节"})
    today = today or timezone.localdate()
    with transaction.atomic():
        application = APPLICATION.lock(
            actor, application_id, step, Application.objects.select_related("program", "elder")
        )
        fields = ["status", "version"]
        if step == "approve":
            # The rules are read again at the decision: the elder may have died or moved during the review.
            refusal = rules.check(application.program, application.elder, add_months(first_of(today), 1))
            if refusal:
                raise rules.NotEligible(refusal)
        APPLICATION.move(actor, application, step, note, today=today, expected_version=expected_version)
        if step in ("start_notice", "renotice"):
            application.notice_ends = date.fromordinal(today.toordinal() + application.program.notice_days)
            fields.append("notice_ends")
        if step in ("approve", "refuse", "refuse_community"):
            application.decided_on = today
            fields.append("decided_on")
        application.save(update_fields=fields)
        if step == "approve":
            _enrol(actor, application, today)
        audit.record(actor, AuditAction.UPDATE, application, changes={"step": step})
    return application


def _enrol(actor: Actor, application: Application, today: date) -> Recipient:
    program, elder = application.program, application.elder
    start = rules.start_month(program, elder, today, timezone.localtime(application.created_at).date())
    fields = {"region_code": elder.region_code, "application": application, "start_month": start, "next_month": start,
              "bank_name": application.bank_name, "bank_account": application.bank_account,
              "account_holder": application.account_holder or elder.name, "stop_month": None, "stop_reason": ""}  # fmt: skip
    recipient = Recipient.objects.select_for_update().filter(county_code=elder.county_code, program=program,
                                                             elder=elder).first()  # fmt: skip
    if recipient is None:
        recipient = Recipient.objects.create(elder=elder, program=program, county_code=elder.county_code, **fields)
    else:
        # Back after a stop (moved away and home again): the same row runs again from the new start.
        if recipient.status != RecipientStatus.STOPPED:
            raise Conflict(f"老人已在享受{program.name}", code="already_recipient")
        for name, value in fields.items():
            setattr(recipient, name, value)
        recipient.status = RecipientStatus.ACTIVE
        recipient.save()
    audit.record(actor, AuditAction.CREATE, recipient, changes={"start_month": start.isoformat()})
    return recipient


REVIEW_STEPS = ("community_pass", "street_pass", "start_notice", "renotice", "approve")


def applications_waiting(user):
    """The applications on which the user may take a review step now (the home page's to-do and the
    list's filter count the same rows)."""
    return APPLICATION.waiting(user, *REVIEW_STEPS)


# --- Recipients ------------------------------------------------------------------------------------------


def change_account(actor: Actor, recipient_id: int, bank_name: str, bank_account: str, holder: str) -> Recipient:
    """A new paying account (after a failed payment); the lines waiting for a retry take it on their next
    export. An empty field leaves the stored value alone."""
    account = clean_account(bank_account)
    if account and not _ACCOUNT.fullmatch(account):
        raise FieldErrors({"bank_account": "银行账号应为 12 至 30 位数字"})
    with transaction.atomic():
        recipient = get_for_action(
            Recipient.objects, actor.user, "benefits.change_recipient", lock=True, pk=recipient_id
        )
        account = masking.keep_if_masked(recipient, "bank_account", account)
        before = {"bank_name": recipient.bank_name, "account_holder": recipient.account_holder,
                  "bank_account": masking.mask("bank_account", recipient.bank_account)}  # fmt: skip
        recipient.bank_name = (bank_name or "").strip()[:60] or recipient.bank_name
        recipient.bank_account = account or recipient.bank_account
        recipient.account_holder = (holder or "").strip()[:50] or recipient.account_holder
        recipient.save(update_fields=["bank_name", "bank_account", "account_holder"])
        after = {"bank_name": recipient.bank_name, "account_holder": recipient.account_holder,
                 "bank_account": masking.mask("bank_account", recipient.bank_account)}  # fmt: skip
        audit.record(actor, AuditAction.UPDATE, recipient, changes=audit.diff(before, after))
    return recipient


def recipient_step(actor: Actor, recipient_id: int, step: str, note: str = "", reason: str = "",
                   stop_month: date | None = None) -> Recipient:  # fmt: skip
    """Suspend, reinstate or stop a recipient by hand (the stop lists and verification do it by rule)."""
    from .models import StopReason
    from .stops import after_stop

    if step not in ("suspend", "reinstate", "stop"):
        raise FieldErrors({"step": "不是可选的办理环节"})
    if step == "stop" and reason not in StopReason.values:
        raise FieldErrors({"reason": "请选择停发原因"})
    with transaction.atomic():
        recipient = RECIPIENT.lock(actor, recipient_id, step)
        RECIPIENT.move(actor, recipient, step, note)
        fields = ["status"]
        if step == "stop":
            recipient.stop_month = first_of(stop_month or add_months(first_of(timezone.localdate()), 1))
            recipient.stop_reason = reason
            fields += ["stop_month", "stop_reason"]
        recipient.save(update_fields=fields)
        if step == "stop":
            after_stop(actor, recipient)
        audit.record(actor, AuditAction.UPDATE, recipient, changes={"step": step})
    return recipient


# --- The month's candidates -------------------------------------------------------------------------------


def county_region(user, raw: str | None, action: str = "view", *, page: bool = False) -> str:
    """The county a request asks for (payrolls, stop lists and candidates are per county)."""
    from yiyang.core.scoping import home_region

    code = requested_region(user, raw, default=home_region, action=action, page=page)
    if level_of(code) != Level.COUNTY:
        if page:
            from django.http import Http404

            raise Http404
        raise FieldErrors({"region": "请选择一个县（区）"})
    return code


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def candidates(user, county: str, month: date, limit: int = 200) -> dict:
    """Who turns eligible for the old-age allowance with `month` (reached the age in the month before), who
    was eligible earlier and is still not enrolled, which recipients must stop by the declared end rules
    (ends.py: died or moved out by the registry, entered a facility where the program pays only at home),
    and who stopped from this month or the next."""
    month = first_of(month)
    elders = Elder.objects.visible_to(user, "view").filter(region_range_q("region_code", county), status=Status.ACTIVE)
    found = {"turning": [], "missed": [], "stopping": []}
    for program in Program.objects.visible_to(user).filter(county_code=county_of(county), is_active=True,
                                                           kind=ProgramKind.OLD_AGE):  # fmt: skip
        previous = add_months(month, -1)
        low, high = _years_before(previous, program.min_age), _years_before(last_day(previous), program.min_age)
        taken = Q(pk__in=Recipient.objects.filter(program=program, status__in=RECEIVING).values("elder_id")) | Q(
            pk__in=Application.objects.filter(program=program, status__in=OPEN_APPLICATION).values("elder_id")
        )
        base = elders.exclude(taken)
        if program.facility_rule == FacilityRule.HOME_ONLY:
            base = base.filter(facility_id__isnull=True)
        for row in base.filter(birth_date__gte=low, birth_date__lte=high).order_by("birth_date", "id")[:limit]:
            found["turning"].append((program, row))
        for row in base.filter(birth_date__lt=low).order_by("birth_date", "id")[:limit]:
            found["missed"].append((program, row))
    visible = Recipient.objects.visible_to(user).filter(region_range_q("region_code", county))
    found["stopping"] = ends.endings(visible, limit)
    # Stops that take effect this month or the next (by a list, by rule or by hand), with their reason.
    found["stopped"] = list(
        visible.filter(status=RecipientStatus.STOPPED, stop_month__gte=month, stop_month__lte=add_months(month, 1))
        .select_related("elder", "program")
        .order_by("stop_month", "region_code", "pk")[:limit]
    )  # fmt: skip
    return found


def enrol_candidate(actor: Actor, elder_id: int, program_id: int) -> Application:
    """Open an application for a candidate the monthly list found; it goes through the same review."""
    elder = get_visible_or_404(Elder.objects, actor.user, "benefits.add_application", pk=elder_id)
    return apply(actor, {"elder_id": elder.pk, "program_id": program_id, "applicant_name": elder.name,
                         "applicant_relation": "本人"}, opened_by=ApplicationSource.CANDIDATE)  # fmt: skip
