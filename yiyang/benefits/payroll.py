"""The monthly payroll of a county: built once per month (a rerun, or ten runs at once, adds nothing),
checked and approved through the payroll workflow, exported in the paying bank's format, and settled by
the bank's result file, whose confirmed lines become entries of the payment ledger.

Idempotence has two guards: the payroll row is locked while lines are added and each recipient's
`next_month` moves past the month, so a rerun finds no month left to add; and the unique constraint on
(county, recipient, month) refuses a second line whatever happens at once."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from yiyang.core import audit, exports, idnumber, masking, tabular
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.regioncodes import county_of
from yiyang.core.scoping import get_for_action, may
from yiyang.core.tabular import Column
from yiyang.facilities.models import Residence

from . import rules
from .models import (
    FILE_FIELDS,
    Band,
    BankFormat,
    FacilityRule,
    LineStatus,
    Payment,
    Payroll,
    PayrollLine,
    PayrollStatus,
    Program,
    Recipient,
    RecipientStatus,
)
from .months import add_months, first_of, months_between
from .services import county_region
from .workflows import PAYROLL

BATCH = 5000
MAX_RESULT_BYTES = 50 * 1024 * 1024


def _payroll_for(county: str, month: date) -> Payroll:
    """The county's payroll of `month`, made if missing; of several runs at once, one makes it."""
    code = county_of(county)
    try:
        with transaction.atomic():
            payroll, _ = Payroll.objects.get_or_create(
                county_code=code, month=month,
                defaults={"region_code": county, "bank_format": BankFormat.objects.filter(county_code=code).first()},
            )  # fmt: skip
    except IntegrityError:
        payroll = Payroll.objects.get(county_code=code, month=month)
    return payroll


def run(actor: Actor, region: str | None, month: date) -> tuple[Payroll, int]:
    """Add to the county's payroll of `month` every month owed up to it; returns the payroll and the
    number of lines added (0 on a rerun). Only a draft payroll takes lines: once checked, it is fixed."""
    county = county_region(actor.user, region, "benefits.run_payroll")
    month = first_of(month)
    payroll = _payroll_for(county, month)
    with transaction.atomic():
        payroll = Payroll.objects.select_for_update().get(pk=payroll.pk)
        if payroll.status != PayrollStatus.DRAFT:
            return payroll, 0
        before = payroll.lines.count()
        _add_lines(payroll, month)
        # The end rules that stop by themselves (e.g. a home-only subsidy on entering a facility) stop from
        # the month after the event: applied after the lines were added, the months before it stay owed and
        # the lines from it come off this draft again (stops.after_stop), with the payments already made
        # for them found as overpayment.
        from .ends import apply_by_rule

        apply_by_rule(actor, payroll.county_code)
        _totals(payroll)
        added = payroll.lines_count - before
        if added:
            audit.record(actor, AuditAction.CREATE, payroll, changes={"lines_added": added})
    return payroll, added


def _add_lines(payroll: Payroll, month: date) -> int:
    code = payroll.county_code
    bands: dict[int, list[Band]] = {}
    for band in Band.objects.filter(county_code=code).order_by("program_id", "min_age", "capability_level", "id"):
        bands.setdefault(band.program_id, []).append(band)
    programs = {p.pk: p for p in Program.objects.filter(county_code=code)}
    # Home-only recipients with an admission on record: the facility end rule stops them from the month after.
    staying = Residence.objects.filter(left_on__isnull=True).values("elder_id")
    dated = set(
        Recipient.objects.filter(county_code=code, program__facility_rule=FacilityRule.HOME_ONLY,
                                 elder_id__in=staying).values_list("pk", flat=True)
    )  # fmt: skip
    number = (payroll.lines.aggregate(n=Max("line_no"))["n"] or 0) + 1
    owed = (
        Recipient.objects.filter(county_code=code, status=RecipientStatus.ACTIVE, next_month__lte=month)
        .exclude(bank_account="")
        .values_list("pk", "program_id", "region_code", "next_month", "start_month", "stop_month", "bank_account",
                     "account_holder", "elder__id_number", "elder__capability_level", "elder__facility_id")
        .order_by("pk")
    )  # fmt: skip
    lines, moved, added = [], [], 0
    for (
        pk,
        program_id,
        region_code,
        next_month,
        start,
        stop,
        account,
        holder,
        id_number,
        level,
        facility,
    ) in owed.iterator():
        program = programs[program_id]
        if facility and program.facility_rule == FacilityRule.HOME_ONLY and pk not in dated:
            # In a facility with no admission date to stop from: the months pass unpaid (the must-stop list
            # asks a person to decide).
            moved.append(pk)
            continue
        try:
            birth = idnumber.parse(id_number).birth_date
        except idnumber.InvalidIdNumber:
            continue  # an invalid number stays off the payroll until the registry is corrected
        for owed_month in months_between(max(next_month, start), month):
            if stop is not None and owed_month >= stop:
                break
            band = rules.band_for(bands.get(program_id, []), rules.age_for_month(birth, owed_month), level)
            if band is None or rules.age_for_month(birth, owed_month) < program.min_age:
                continue
            lines.append(PayrollLine(
                payroll=payroll, recipient_id=pk, program_id=program_id, band=band, region_code=region_code,
                county_code=code, month=owed_month, line_no=number, amount=band.amount_fen, holder=holder,
                bank_account=account,
            ))  # fmt: skip
            number += 1
        moved.append(pk)
        if len(lines) >= BATCH:
            added += _flush(lines)
    added += _flush(lines)
    following = add_months(month, 1)
    for start in range(0, len(moved), BATCH):
        Recipient.objects.filter(pk__in=moved[start : start + BATCH]).update(next_month=following)
    return added


def _flush(lines: list) -> int:
    if not lines:
        return 0
    before = len(lines)
    # A line that exists already (a run that raced this one past the lock) is skipped by the constraint.
    PayrollLine.objects.bulk_create(lines, batch_size=1000, ignore_conflicts=True)
    lines.clear()
    return before


def _totals(payroll: Payroll) -> None:
    found = payroll.lines.aggregate(n=Count("id"), total=Sum("amount"))
    payroll.lines_count, payroll.total_fen = found["n"], found["total"] or 0
    payroll.save(update_fields=["lines_count", "total_fen"])


def take_step(actor: Actor, payroll_id: int, step: str, note: str = "") -> Payroll:
    """Check, send back or approve a payroll (export and settlement have their own functions)."""
    if step not in ("check", "send_back", "approve"):
        raise FieldErrors({"step": "不是可选的办理环节"})
    with transaction.atomic():
        payroll = PAYROLL.lock(actor, payroll_id, step)
        if step == "check" and not payroll.lines_count:
            raise Conflict("名册中没有发放明细，不能复核", code="empty_payroll")
        PAYROLL.move(actor, payroll, step, note, by=actor)
        payroll.save(update_fields=["status"])
        audit.record(actor, AuditAction.UPDATE, payroll, changes={"step": step})
    return payroll


# --- The bank's files ----------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _cell(fmt: BankFormat, key: str, line: PayrollLine, id_numbers: dict, programs: dict) -> str:
    value = {
        "line_no": str(line.line_no),
        "account": line.bank_account,
        "holder": line.holder,
        "amount": _yuan(line.amount) if fmt.amount_in_yuan else str(line.amount),
        "id_number": id_numbers.get(line.recipient_id, ""),
        "month": f"{line.month:%Y%m}",
        "program": programs.get(line.program_id, ""),
        "result": "",
        "reason": "",
    }[key]
    if key in ("holder", "program"):
        # Officers open these files in a spreadsheet too: free text is neutralised as in every export.
        value = exports.neutralise(value)
    # A bank's text file has no quoting: a delimiter inside a name would shift every column after it.
    return value.replace(fmt.delimiter, " ").replace("\n", " ")


@dataclass(frozen=True)
class BankFile:
    filename: str
    content: bytes
    lines: int
    total_fen: int


def export(actor: Actor, payroll_id: int, *, retry: bool = False) -> BankFile:
    """The payroll file for the paying bank, with full account numbers (audited as an export). The first
    export carries every line waiting for payment; `retry` carries the failed lines again, each with the
    recipient's current account."""
    with transaction.atomic():
        payroll = PAYROLL.lock(actor, payroll_id, "export", Payroll.objects.select_related("bank_format"))
        if not may(actor.user, payroll, "benefits.view_sensitive_recipient"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        fmt = payroll.bank_format or BankFormat.objects.filter(county_code=payroll.county_code).first()
        if fmt is None:
            raise Conflict("本县（区）尚未设置代发文件格式", code="no_bank_format")
        if retry:
            failed = list(payroll.lines.filter(status=LineStatus.FAILED).select_related("recipient"))
            if not failed:
                raise Conflict("没有待重发的失败明细", code="nothing_to_retry")
            for line in failed:
                line.bank_account, line.holder = line.recipient.bank_account, line.recipient.account_holder
                line.status, line.retries, line.fail_reason = LineStatus.PENDING, line.retries + 1, ""
            PayrollLine.objects.bulk_update(failed, ["bank_account", "holder", "status", "retries", "fail_reason"])
        elif payroll.status != PayrollStatus.APPROVED:
            raise Conflict(f"发放名册当前状态为“{payroll.get_status_display()}”，只能导出失败明细重发", code="exported")
        PAYROLL.move(actor, payroll, "export", "失败明细重发" if retry else "")
        payroll.exported_at = timezone.now()
        payroll.save(update_fields=["status", "exported_at"])
        rows = payroll.lines.filter(status=LineStatus.PENDING).order_by("line_no")
        if retry:
            rows = rows.filter(pk__in=[line.pk for line in failed])
        content, count, total = _write(fmt, payroll, rows)
        audit.record(actor, AuditAction.EXPORT, payroll, object_repr=f"{payroll} 银行代发文件",
                     changes={"lines": count, "total_fen": total, "retry": retry, "fields": ["bank_account"]})  # fmt: skip
    suffix = "-retry" if retry else ""
    return BankFile(f"payroll-{payroll.county_code}-{payroll.month:%Y%m}{suffix}.txt", content, count, total)


def _write(fmt: BankFormat, payroll: Payroll, rows) -> tuple[bytes, int, int]:
    from yiyang.elders.models import Elder

    programs = dict(Program.objects.filter(county_code=payroll.county_code).values_list("pk", "name"))
    body, count, total = [], 0, 0
    for start in range(0, 10**9, BATCH):
        chunk = list(rows[start : start + BATCH])
        if not chunk:
            break
        recipients = Recipient.objects.filter(pk__in={line.recipient_id for line in chunk}).values_list(
            "pk", "elder_id"
        )
        elder_of = dict(recipients)
        numbers = dict(Elder.objects.filter(pk__in=set(elder_of.values())).values_list("pk", "id_number"))
        id_numbers = {pk: numbers.get(elder) for pk, elder in elder_of.items()}
        for line in chunk:
            body.append(fmt.delimiter.join(_cell(fmt, key, line, id_numbers, programs) for key in fmt.columns))
            count, total = count + 1, total + line.amount
    totals = fmt.delimiter.join([fmt.totals_marker, str(count), _yuan(total) if fmt.amount_in_yuan else str(total)])
    out = []
    if fmt.totals == "head":
        out.append(totals)
    if fmt.with_header:
        out.append(fmt.delimiter.join(FILE_FIELDS[key] for key in fmt.columns))
    out.extend(body)
    if fmt.totals == "foot":
        out.append(totals)
    return ("\r\n".join(out) + "\r\n").encode(fmt.encoding, errors="replace"), count, total


RESULT_COLUMNS = [
    Column("line_no", "序号", aliases=("流水号", "明细序号")),
    Column("account", "账号", aliases=("银行账号", "收款账号", "卡号")),
    Column("holder", "户名", required=False, aliases=("姓名", "收款人")),
    Column("amount", "金额", aliases=("发放金额", "交易金额")),
    Column("result", "处理结果", aliases=("结果", "状态", "返回码")),
    Column("reason", "失败原因", required=False, aliases=("备注", "错误信息")),
]


def _amount(fmt: BankFormat, text: str) -> int | None:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    fen = value * 100 if fmt.amount_in_yuan else value
    return int(fen) if fen == int(fen) and fen >= 0 else None


def import_result(actor: Actor, payroll_id: int, upload, filename: str) -> dict:
    """Read the bank's result file (.csv or .xlsx, the format's totals line required) and settle the
    lines: all or nothing. Refused with the line number for a line the payroll does not hold (an unknown
    number or account), an amount that differs, a line twice, or totals that do not add up."""
    with transaction.atomic():
        payroll = get_for_action(Payroll.objects.select_related("bank_format"), actor.user, "benefits.settle_payroll",
                                 lock=True, pk=payroll_id)  # fmt: skip
        if payroll.status != PayrollStatus.EXPORTED:
            raise Conflict(f"发放名册当前状态为“{payroll.get_status_display()}”，不能导入回盘文件", code="not_exported")
        fmt = payroll.bank_format or BankFormat.objects.filter(county_code=payroll.county_code).first()
        table = tabular.open_table(upload, filename, RESULT_COLUMNS, max_bytes=MAX_RESULT_BYTES)
        waiting = {line.line_no: line for line in payroll.lines.filter(status=LineStatus.PENDING)}
        results, seen, totals = [], set(), None
        for number, row in table:
            if row["line_no"] == fmt.totals_marker:
                totals = (number, row)
                continue
            if isinstance(row["account"], tabular.Numeric) and len(row["account"].replace(".0", "")) > 15:
                raise FieldErrors(
                    {"file": f"第 {number} 行：账号是数值单元格，超过 15 位的数字已失真；请设为文本后重新导出"}
                )
            line = waiting.get(int(row["line_no"])) if row["line_no"].isdigit() else None
            account = row["account"].replace(" ", "")
            if line is None or line.bank_account != account:
                raise FieldErrors({"file": f"第 {number} 行：序号 {row['line_no'] or '（空）'}、账号 "
                                           f"{masking.mask('bank_account', account) or '（空）'} 不在本次代发明细中"})  # fmt: skip
            if line.pk in seen:
                raise FieldErrors({"file": f"第 {number} 行：序号 {line.line_no} 重复出现"})
            amount = _amount(fmt, row["amount"])
            if amount != line.amount:
                raise FieldErrors(
                    {"file": f"第 {number} 行：金额 {row['amount']} 与代发金额 {_yuan(line.amount)} 不符"}
                )
            seen.add(line.pk)
            results.append((line, row["result"].strip() in fmt.success_values, row["reason"].strip()))
        if totals is None:
            raise FieldErrors({"file": f"回盘文件缺少汇总行（首列为“{fmt.totals_marker}”，其后为笔数和金额）"})
        number, row = totals
        count_text, amount_text = row["account"].strip(), row["holder"].strip()
        total = sum(line.amount for line, _, _ in results)
        if count_text != str(len(results)) or _amount(fmt, amount_text) != total:
            raise FieldErrors({"file": f"第 {number} 行（汇总行）：笔数 {count_text}、金额 {amount_text} 与明细合计 "
                                       f"{len(results)} 笔、{_yuan(total)} 元不符"})  # fmt: skip
        paid = failed = 0
        now = timezone.now()
        for line, ok, reason in results:
            if ok:
                line.status, paid = LineStatus.PAID, paid + 1
                post_once(Payment, recipient_id=line.recipient_id, line=line, region_code=line.region_code,
                          county_code=line.county_code, month=line.month, paid_month=payroll.month, amount=line.amount,
                          idempotency_key=f"line:{line.pk}", at=now)  # fmt: skip
            else:
                line.status, line.fail_reason, failed = (
                    LineStatus.FAILED,
                    (reason or "银行未说明原因")[:200],
                    failed + 1,
                )
        PayrollLine.objects.bulk_update([line for line, _, _ in results], ["status", "fail_reason"], batch_size=1000)
        if not payroll.lines.filter(status=LineStatus.PENDING).exists():
            PAYROLL.move(actor, payroll, "settle", f"成功 {paid} 笔，失败 {failed} 笔", authorised=True)
            payroll.settled_at = now
            payroll.save(update_fields=["status", "settled_at"])
        audit.record(actor, AuditAction.IMPORT, payroll, object_repr=f"{payroll} 银行回盘 {filename}"[:200],
                     changes={"paid": paid, "failed": failed})  # fmt: skip
        # A payment the bank made for a month after the stop (a death reported late) is money to recover.
        from .stops import find_overpayments

        stopped = Recipient.objects.filter(pk__in={line.recipient_id for line, ok, _ in results if ok},
                                           stop_month__isnull=False)  # fmt: skip
        for recipient in stopped:
            find_overpayments(actor, recipient)
    return {"paid": paid, "failed": failed, "status": payroll.status}
