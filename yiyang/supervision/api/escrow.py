"""Prepaid-fee escrow: accounts, resident ledgers, receipts, draw-downs, refunds, alerts, closure."""

from datetime import date, datetime

from ninja import Router, Schema, Status

from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404
from yiyang.facilities.models import Facility, Residence
from yiyang.regions.services import requested_region

from ..models import AlertStatus, EscrowAccount, EscrowAlert, EscrowEntry, FacilityClosure
from ..services import escrow as services
from .types import Id

router = Router(tags=["监管：预收费存管"])


class AccountIn(Schema):
    bank_name: str
    account_number: str = ""  # required to open an account; blank on a change keeps the current number
    filing_number: str
    net_fixed_assets: int
    risk_reserve: int = 0
    monthly_fee: int


class AccountOut(Schema):
    id: int
    facility_id: Id
    region_code: str
    bank_name: str
    account_number: str
    filing_number: str
    net_fixed_assets: int
    risk_reserve: int
    monthly_fee: int


class BalancesOut(Schema):
    service: int
    deposit: int
    membership: int


class ResidentOut(Schema):
    residence_id: Id
    elder_name: str
    bed_number: str
    left_on: date | None
    balances: BalancesOut
    total: int


class ClosureOut(Schema):
    id: int
    announced_on: date
    closing_on: date
    reason: str
    status: str
    residents_total: int
    residents_remaining: int
    amount_refunded: int
    amount_remaining: int
    percent: int
    days_left: int


class FacilityEscrowOut(Schema):
    facility_id: Id
    facility_name: str
    account: AccountOut
    total_prepaid: int
    residents: list[ResidentOut]
    closure: ClosureOut | None


def _account_out(actor: Actor, account: EscrowAccount, reveal: bool) -> dict:
    data = {name: getattr(account, name) for name in AccountOut.model_fields}
    data["account_number"] = services.account_number_for(actor, account, reveal)
    return data


def _closure_out(closure: FacilityClosure | None) -> dict | None:
    if closure is None:
        return None
    return {"id": closure.pk, "announced_on": closure.announced_on, "closing_on": closure.closing_on,
            "reason": closure.reason, "status": closure.status, **services.closure_progress(closure)}  # fmt: skip


def _facility_out(request, facility_id: Id, reveal: bool = False) -> dict:
    account = get_visible_or_404(
        EscrowAccount.objects.select_related("facility"), request.user, facility_id=facility_id
    )
    rows = services.resident_rows(account.facility)
    return {
        "facility_id": account.facility_id,
        "facility_name": account.facility.name,
        "account": _account_out(_actor(request), account, reveal),
        "total_prepaid": services.facility_total(account.facility_id),
        "residents": [
            {
                "residence_id": r["residence"].pk,
                "elder_name": r["residence"].elder.name,
                "bed_number": r["residence"].bed_number,
                "left_on": r["residence"].left_on,
                "balances": r["balances"],
                "total": r["total"],
            }  # fmt: skip
            for r in rows
        ],
        "closure": _closure_out(
            FacilityClosure.objects.visible_to(request.user).filter(facility_id=facility_id).first()
        ),
    }


class OverviewOut(Schema):
    facility_id: Id
    facility_name: str
    region_code: str
    operation_model: str
    total_prepaid: int
    service: int
    deposit: int
    membership: int
    net_fixed_assets: int
    risk_reserve: int
    ratio: float | None
    over: bool
    open_alerts: int
    closure_status: str | None


@router.get("/escrow/overview", response={200: Page[OverviewOut], 404: ErrorOut, 422: ErrorOut},
            summary="辖区预收费总览：各机构预收费总额与固定资产净额（分页；有未处理预警的机构在前）")  # fmt: skip
def overview(request, region: str = "", page: int = 1, page_size: int = 50):
    code = requested_region(request.user, region, narrows=True)
    result = paginate(services.overview_accounts(request.user, code), page, page_size)
    result["items"] = [
        {
            "facility_id": r["facility"].pk,
            "facility_name": r["facility"].name,
            "region_code": r["facility"].region_code,
            "operation_model": r["facility"].operation_model,
            "total_prepaid": r["total"],
            **r["by_kind"],
            "net_fixed_assets": r["net_fixed_assets"],
            "risk_reserve": r["account"].risk_reserve,
            "ratio": r["ratio"],
            "over": r["over"],
            "open_alerts": r["open_alerts"],
            "closure_status": r["closure"].status if r["closure"] else None,
        }  # fmt: skip
        for r in services.overview_rows(request.user, result["items"])
    ]
    return result


@router.get("/escrow/facilities/{facility_id}", response={200: FacilityEscrowOut, 404: ErrorOut},
            summary="机构预收费：存管账户（账号脱敏，reveal=true 显示完整并留痕）与在住老人余额")  # fmt: skip
def get_facility_escrow(request, facility_id: Id, reveal: bool = False):
    return _facility_out(request, facility_id, reveal)


@router.put("/escrow/facilities/{facility_id}/account",
            response={200: AccountOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="登记或修改存管账户（金额单位：分）")  # fmt: skip
def save_account(request, facility_id: Id, payload: AccountIn):
    account = services.save_account(_actor(request), facility_id, payload.dict())
    return _account_out(_actor(request), account, False)


class EntryOut(Schema):
    id: int
    residence_id: Id
    fee_kind: str
    entry_type: str
    amount: int
    month: date | None
    note: str
    created_at: datetime


class ReceiptIn(Schema):
    residence_id: Id
    fee_kind: str
    amount: int
    key: str
    note: str = ""


class ReceiptOut(Schema):
    entry: EntryOut
    written: bool
    alert_id: Id | None


@router.post("/escrow/receipts", response={201: ReceiptOut, 200: ReceiptOut, 403: ErrorOut, 404: ErrorOut,
             409: ErrorOut, 422: ErrorOut}, summary="收取预收费（同一幂等键重复提交不重复记账）")  # fmt: skip
def receive(request, payload: ReceiptIn):
    result = services.receive(_actor(request), payload.residence_id, payload.fee_kind, payload.amount, payload.key,
                              payload.note)  # fmt: skip
    body = {"entry": result["entry"], "written": result["written"],
            "alert_id": result["alert"].pk if result["alert"] else None}  # fmt: skip
    return Status(201 if result["written"] else 200, body)


class DrawMonthIn(Schema):
    month: date


class DrawMonthOut(Schema):
    written: int
    amount: int
    already: int
    no_balance: int


@router.post("/escrow/facilities/{facility_id}/drawdowns",
             response={200: DrawMonthOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="按月划扣养老服务费（每人每月一次，重复执行不重复划扣）")  # fmt: skip
def draw_month(request, facility_id: Id, payload: DrawMonthIn):
    return services.draw_month(_actor(request), facility_id, payload.month)


class DrawIn(Schema):
    month: date
    amount: int | None = None


class WrittenOut(Schema):
    written: bool


@router.post("/escrow/residences/{residence_id}/drawdowns",
             response={200: WrittenOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="划扣一位老人某月的养老服务费（超过余额拒绝）")  # fmt: skip
def draw_one(request, residence_id: Id, payload: DrawIn):
    return {"written": services.draw_down(_actor(request), residence_id, payload.month, payload.amount)}


@router.get("/escrow/residences/{residence_id}/entries", response={200: Page[EntryOut], 404: ErrorOut},
            summary="老人预收费流水")  # fmt: skip
def list_entries(request, residence_id: Id, page: int = 1, page_size: int = 50):
    residence = get_visible_or_404(Residence.objects, request.user, pk=residence_id)
    rows = EscrowEntry.objects.visible_to(request.user).filter(residence=residence).order_by("created_at", "id")
    return paginate(rows, page, page_size)


class RefundIn(Schema):
    fee_kind: str
    amount: int
    key: str
    note: str = ""


@router.post("/escrow/residences/{residence_id}/refunds",
             response={200: WrittenOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="退费（超过余额拒绝）")  # fmt: skip
def refund(request, residence_id: Id, payload: RefundIn):
    written = services.refund(_actor(request), residence_id, payload.fee_kind, payload.amount, payload.key,
                              payload.note)  # fmt: skip
    return {"written": written}


class RefundedOut(Schema):
    refunded: int


@router.post("/escrow/residences/{residence_id}/leave-refund",
             response={200: RefundedOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="老人离开后退还全部余额")  # fmt: skip
def leave_refund(request, residence_id: Id):
    return {"refunded": services.refund_on_leave(_actor(request), residence_id)}


class AlertOut(Schema):
    id: int
    facility_id: Id
    region_code: str
    kind: str
    total_prepaid: int
    net_fixed_assets: int
    status: str
    raised_at: datetime
    acknowledged_at: datetime | None
    note: str


@router.get("/escrow/alerts", response={200: Page[AlertOut], 404: ErrorOut, 422: ErrorOut}, summary="预收费预警")
def list_alerts(request, region: str = "", status: str = "", page: int = 1, page_size: int = 20):
    from yiyang.core.regioncodes import region_range_q

    rows = EscrowAlert.objects.visible_to(request.user)
    if region:
        rows = rows.filter(region_range_q("region_code", requested_region(request.user, region, narrows=True)))
    if status:
        if status not in AlertStatus.values:
            raise FieldErrors({"status": "不是可选值之一"})
        rows = rows.filter(status=status)
    return paginate(rows.order_by("-raised_at", "-id"), page, page_size)


class AcknowledgeIn(Schema):
    note: str = ""


@router.post("/escrow/alerts/{alert_id}/acknowledge",
             response={200: AlertOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}, summary="民政部门知悉预警")  # fmt: skip
def acknowledge(request, alert_id: Id, payload: AcknowledgeIn):
    return services.acknowledge_alert(_actor(request), alert_id, payload.note)


class ClosureIn(Schema):
    closing_on: date
    reason: str


@router.post("/escrow/facilities/{facility_id}/closure",
             response={201: ClosureOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="公告停业（至少提前 30 天）")  # fmt: skip
def announce_closure(request, facility_id: Id, payload: ClosureIn):
    closure = services.announce_closure(_actor(request), facility_id, payload.closing_on, payload.reason)
    return Status(201, _closure_out(closure))


@router.get("/escrow/facilities/{facility_id}/closure", response={200: ClosureOut, 404: ErrorOut},
            summary="停业退费进度")  # fmt: skip
def closure_progress(request, facility_id: Id):
    facility = get_visible_or_404(Facility.objects, request.user, pk=facility_id)
    return _closure_out(get_visible_or_404(FacilityClosure.objects, request.user, facility=facility))


@router.post("/escrow/facilities/{facility_id}/closure/refunds",
             response={200: ClosureOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="停业退费：退还每位老人的全部余额")  # fmt: skip
def closure_refunds(request, facility_id: Id):
    services.refund_for_closure(_actor(request), facility_id)
    return _closure_out(FacilityClosure.objects.get(facility_id=facility_id))
