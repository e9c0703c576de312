"""Pages of prepaid-fee escrow: the bureau's overview per region with open alerts, a facility's
escrow page (account, residents with balances, receipts, draw-down, refunds, closure) and a resident's
ledger. Domain rules live in services.escrow; these pages only read forms and show the outcome."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.core.templatetags.money import yuan
from yiyang.core.workflow import options_by_row
from yiyang.facilities.models import Facility, Residence
from yiyang.facilities.services import own_facility
from yiyang.regions.models import Region
from yiyang.regions.services import path_to, requested_region

from .. import conf
from ..models import AlertStatus, EscrowAccount, EscrowAlert, EscrowEntry, FacilityClosure, FeeKind
from ..services import escrow as services
from ..workflows import ESCROW_ALERT

ALERTS_SHOWN = 50  # open alerts listed above the overview; the rest are in the alerts list of the API


def fen(value: Decimal | None) -> int | None:
    """Yuan typed on a page to integer fen (the form already limits it to two decimals)."""
    return None if value is None else int((value * 100).to_integral_value())


def _yuan_field(label: str, required: bool = True, minimum: str = "0") -> forms.DecimalField:
    return forms.DecimalField(label=f"{label}（元）", required=required, min_value=Decimal(minimum),
                              max_digits=14, decimal_places=2)  # fmt: skip


@requires("supervision.view_escrowaccount")
def overview_view(request):
    """The bureau's escrow overview of a region; a facility manager goes to the facility's page."""
    if not has_permission(request.user, "regions.view_region"):
        facility = own_facility(request.user, "supervision.view_escrowaccount")
        return redirect("supervision:escrow_facility", facility_id=facility.pk)
    region = Region.objects.get(code=requested_region(request.user, request.GET.get("region", ""), page=True))
    page = Paginator(services.overview_accounts(request.user, region.code), 50).get_page(request.GET.get("page"))
    alerts = services.open_alerts(request.user, region.code)
    shown = list(alerts[:ALERTS_SHOWN])
    steps = options_by_row(ESCROW_ALERT, request.user, shown)
    return render(request, "supervision/escrow/overview.html", {
        "region": region, "path": path_to(region.code), "page": page,
        "rows": services.overview_rows(request.user, page.object_list),
        "alerts": [(alert, steps[alert.pk]) for alert in shown], "alerts_count": alerts.count(),
    })  # fmt: skip


@login_only
@require_POST
def acknowledge_view(request, alert_id: int):
    try:
        alert = services.acknowledge_alert(Actor.from_request(request), alert_id, request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已知悉预警：{alert.facility.name}")
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and safe else "supervision:escrow")


class AccountForm(forms.Form):
    bank_name = forms.CharField(label="存管银行", max_length=100)
    account_number = forms.CharField(label="存管账号", max_length=40)
    filing_number = forms.CharField(label="民政备案编号", max_length=50)
    net_fixed_assets = _yuan_field("固定资产净额，不含已抵押资产")
    risk_reserve = _yuan_field("风险保证金")
    monthly_fee = _yuan_field("月收费标准", minimum="0.01")


class ReceiptForm(forms.Form):
    residence = forms.TypedChoiceField(label="老人", coerce=int)
    fee_kind = forms.ChoiceField(label="费用类型", choices=FeeKind.choices)
    amount = _yuan_field("金额", minimum="0.01")
    note = forms.CharField(label="说明", max_length=200, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=60)


class DrawForm(forms.Form):
    month = forms.DateField(label="划扣月份", widget=forms.DateInput(attrs={"type": "month"}),
                            input_formats=["%Y-%m", "%Y-%m-%d"])  # fmt: skip


class ClosureForm(forms.Form):
    closing_on = forms.DateField(label="停业日期", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="停业原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _may(user, facility: Facility, action: str) -> bool:
    return Facility.objects.visible_to(user, action).filter(pk=facility.pk).exists()


@login_only
def facility_view(request, facility_id: int):
    """A facility's escrow page. Forms post back here with `action` naming what to do."""
    facility = get_visible_or_404(Facility.objects, request.user, "supervision.view_escrowaccount", pk=facility_id)
    account = EscrowAccount.objects.filter(facility=facility).first()
    actor = Actor.from_request(request)
    may_account = _may(request.user, facility, f"supervision.{'change' if account else 'add'}_escrowaccount")
    may_post = account is not None and services.may_post(request.user, account)
    may_close = _may(request.user, facility, "supervision.add_facilityclosure")
    rows = services.resident_rows(facility)
    current = [(r["residence"].pk, f"{r['residence'].bed_number or '—'} {r['residence'].elder.name}")
               for r in rows if r["residence"].left_on is None]  # fmt: skip
    initial_account = {}
    if account:
        # The account number is never written into the form: the page shows it masked, and a blank
        # field keeps the number on file (seeing it in full is the audited reveal link only).
        initial_account = {n: getattr(account, n) for n in ("bank_name", "filing_number")}
        initial_account.update({n: Decimal(getattr(account, n)) / 100 for n in ("net_fixed_assets", "risk_reserve",
                                                                                 "monthly_fee")})  # fmt: skip
    action = request.POST.get("action") if request.method == "POST" else None
    account_form = AccountForm(request.POST if action == "account" else None, initial=initial_account)
    if account:
        number = account_form.fields["account_number"]
        number.required = False
        number.help_text = f"现账号 {services.account_number_for(actor, account)}；留空则保持不变，填写则更换"
    receipt_form = ReceiptForm(request.POST if action == "receipt" else None, initial={"key": uuid.uuid4().hex})
    receipt_form.fields["residence"].choices = current
    draw_form = DrawForm(request.POST if action == "draw" else None,
                         initial={"month": timezone.localdate().strftime("%Y-%m")})  # fmt: skip
    closure_form = ClosureForm(request.POST if action == "closure" else None)
    if action:
        allowed = {"account": may_account, "receipt": may_post, "draw": may_post, "departed": may_post,
                   "closure": may_close, "closure_refund": may_post}  # fmt: skip
        if not allowed.get(action):
            raise PermissionDenied
        form = {"account": account_form, "receipt": receipt_form, "draw": draw_form, "closure": closure_form}.get(
            action
        )
        try:
            if form is None or form.is_valid():
                message = _perform(actor, facility, action, form.cleaned_data if form else {})
                messages.success(request, message)
                return redirect("supervision:escrow_facility", facility_id=facility.pk)
        except DomainError as exc:
            if form is not None:
                apply_errors(form, exc, rename=lambda n: {"residence_id": "residence"}.get(n, n))
            else:
                messages.error(request, exc.message)
    reveal = request.GET.get("reveal") == "1"
    closure = FacilityClosure.objects.filter(facility=facility).first()
    return render(request, "supervision/escrow/facility.html", {
        "facility": facility, "account": account, "rows": rows,
        "account_number": services.account_number_for(actor, account, reveal) if account else "",
        "may_reveal": account is not None and _may(request.user, facility, "supervision.view_sensitive_escrowaccount"),
        "total": services.facility_total(facility.pk), "may_account": may_account, "may_post": may_post,
        "may_close": may_close and closure is None, "account_form": account_form, "receipt_form": receipt_form,
        "draw_form": draw_form, "closure_form": closure_form, "closure": closure,
        "progress": services.closure_progress(closure) if closure else None,
        "alerts": EscrowAlert.objects.visible_to(request.user).filter(facility=facility, status=AlertStatus.OPEN),
        "departed_with_balance": any(r["residence"].left_on and r["total"] for r in rows),
        "fee_kinds": FeeKind.choices,
        "no_membership": facility.operation_model in conf.value("ESCROW_NO_MEMBERSHIP_OPERATION_MODELS"),
    })  # fmt: skip


def _perform(actor: Actor, facility: Facility, action: str, data: dict) -> str:
    """Carry out one posted action through the services; returns the message to show."""
    if action == "account":
        money = {n: fen(data[n]) for n in ("net_fixed_assets", "risk_reserve", "monthly_fee")}
        services.save_account(actor, facility.pk, {**data, **money})
        return "存管账户已保存"
    if action == "receipt":
        result = services.receive(actor, data["residence"], data["fee_kind"], fen(data["amount"]), data["key"],
                                  data.get("note", ""))  # fmt: skip
        if not result["written"]:
            return "这笔收费已记账（重复提交未重复记账）"
        if result["alert"]:
            return "收费已记账。注意：预收费总额已超过固定资产净额，已向民政部门预警"
        return "收费已记账"
    if action == "draw":
        result = services.draw_month(actor, facility.pk, data["month"])
        return (f"{data['month']:%Y年%m月}划扣 {result['written']} 人，共 {yuan(result['amount'])} 元；"
                f"此前已划扣 {result['already']} 人，无余额 {result['no_balance']} 人")  # fmt: skip
    if action == "departed":
        return f"已为离开的老人退费 {yuan(services.refund_departed(actor, facility.pk))} 元"
    if action == "closure":
        closure = services.announce_closure(actor, facility.pk, data["closing_on"], data["reason"])
        return f"已公告 {closure.closing_on:%Y-%m-%d} 停业，请为每位老人退还余额"
    if action == "closure_refund":
        return f"停业退费 {yuan(services.refund_for_closure(actor, facility.pk))} 元"
    raise PermissionDenied


class RefundForm(forms.Form):
    fee_kind = forms.ChoiceField(label="费用类型", choices=FeeKind.choices)
    amount = _yuan_field("退费金额", minimum="0.01")
    note = forms.CharField(label="说明", max_length=200, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=60)


@login_only
def residence_view(request, residence_id: int):
    """A resident's prepaid ledger, balances, and the refund form."""
    residence = get_visible_or_404(Residence.objects.select_related("elder", "facility"), request.user,
                                   "supervision.view_escrowentry", pk=residence_id)  # fmt: skip
    account = get_visible_or_404(EscrowAccount.objects, request.user, facility_id=residence.facility_id)
    may_post = services.may_post(request.user, account)
    actor = Actor.from_request(request)
    form = RefundForm(request.POST if request.method == "POST" and request.POST.get("action") == "refund" else None,
                      initial={"key": uuid.uuid4().hex})  # fmt: skip
    if request.method == "POST":
        if not may_post:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "leave":
                refunded = services.refund_on_leave(actor, residence.pk)
                messages.success(request, f"已退还全部余额 {yuan(refunded)} 元")
                return redirect("supervision:escrow_residence", residence_id=residence.pk)
            if form.is_valid():
                data = form.cleaned_data
                if services.refund(
                    actor, residence.pk, data["fee_kind"], fen(data["amount"]), data["key"], data["note"]
                ):
                    messages.success(request, "退费已记账")
                else:
                    messages.warning(request, "这笔退费此前已记账，本次未记账（重复提交）")
                return redirect("supervision:escrow_residence", residence_id=residence.pk)
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
    entries = EscrowEntry.objects.visible_to(request.user).filter(residence=residence).order_by("created_at", "id")
    return render(request, "supervision/escrow/residence.html", {
        "residence": residence, "entries": entries, "balances": services.balances([residence.pk])[residence.pk],
        "fee_kinds": FeeKind.choices, "form": form, "may_post": may_post,
    })  # fmt: skip
