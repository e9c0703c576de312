"""Stops and recovery: lists of deaths (from public security, health and funeral services) and of moves,
matched to recipients by ID number with the name as a check. A matched death stops the allowance from the
month after the death; whatever was paid for a month from then on becomes a recovery case whose ledger
holds one 'due' entry per such payment (so a second comparison adds nothing) and the repayments."""

import uuid
from datetime import date

from django.db import transaction
from django.db.models import Sum

from yiyang.core import audit, dates, idnumber, tabular
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.regioncodes import county_of
from yiyang.core.scoping import get_for_action, may
from yiyang.core.tabular import Column, Numeric

from .models import (
    LineStatus,
    MatchResult,
    Payment,
    PayrollLine,
    PayrollStatus,
    Recipient,
    RecipientStatus,
    RecoveryCase,
    RecoveryEntry,
    RecoveryEntryKind,
    RecoveryStatus,
    StopBatch,
    StopKind,
    StopReason,
    StopRecord,
)
from .months import next_month
from .services import county_region
from .workflows import RECIPIENT

MAX_LIST_BYTES = 20 * 1024 * 1024
LIST_COLUMNS = [
    Column("id_number", "身份证号码", aliases=("公民身份号码", "身份证号", "证件号码")),
    Column("name", "姓名"),
    Column("event_date", "日期", aliases=("死亡日期", "迁出日期", "注销日期", "火化日期")),
]
REASON_OF = {StopKind.DEATH: StopReason.DEATH, StopKind.MOVE: StopReason.MOVED}


def import_list(actor: Actor, region: str | None, kind: str, source: str, upload, filename: str) -> StopBatch:
    """Compare a death or move list with the county's recipients. Rows that cannot be read (an ID number
    typed as a number, a wrong check digit, no date) are listed with their reason and the good rows are
    compared; a matching ID number with another name is held for a person to check, never stopped."""
    if kind not in StopKind.values:
        raise FieldErrors({"kind": "请选择名单类别"})
    county = county_region(actor.user, region, "benefits.add_stopbatch")
    table = tabular.open_table(upload, filename, LIST_COLUMNS, max_bytes=MAX_LIST_BYTES)
    good, refused = [], []
    for number, row in table:
        if isinstance(row["id_number"], Numeric):
            refused.append({"row": number, "reason": "身份证号码是数值单元格，末几位可能已丢失；请设为文本后重新导出"})
            continue
        try:
            info = idnumber.parse(row["id_number"])
            day = dates.parse(row["event_date"])
        except idnumber.InvalidIdNumber as exc:
            refused.append({"row": number, "reason": str(exc)})
            continue
        except ValueError:
            refused.append({"row": number, "reason": f"日期“{row['event_date']}”无法识别"})
            continue
        if day is None or not row["name"].strip():
            refused.append({"row": number, "reason": "缺少姓名或日期"})
            continue
        good.append((number, info.number, row["name"].strip(), day))
    with transaction.atomic():
        batch = StopBatch.objects.create(region_code=county, county_code=county_of(county), kind=kind,
                                         source=(source or "").strip()[:30] or "未注明", filename=filename[:120],
                                         rows=len(good) + len(refused), refused=refused[:500], by=actor.db_user)  # fmt: skip
        counts = {result: 0 for result in MatchResult.values}
        for number, id_number, name, day in good:
            for record in _compare(actor, batch, number, id_number, name, day):
                counts[record.result] += 1
        batch.matched = counts[MatchResult.STOPPED] + counts[MatchResult.EARLIER]
        batch.mismatched = counts[MatchResult.NAME_MISMATCH]
        batch.unmatched = counts[MatchResult.NOT_RECIPIENT]
        batch.save(update_fields=["matched", "mismatched", "unmatched"])
        audit.record(actor, AuditAction.IMPORT, batch, changes={"rows": batch.rows, "matched": batch.matched})
    return batch


def _compare(actor: Actor, batch: StopBatch, number: int, id_number: str, name: str, day: date) -> list[StopRecord]:
    found = list(
        Recipient.objects.select_for_update(of=("self",))
        .visible_to(actor.user, "benefits.change_recipient")
        .filter(county_code=batch.county_code, elder__id_number=id_number)
        .select_related("elder", "program")
    )  # fmt: skip
    common = {"batch": batch, "county_code": batch.county_code, "row_number": number, "id_number": id_number,
              "name": name, "event_date": day}  # fmt: skip
    if not found:
        return [StopRecord.objects.create(region_code=batch.region_code, result=MatchResult.NOT_RECIPIENT, **common)]
    records = []
    month, note = next_month(day), f"{batch.get_kind_display()}：{batch.source} {day:%Y-%m-%d}"
    for recipient in found:
        if recipient.elder.name.replace(" ", "") != name.replace(" ", ""):
            result = MatchResult.NAME_MISMATCH
        elif recipient.status == RecipientStatus.STOPPED:
            # Stopped by hand from the registry's word (by default from next month) before the official
            # list came: the list's date decides, and what was paid since is recovered.
            earlier = recipient.stop_month is not None and month < recipient.stop_month
            result = MatchResult.EARLIER if earlier else MatchResult.ALREADY
            if result == MatchResult.EARLIER:
                bring_forward(actor, recipient, month, REASON_OF[batch.kind], note)
        elif batch.kind == StopKind.MOVE and _stopped_since(recipient, day):
            # Receiving again after a stop recorded on or after this date (moved away, came back and was
            # enrolled anew): the list repeats the event that stop handled, and must not reach back over
            # the months paid since the return. Only a move can be undone so: a death on a list stops a
            # recipient enrolled again after a hand stop, and what was paid since is recovered.
            result = MatchResult.ALREADY
        else:
            result = MatchResult.STOPPED
            stop(actor, recipient, month, REASON_OF[batch.kind], note)
        records.append(StopRecord.objects.create(region_code=recipient.region_code, result=result,
                                                 recipient=recipient, **common))  # fmt: skip
    return records


def stop(actor: Actor, recipient: Recipient, stop_month: date, reason: str, note: str) -> None:
    """Stop a (locked) recipient by rule from `stop_month`, then settle what the stop changes."""
    RECIPIENT.move(actor, recipient, "auto_stop", note, authorised=True)
    recipient.stop_month, recipient.stop_reason = stop_month, reason
    recipient.save(update_fields=["status", "stop_month", "stop_reason"])
    after_stop(actor, recipient)


def _stopped_since(recipient: Recipient, day: date) -> bool:
    return recipient.steps.filter(to_status=RecipientStatus.STOPPED, at__date__gte=day).exists()


def bring_forward(actor: Actor, recipient: Recipient, stop_month: date, reason: str, note: str) -> None:
    """Move a stopped (locked) recipient's stop month back to what the rule gives for the event, then
    settle: the payments made since become overpayment. A stop month is never moved later."""
    before = recipient.stop_month
    RECIPIENT.move(actor, recipient, "auto_restop", f"{note}（停发月份由 {before:%Y年%m月} 提前至 {stop_month:%Y年%m月}）",
                   authorised=True)  # fmt: skip
    recipient.stop_month, recipient.stop_reason = stop_month, reason
    recipient.save(update_fields=["status", "stop_month", "stop_reason"])
    audit.record(actor, AuditAction.UPDATE, recipient,
                 changes={"stop_month": [before.isoformat(), stop_month.isoformat()], "stop_reason": reason})  # fmt: skip
    after_stop(actor, recipient)


def after_stop(actor: Actor, recipient: Recipient) -> None:
    """Lines of a payroll still in draft for months from the stop are taken off it; what was paid for
    such months already is found as overpayment."""
    from .payroll import _totals

    drafts = PayrollLine.objects.filter(recipient=recipient, month__gte=recipient.stop_month,
                                        payroll__status=PayrollStatus.DRAFT, status=LineStatus.PENDING)  # fmt: skip
    payrolls = {line.payroll for line in drafts.select_related("payroll")}
    drafts.delete()
    for payroll in payrolls:
        _totals(payroll)
    find_overpayments(actor, recipient)


def find_overpayments(actor: Actor, recipient: Recipient) -> RecoveryCase | None:
    """Open (or extend) the recipient's recovery case with each payment made for a month from the stop."""
    if recipient.stop_month is None:
        return None
    paid = list(Payment.objects.filter(recipient=recipient, month__gte=recipient.stop_month).order_by("month", "pk"))
    if not paid:
        return None
    case, made = RecoveryCase.objects.select_for_update().get_or_create(
        county_code=recipient.county_code, recipient=recipient,
        defaults={"region_code": recipient.region_code,
                  "reason": f"{recipient.get_stop_reason_display() or '停发'}后多发：自 {recipient.stop_month:%Y年%m月} 起不应发放"},
    )  # fmt: skip
    new = sum(
        post_once(
            RecoveryEntry,
            case=case,
            county_code=case.county_code,
            kind=RecoveryEntryKind.DUE,
            amount=payment.amount,
            month=payment.month,
            note=f"{payment.month:%Y年%m月}发放",
            idempotency_key=f"due:{payment.pk}",
        )  # fmt: skip
        for payment in paid
    )
    if new or made:
        _recount(case)
        audit.record(actor, AuditAction.CREATE if made else AuditAction.UPDATE, case,
                     changes={"due_fen": case.due_fen, "new_entries": new})  # fmt: skip
    return case


def _recount(case: RecoveryCase) -> None:
    sums = dict(case.entries.order_by().values("kind").annotate(total=Sum("amount")).values_list("kind", "total"))
    case.due_fen, case.repaid_fen = sums.get(RecoveryEntryKind.DUE, 0), sums.get(RecoveryEntryKind.REPAID, 0)
    case.status = RecoveryStatus.RECOVERED if case.due_fen and case.balance_fen <= 0 else RecoveryStatus.OPEN
    case.save(update_fields=["due_fen", "repaid_fen", "status"])


def repay(actor: Actor, case_id: int, amount_fen: int, note: str = "", key: str | None = None) -> RecoveryCase:
    """Record money returned; `key` (a client-made id) makes a resend write nothing."""
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FieldErrors({"amount_fen": "退回金额应为正整数（分）"})
    with transaction.atomic():
        case = get_for_action(RecoveryCase.objects, actor.user, "benefits.change_recoverycase", lock=True, pk=case_id)
        if amount_fen > case.balance_fen:
            raise FieldErrors({"amount_fen": f"退回金额超过待追回余额 {case.balance_fen / 100:.2f} 元"})
        written = post_once(RecoveryEntry, case=case, county_code=case.county_code, kind=RecoveryEntryKind.REPAID,
                            amount=amount_fen, note=note.strip()[:200], by=actor.db_user,
                            idempotency_key=f"repaid:{(key or uuid.uuid4().hex)[:60]}")  # fmt: skip
        if not written:
            raise Conflict("这笔退回已经登记过", code="already_recorded")
        _recount(case)
        audit.record(actor, AuditAction.UPDATE, case, changes={"repaid_fen": amount_fen})
    return case


def may_repay(user, case: RecoveryCase) -> bool:
    return case.status == RecoveryStatus.OPEN and may(user, case, "benefits.change_recoverycase")
