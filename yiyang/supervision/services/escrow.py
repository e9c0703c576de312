"""Prepaid fees and escrow (预收费第三方存管, 《养老机构预收费管理办法》; docs/standards.md §9).

A facility files its escrow account with the bureau. Every fee it takes in advance from a resident is
an immutable ledger entry with an idempotency key; balances are sums of entries. Each receipt is
checked against the rules (membership fees, caps in months of the monthly fee); when the facility's
total prepaid balance passes its net fixed assets the bureau is alerted and the receipt is kept.
Service fees are drawn down once a month; balances are refunded when a resident leaves and when the
facility closes. Every posting locks the facility's account row first (`select_for_update`,
effective on PostgreSQL; SQLite serialises writers), so balance checks and idempotency checks of two
simultaneous requests cannot interleave; the unique constraints are the last line of defence.
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from yiyang.core import audit, masking
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404
from yiyang.core.templatetags.money import yuan
from yiyang.facilities.models import Facility, Residence

from .. import conf
from ..models import (
    AlertKind,
    AlertStatus,
    EntryType,
    EscrowAccount,
    EscrowAlert,
    EscrowEntry,
    FacilityClosure,
    FeeKind,
)
from ..workflows import CLOSURE, ESCROW_ALERT


def _may(user, model, action: str, pk) -> bool:
    return model.objects.visible_to(user, action).filter(pk=pk).exists()


# --- The account ---------------------------------------------------------------------------------

ACCOUNT_FIELDS = ("bank_name", "account_number", "filing_number", "net_fixed_assets", "risk_reserve", "monthly_fee")


def _clean_account(data: dict, current: EscrowAccount | None = None) -> dict:
    errors, clean = {}, {}
    if current is not None and not str(data.get("account_number") or "").strip():
        # Changing the other fields does not require typing the account number again (forms never
        # carry it in full): a blank number keeps the one on file.
        data = {**data, "account_number": current.account_number}
    for name, label, length in (("bank_name", "存管银行", 100), ("filing_number", "民政备案编号", 50)):
        text = str(data.get(name) or "").strip()
        if not text or len(text) > length:
            errors[name] = f"请填写{label}（不超过 {length} 个字）"
        clean[name] = text
    number = str(data.get("account_number") or "").replace(" ", "")
    if not (number.isdigit() and 8 <= len(number) <= 32):
        errors["account_number"] = "存管账号应为 8 到 32 位数字"
    clean["account_number"] = number
    for name, label, minimum in (("net_fixed_assets", "固定资产净额", 0), ("risk_reserve", "风险保证金", 0),
                                 ("monthly_fee", "月收费标准", 1)):  # fmt: skip
        value = data.get(name, 0 if name == "risk_reserve" else None)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value > 10**14:
            errors[name] = f"{label}应为{'大于 0 的' if minimum else '不小于 0 的'}金额（分）"
        clean[name] = value
    if errors:
        raise FieldErrors(errors)
    return clean


def _masked(values: dict) -> dict:
    # The audit log keeps the change but not the full account number (it is itself sensitive).
    return {**values, "account_number": masking.mask_bank_account(values.get("account_number") or "")}


@transaction.atomic
def save_account(actor: Actor, facility_id: int, data: dict) -> EscrowAccount:
    """Open or update the facility's escrow account (amounts in fen; net fixed assets exclude
    pledged assets). On an update a blank account number keeps the current one."""
    facility = get_visible_or_404(Facility.objects, actor.user, "view", pk=facility_id)
    account = EscrowAccount.objects.select_for_update().filter(facility=facility).first()
    action = "supervision.change_escrowaccount" if account else "supervision.add_escrowaccount"
    if not _may(actor.user, Facility, action, facility.pk):
        raise PermissionDenied
    clean = _clean_account(data, account)
    if account is None:
        account = EscrowAccount.objects.create(
            facility=facility, region_code=facility.region_code, county_code=facility.county_code, **clean
        )
        audit.record(actor, AuditAction.CREATE, account, object_repr=f"{facility.name} 登记预收费存管账户",
                     changes=audit.diff({}, _masked(clean)))  # fmt: skip
        return account
    before = {name: getattr(account, name) for name in ACCOUNT_FIELDS}
    for name, value in clean.items():
        setattr(account, name, value)
    account.save()
    audit.record(actor, AuditAction.UPDATE, account, object_repr=f"{facility.name} 修改预收费存管账户",
                 changes=audit.diff(_masked(before), _masked(clean)))  # fmt: skip
    return account


def account_number_for(actor: Actor, account: EscrowAccount, reveal: bool = False) -> str:
    """The account number, masked unless the user may see it in full and asks to (audited)."""
    return masking.shown(actor, account, reveal=reveal)["account_number"]


def _locked_account(actor: Actor, facility_id: int, action: str) -> EscrowAccount:
    # Read access first (404 outside the scope), then the right to act (403 inside it). The lock
    # serialises every posting of the facility: balance checks cannot interleave.
    account = get_visible_or_404(EscrowAccount.objects.select_for_update(), actor.user, "view", facility_id=facility_id)
    if not _may(actor.user, EscrowAccount, action, account.pk):
        raise PermissionDenied
    return account


def _residence(actor: Actor, residence_id: int) -> Residence:
    return get_visible_or_404(Residence.objects.select_related("elder", "facility"), actor.user, "view",
                              pk=residence_id)  # fmt: skip


# --- Balances --------------------------------------------------------------------------------------


def balances(residence_ids) -> dict[int, dict[str, int]]:
    """{residence id: {fee kind: balance in fen}}, every kind present (0 when nothing was posted)."""
    result = {pk: dict.fromkeys(FeeKind.values, 0) for pk in residence_ids}
    rows = (
        EscrowEntry.objects.filter(residence_id__in=list(result))
        .values("residence_id", "fee_kind")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        result[row["residence_id"]][row["fee_kind"]] = row["total"] or 0
    return result


def balance(residence_id: int, fee_kind: str) -> int:
    entries = EscrowEntry.objects.filter(residence_id=residence_id, fee_kind=fee_kind)
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def facility_total(facility_id: int) -> int:
    """The facility's total prepaid balance: every kind, every resident."""
    return EscrowEntry.objects.filter(facility_id=facility_id).aggregate(total=Sum("amount"))["total"] or 0


def resident_rows(facility: Facility) -> list[dict]:
    """Current residents and former residents who still hold a balance, with their balances."""
    residences = list(Residence.objects.filter(facility=facility).select_related("elder").order_by("bed_number", "id"))
    found = balances([r.pk for r in residences])
    rows = []
    for residence in residences:
        kinds = found[residence.pk]
        total = sum(kinds.values())
        if residence.left_on is None or total:
            rows.append({"residence": residence, "balances": kinds, "total": total})
    return rows


# --- Receipts --------------------------------------------------------------------------------------


def cap_months(fee_kind: str) -> int:
    return conf.value(
        {
            FeeKind.SERVICE: "ESCROW_SERVICE_FEE_MAX_MONTHS",
            FeeKind.DEPOSIT: "ESCROW_DEPOSIT_MAX_MONTHS",
            FeeKind.MEMBERSHIP: "ESCROW_MEMBERSHIP_MAX_MONTHS",
        }[fee_kind]
    )


def _receipt_errors(account: EscrowAccount, residence: Residence, fee_kind: str, amount, key: str) -> dict:
    if fee_kind not in FeeKind.values:
        return {"fee_kind": "费用类型应为养老服务费、押金或会员费"}
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = "收取金额应为大于 0 的整数（分）"
    if not key or len(key) > 60:
        errors["key"] = "请提供 1 到 60 个字符的幂等键（同一笔收费重复提交时不重复记账）"
    if residence.left_on is not None:
        errors["residence_id"] = "该老人已离开机构，不能再收取预收费"
    if errors:
        return errors
    if fee_kind == FeeKind.MEMBERSHIP and residence.facility.operation_model in conf.value(
        "ESCROW_NO_MEMBERSHIP_OPERATION_MODELS"
    ):
        label = residence.facility.get_operation_model_display()
        return {"fee_kind": f"{label}养老机构不得收取会员费（《养老机构预收费管理办法》）"}
    months = cap_months(fee_kind)
    cap = months * account.monthly_fee
    held = balance(residence.pk, fee_kind)
    if held + amount > cap:
        what = {FeeKind.SERVICE: f"预收养老服务费不得超过 {months} 个月"}.get(
            fee_kind, f"{FeeKind(fee_kind).label}不得超过月收费标准的 {months} 倍"
        )
        return {
            "amount": f"{what}：上限 {yuan(cap)} 元，现有余额 {yuan(held)} 元，本次最多收取 {yuan(max(cap - held, 0))} 元"
        }
    return {}


def _entry_with_key(account: EscrowAccount, key: str) -> EscrowEntry | None:
    """The entry of this account posted under `key`: keys are unique per account, so a key another
    facility used finds nothing here (and reveals nothing of that facility)."""
    return EscrowEntry.objects.filter(county_code=account.county_code, account=account, key=key).first()


def _open_closure(facility_id: int) -> FacilityClosure | None:
    return FacilityClosure.objects.filter(facility_id=facility_id).first()


@transaction.atomic
def receive(actor: Actor, residence_id: int, fee_kind: str, amount: int, key: str, note: str = "") -> dict:
    """Record a prepaid fee taken from a resident. A resent receipt (same key) finds the entry and
    records nothing. Returns {"entry", "written", "alert"} (the alert when the facility's total prepaid
    balance now exceeds its net fixed assets)."""
    residence = _residence(actor, residence_id)
    account = _locked_account(actor, residence.facility_id, "supervision.add_escrowentry")
    key = (key or "").strip()
    existing = _entry_with_key(account, f"receipt-{key}")
    if existing is not None:
        if existing.residence_id != residence.pk:
            raise Conflict("该幂等键已用于另一位老人的收费", {"key": "已使用"})
        return {"entry": existing, "written": False, "alert": None}
    if _open_closure(account.facility_id):
        raise Conflict("该机构已公告停业，不能再收取预收费", {"facility_id": "已公告停业"})
    errors = _receipt_errors(account, residence, fee_kind, amount, key)
    if errors:
        raise FieldErrors(errors)
    entry = EscrowEntry.objects.create(
        account=account, facility_id=account.facility_id, residence=residence, region_code=account.region_code,
        county_code=account.county_code, fee_kind=fee_kind, entry_type=EntryType.RECEIPT, amount=amount,
        key=f"receipt-{key}", note=note.strip()[:200], by=actor.db_user,
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, entry,
                 object_repr=f"{residence.elder.name} 预收{entry.get_fee_kind_display()} {yuan(amount)} 元")  # fmt: skip
    alert = _check_assets(actor, account)
    return {"entry": entry, "written": True, "alert": alert}


def _check_assets(actor: Actor, account: EscrowAccount) -> EscrowAlert | None:
    """Alert the bureau when the total prepaid balance exceeds the net fixed assets (the rule says
    the total "must not exceed" them; the bureau decides, so the receipt is not refused)."""
    total = facility_total(account.facility_id)
    if total <= account.net_fixed_assets:
        return None
    alert = (
        EscrowAlert.objects.select_for_update()
        .filter(facility_id=account.facility_id, kind=AlertKind.OVER_ASSETS, status=AlertStatus.OPEN)
        .first()
    )
    if alert is not None:
        alert.total_prepaid, alert.net_fixed_assets = total, account.net_fixed_assets
        alert.save(update_fields=["total_prepaid", "net_fixed_assets"])
        return alert
    alert = EscrowAlert.objects.create(
        facility_id=account.facility_id, region_code=account.region_code, county_code=account.county_code,
        kind=AlertKind.OVER_ASSETS, total_prepaid=total, net_fixed_assets=account.net_fixed_assets,
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, alert,
                 object_repr=f"预收费总额 {yuan(total)} 元超过固定资产净额 {yuan(account.net_fixed_assets)} 元")  # fmt: skip
    return alert


@transaction.atomic
def acknowledge_alert(actor: Actor, alert_id: int, note: str = "") -> EscrowAlert:
    def record(alert: EscrowAlert) -> list[str]:
        alert.acknowledged_by, alert.acknowledged_at = actor.db_user, timezone.now()
        alert.note = note.strip()[:500]
        return ["acknowledged_by", "acknowledged_at", "note"]

    alert = ESCROW_ALERT.run(actor, alert_id, "acknowledge", change=record)
    audit.record(actor, AuditAction.UPDATE, alert, object_repr=f"知悉预警：{alert.note or alert.get_kind_display()}")
    return alert


# --- Draw-downs and refunds ------------------------------------------------------------------------


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def _drawdown_key(residence_id: int, month: date) -> str:
    return f"drawdown-{residence_id}-{month:%Y-%m}"


def _check_month(month: date) -> date:
    month = first_of_month(month)
    if month > first_of_month(timezone.localdate()):
        raise FieldErrors({"month": "不能划扣未来月份的服务费"})
    return month


def _post(account: EscrowAccount, residence_id: int, fee_kind: str, entry_type: str, amount: int, key: str,
          actor: Actor, note: str = "", month: date | None = None) -> bool:  # fmt: skip
    return post_once(
        EscrowEntry, account=account, facility_id=account.facility_id, residence_id=residence_id,
        region_code=account.region_code, county_code=account.county_code, fee_kind=fee_kind, entry_type=entry_type,
        amount=amount, month=month, key=key, note=note[:200], by=actor.db_user,
    )  # fmt: skip


@transaction.atomic
def draw_down(actor: Actor, residence_id: int, month: date, amount: int | None = None) -> bool:
    """Draw one month's service fee from one resident's prepaid balance (default: the monthly fee).
    Refused beyond the balance; a second draw-down of the same month adds nothing. Returns whether an
    entry was written."""
    residence = _residence(actor, residence_id)
    account = _locked_account(actor, residence.facility_id, "supervision.add_escrowentry")
    month = _check_month(month)
    if EscrowEntry.objects.filter(residence=residence, entry_type=EntryType.DRAWDOWN, month=month).exists():
        return False
    amount = account.monthly_fee if amount is None else amount
    if not isinstance(amount, int) or amount <= 0:
        raise FieldErrors({"amount": "划扣金额应为大于 0 的整数（分）"})
    held = balance(residence.pk, FeeKind.SERVICE)
    if amount > held:
        raise FieldErrors({"amount": f"划扣金额 {yuan(amount)} 元超过养老服务费余额 {yuan(held)} 元"})
    written = _post(account, residence.pk, FeeKind.SERVICE, EntryType.DRAWDOWN, -amount,
                    _drawdown_key(residence.pk, month), actor, f"{month:%Y年%m月}服务费", month)  # fmt: skip
    if written:
        audit.record(
            actor,
            AuditAction.CREATE,
            account,
            object_repr=f"{residence.elder.name} {month:%Y-%m} 划扣 {yuan(amount)} 元",
        )
    return written


@transaction.atomic
def draw_month(actor: Actor, facility_id: int, month: date) -> dict:
    """The monthly draw-down of a facility: one service-fee debit per current resident, the monthly
    fee or what is left of the balance if less. A rerun of the same month adds nothing."""
    account = _locked_account(actor, facility_id, "supervision.add_escrowentry")
    month = _check_month(month)
    next_month = (month + timedelta(days=32)).replace(day=1)
    residences = Residence.objects.filter(facility_id=facility_id, admitted_on__lt=next_month).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=month)
    )
    ids = list(residences.values_list("pk", flat=True))
    held = balances(ids)
    done = set(
        EscrowEntry.objects.filter(residence_id__in=ids, entry_type=EntryType.DRAWDOWN, month=month).values_list(
            "residence_id", flat=True
        )
    )
    result = {"written": 0, "amount": 0, "already": len(done), "no_balance": 0}
    for residence_id in ids:
        if residence_id in done:
            continue
        amount = min(account.monthly_fee, held[residence_id][FeeKind.SERVICE])
        if amount <= 0:
            result["no_balance"] += 1
            continue
        if _post(account, residence_id, FeeKind.SERVICE, EntryType.DRAWDOWN, -amount,
                 _drawdown_key(residence_id, month), actor, f"{month:%Y年%m月}服务费", month):  # fmt: skip
            result["written"] += 1
            result["amount"] += amount
    if result["written"]:
        audit.record(actor, AuditAction.CREATE, account,
                     object_repr=f"{month:%Y-%m} 按月划扣 {result['written']} 人 {yuan(result['amount'])} 元")  # fmt: skip
    return result


@transaction.atomic
def refund(actor: Actor, residence_id: int, fee_kind: str, amount: int, key: str, note: str = "") -> bool:
    """Refund part or all of one kind of a resident's balance; refused beyond the balance. A resent
    refund (same key) writes nothing; returns whether an entry was written."""
    residence = _residence(actor, residence_id)
    account = _locked_account(actor, residence.facility_id, "supervision.add_escrowentry")
    key = (key or "").strip()
    errors = {}
    if fee_kind not in FeeKind.values:
        errors["fee_kind"] = "费用类型应为养老服务费、押金或会员费"
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = "退费金额应为大于 0 的整数（分）"
    if not key or len(key) > 60:
        errors["key"] = "请提供 1 到 60 个字符的幂等键"
    if errors:
        raise FieldErrors(errors)
    existing = _entry_with_key(account, f"refund-{key}")
    if existing is not None:
        if existing.residence_id != residence.pk:
            raise Conflict("该幂等键已用于另一位老人的退费", {"key": "已使用"})
        return False
    held = balance(residence.pk, fee_kind)
    if amount > held:
        raise FieldErrors({"amount": f"退费金额 {yuan(amount)} 元超过{FeeKind(fee_kind).label}余额 {yuan(held)} 元"})
    written = _post(account, residence.pk, fee_kind, EntryType.REFUND, -amount, f"refund-{key}", actor,
                    note.strip() or "退费")  # fmt: skip
    if written:
        audit.record(actor, AuditAction.CREATE, account,
                     object_repr=f"{residence.elder.name} 退{FeeKind(fee_kind).label} {yuan(amount)} 元")  # fmt: skip
    return written


def _refund_all(actor: Actor, account: EscrowAccount, residence_id: int, key_prefix: str, note: str) -> int:
    """Refund every positive balance of one resident; keyed so that a rerun refunds nothing twice."""
    refunded = 0
    for fee_kind, held in balances([residence_id])[residence_id].items():
        if held > 0 and _post(account, residence_id, fee_kind, EntryType.REFUND, -held,
                              f"{key_prefix}-{residence_id}-{fee_kind}", actor, note):  # fmt: skip
            refunded += held
    return refunded


@transaction.atomic
def refund_on_leave(actor: Actor, residence_id: int) -> int:
    """Refund every balance of a resident who has left (Residence.left_on set). Returns fen refunded."""
    residence = _residence(actor, residence_id)
    account = _locked_account(actor, residence.facility_id, "supervision.add_escrowentry")
    if residence.left_on is None:
        raise FieldErrors({"residence_id": "该老人尚未办理离开，请先在入住记录中登记离开日期"})
    refunded = _refund_all(actor, account, residence.pk, "leave", f"{residence.left_on:%Y-%m-%d} 离开退费")
    if refunded:
        audit.record(
            actor, AuditAction.CREATE, account, object_repr=f"{residence.elder.name} 离开退费 {yuan(refunded)} 元"
        )
    return refunded


def refund_departed(actor: Actor, facility_id: int) -> int:
    """Refund every resident of the facility who has left and still holds a balance."""
    facility = get_visible_or_404(Facility.objects, actor.user, "view", pk=facility_id)
    refunded = 0
    for row in resident_rows(facility):
        if row["residence"].left_on is not None and row["total"] > 0:
            refunded += refund_on_leave(actor, row["residence"].pk)
    return refunded


# --- Closure ---------------------------------------------------------------------------------------


def _holders(facility_id: int) -> dict[int, int]:
    """{residence id: total balance} of the residents who still hold money."""
    rows = EscrowEntry.objects.filter(facility_id=facility_id).values("residence_id").annotate(total=Sum("amount"))
    return {row["residence_id"]: row["total"] for row in rows if row["total"]}


@transaction.atomic
def announce_closure(actor: Actor, facility_id: int, closing_on: date, reason: str) -> FacilityClosure:
    """A facility announces its closure at least the configured days ahead (30 by the rule); from
    then on it takes no prepayment, and every balance is refunded through `refund_for_closure`."""
    facility = get_visible_or_404(Facility.objects.select_for_update(), actor.user, "view", pk=facility_id)
    if not _may(actor.user, Facility, "supervision.add_facilityclosure", facility.pk):
        raise PermissionDenied
    if FacilityClosure.objects.filter(facility=facility).exists():
        raise Conflict("该机构已公告停业", {"closing_on": "已公告"})
    today = timezone.localdate()
    notice = conf.value("ESCROW_CLOSURE_NOTICE_DAYS")
    errors = {}
    if closing_on < today + timedelta(days=notice):
        errors["closing_on"] = (
            f"停业应至少提前 {notice} 天公告：停业日期最早为 {today + timedelta(days=notice):%Y-%m-%d}"
        )
    if not reason.strip():
        errors["reason"] = "请说明停业原因"
    if errors:
        raise FieldErrors(errors)
    holders = _holders(facility.pk)
    closure = FacilityClosure.objects.create(
        facility=facility, region_code=facility.region_code, county_code=facility.county_code, announced_on=today,
        closing_on=closing_on, reason=reason.strip()[:500], residents_at_announcement=len(holders),
        prepaid_at_announcement=sum(holders.values()), announced_by=actor.db_user,
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, closure, object_repr=f"{facility.name} 公告 {closing_on:%Y-%m-%d} 停业")
    return closure


@transaction.atomic
def refund_for_closure(actor: Actor, facility_id: int) -> int:
    """Refund every resident balance of a closing facility; the procedure is complete when nothing
    is left. A rerun refunds nothing twice. Returns fen refunded."""
    account = _locked_account(actor, facility_id, "supervision.add_escrowentry")
    closure = FacilityClosure.objects.select_for_update().filter(facility_id=facility_id).first()
    if closure is None:
        raise Conflict("该机构尚未公告停业", {"closing_on": "未公告"})
    refunded = 0
    for residence_id in _holders(facility_id):
        refunded += _refund_all(actor, account, residence_id, f"closure-{closure.pk}", "机构停业退费")
    if closure.status in CLOSURE["complete"].source and not _holders(facility_id):
        # The user's right was checked on the account above: completing follows from the refund.
        CLOSURE.move(actor, closure, "complete", authorised=True)
        closure.completed_at = timezone.now()
        closure.save(update_fields=["status", "completed_at"])
    audit.record(actor, AuditAction.UPDATE, closure, object_repr=f"停业退费 {yuan(refunded)} 元")
    return refunded


def closure_progress(closure: FacilityClosure) -> dict:
    """What the bureau follows: residents and amounts still to refund."""
    holders = _holders(closure.facility_id)
    refunded = -(
        EscrowEntry.objects.filter(facility_id=closure.facility_id, key__startswith=f"closure-{closure.pk}-").aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    start = closure.residents_at_announcement
    return {
        "residents_total": start,
        "residents_remaining": len(holders),
        "amount_remaining": sum(holders.values()),
        "amount_refunded": refunded,
        "percent": round(100 * (start - min(len(holders), start)) / start) if start else 100,
        "days_left": (closure.closing_on - timezone.localdate()).days,
    }


# --- The bureau's overview -------------------------------------------------------------------------


def overview_accounts(user, region_code: str):
    """The escrow accounts under a region the user may see, for a Paginator: facilities with an open
    alert first, then by region and facility. The order is read from the account and alert tables
    alone, so a page of a province (16,000 facilities) sums the ledgers of its own rows only."""
    open_alert = EscrowAlert.objects.filter(
        county_code=OuterRef("county_code"), facility_id=OuterRef("facility_id"), status=AlertStatus.OPEN
    )
    return (
        EscrowAccount.objects.visible_to(user)
        .filter(region_range_q("region_code", region_code))
        .annotate(alerted=Exists(open_alert))
        .select_related("facility")
        .order_by("-alerted", "region_code", "facility_id")
    )


def overview_rows(user, accounts) -> list[dict]:
    """The figures of one page of `overview_accounts`: total prepaid per kind against net fixed
    assets, open alerts and the closure procedure of each facility shown."""
    accounts = list(accounts)
    ids = [a.facility_id for a in accounts]
    totals: dict[int, dict[str, int]] = {pk: dict.fromkeys(FeeKind.values, 0) for pk in ids}
    for row in (
        EscrowEntry.objects.visible_to(user)
        .filter(facility_id__in=ids)
        .values("facility_id", "fee_kind")
        .annotate(total=Sum("amount"))
    ):
        totals[row["facility_id"]][row["fee_kind"]] = row["total"] or 0
    alerts: dict[int, int] = {}
    for facility_id in (
        EscrowAlert.objects.visible_to(user)
        .filter(facility_id__in=ids, status=AlertStatus.OPEN)
        .values_list("facility_id", flat=True)
    ):
        alerts[facility_id] = alerts.get(facility_id, 0) + 1
    closures = {c.facility_id: c for c in FacilityClosure.objects.visible_to(user).filter(facility_id__in=ids)}
    rows = []
    for account in accounts:
        kinds = totals[account.facility_id]
        total = sum(kinds.values())
        rows.append({
            "account": account, "facility": account.facility, "by_kind": kinds, "total": total,
            "net_fixed_assets": account.net_fixed_assets,
            "ratio": round(100 * total / account.net_fixed_assets, 1) if account.net_fixed_assets else None,
            "over": total > account.net_fixed_assets, "open_alerts": alerts.get(account.facility_id, 0),
            "closure": closures.get(account.facility_id),
        })  # fmt: skip
    return rows


def open_alerts(user, region_code: str):
    """Open alerts under a region, newest first."""
    return (
        EscrowAlert.objects.visible_to(user)
        .filter(region_range_q("region_code", region_code), status=AlertStatus.OPEN)
        .select_related("facility")
        .order_by("-raised_at", "-id")
    )


def may_post(user, account: EscrowAccount) -> bool:
    return _may(user, EscrowAccount, "supervision.add_escrowentry", account.pk)
