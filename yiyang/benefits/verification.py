"""The yearly verification of eligibility (资格认证): a task per recipient and year, due by a date;
verified in person, by video or through a visit record (its number as the evidence); a recipient not
verified by the date gets a notice, and is suspended when the notice runs out; a later verification
reinstates, and the months missed while suspended are paid with the next payroll (Recipient.next_month)."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import county_of
from yiyang.core.scoping import get_visible_or_404

from .models import Recipient, RecipientStatus, Verification, VerificationMethod, VerificationStatus
from .months import add_months, first_of
from .services import RECEIVING, county_region
from .workflows import RECIPIENT, VERIFICATION


def open_year(actor: Actor, region: str | None, year: int, due_on: date) -> int:
    """A verification task of `year` for every recipient of the county that has none; returns how many."""
    county = county_region(actor.user, region, "benefits.change_verification")
    if not 2000 <= year <= 2100 or due_on.year not in (year, year + 1):
        raise FieldErrors({"due_on": "截止日期应在认证年度内"})
    rows = (
        Recipient.objects.filter(county_code=county_of(county), status__in=RECEIVING)
        .exclude(verifications__year=year)
        .values_list("pk", "region_code")
    )
    made = [Verification(recipient_id=pk, region_code=code, county_code=county_of(county), year=year, due_on=due_on)
            for pk, code in rows]  # fmt: skip
    Verification.objects.bulk_create(made, batch_size=2000, ignore_conflicts=True)
    if made:
        audit.record(actor, AuditAction.CREATE, object_type="benefits.verification", object_id=str(year),
                     object_repr=f"{year}年资格认证任务 {len(made)} 条", region_code=county)  # fmt: skip
    return len(made)


def verify(actor: Actor, verification_id: int, method: str, evidence: str, on: date | None = None) -> Verification:
    on = on or timezone.localdate()
    if method not in VerificationMethod.values:
        raise FieldErrors({"method": "请选择认证方式"})
    if not evidence.strip():
        raise FieldErrors({"evidence": "请填写认证依据（视频记录编号、探访记录编号或经办说明）"})
    if on > timezone.localdate():
        raise FieldErrors({"verified_on": "认证日期不能晚于今天"})
    with transaction.atomic():
        verification = VERIFICATION.lock(actor, verification_id, "verify")
        was_suspended = verification.status == VerificationStatus.SUSPENDED
        VERIFICATION.move(actor, verification, "verify", f"{VerificationMethod(method).label}：{evidence.strip()}")
        verification.method, verification.evidence, verification.verified_on = method, evidence.strip()[:200], on
        verification.save(update_fields=["status", "method", "evidence", "verified_on"])
        recipient = Recipient.objects.select_for_update().select_related("program").get(pk=verification.recipient_id)
        recipient.verified_until = add_months(first_of(on), recipient.program.verify_every_months) - timedelta(days=1)
        fields = ["verified_until"]
        if was_suspended and recipient.status == RecipientStatus.SUSPENDED:
            RECIPIENT.move(actor, recipient, "auto_reinstate", f"{verification.year}年资格认证完成", authorised=True)
            fields.append("status")
        recipient.save(update_fields=fields)
        audit.record(actor, AuditAction.UPDATE, verification, changes={"method": method})
    return verification


def notify_overdue(actor: Actor, region: str | None, today: date | None = None) -> int:
    """Send the notice to every recipient whose verification is past due; the notice runs for the
    program's `suspend_after_days`."""
    today = today or timezone.localdate()
    county = county_region(actor.user, region, "benefits.change_verification")
    due = Verification.objects.visible_to(actor.user, "benefits.change_verification").filter(
        county_code=county_of(county), status=VerificationStatus.DUE, due_on__lt=today
    )
    done = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            row = VERIFICATION.lock(actor, pk, "notify", Verification.objects.select_related("recipient__program"))
            if row.status != VerificationStatus.DUE:
                continue
            VERIFICATION.move(actor, row, "notify", "逾期未认证，已催告")
            row.notice_ends = today + timedelta(days=row.recipient.program.suspend_after_days)
            row.save(update_fields=["status", "notice_ends"])
            done += 1
    return done


def suspend_overdue(actor: Actor, region: str | None, today: date | None = None) -> int:
    """Suspend the allowance of every recipient whose notice has run out without a verification."""
    today = today or timezone.localdate()
    county = county_region(actor.user, region, "benefits.change_verification")
    overdue = Verification.objects.visible_to(actor.user, "benefits.change_verification").filter(
        county_code=county_of(county), status=VerificationStatus.NOTIFIED, notice_ends__lt=today
    )
    done = 0
    for pk in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            row = VERIFICATION.lock(actor, pk, "suspend")
            if row.status != VerificationStatus.NOTIFIED:
                continue
            VERIFICATION.move(actor, row, "suspend", f"催告期满（{row.notice_ends:%Y-%m-%d}）仍未认证")
            row.save(update_fields=["status"])
            recipient = Recipient.objects.select_for_update().get(pk=row.recipient_id)
            if recipient.status == RecipientStatus.ACTIVE:
                RECIPIENT.move(actor, recipient, "auto_suspend", f"{row.year}年资格认证逾期", authorised=True)
                recipient.save(update_fields=["status"])
            done += 1
    return done


def get(user, verification_id: int) -> Verification:
    return get_visible_or_404(Verification.objects.select_related("recipient__elder"), user, pk=verification_id)
