"""Ordering home-care services: the price split, the order state machine, dispatch, on-site check-in
and check-out, rating, and the service-voucher ledger.

Every transition locks the order row (`select_for_update`, effective on PostgreSQL; SQLite serialises
writers) and checks the current state inside the transaction, so two dispatchers or a resent check-out
cannot both win. Money moves only through ledger entries with an idempotency key.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from yiyang.core import audit, coords
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.regioncodes import ancestors, county_of
from yiyang.core.scoping import ensure_visible, get_visible_or_404
from yiyang.elders import categories
from yiyang.elders.models import Elder, Status

from .models import Caregiver, EntryKind, Order, OrderStatus, Provider, ServiceItem, VoucherEntry

# The order state machine, written once: state -> the states it may move to.
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.CREATED: {OrderStatus.ASSIGNED, OrderStatus.CANCELLED},
    OrderStatus.ASSIGNED: {OrderStatus.ACCEPTED, OrderStatus.DECLINED, OrderStatus.EXPIRED, OrderStatus.CANCELLED},
    OrderStatus.DECLINED: {OrderStatus.ASSIGNED, OrderStatus.CANCELLED},
    OrderStatus.EXPIRED: {OrderStatus.ASSIGNED, OrderStatus.CANCELLED},
    OrderStatus.ACCEPTED: {OrderStatus.DISPATCHED, OrderStatus.CANCELLED},
    OrderStatus.DISPATCHED: {OrderStatus.DISPATCHED, OrderStatus.IN_SERVICE, OrderStatus.CANCELLED},
    OrderStatus.IN_SERVICE: {OrderStatus.COMPLETED},
    OrderStatus.COMPLETED: {OrderStatus.RATED, OrderStatus.DISPUTED},
    OrderStatus.RATED: {OrderStatus.DISPUTED},
    OrderStatus.DISPUTED: set(),
    OrderStatus.CANCELLED: set(),
}
CHECK_IN_FLAG_DISTANCE_M = 500


def _move(order: Order, to: str) -> None:
    """Refuse a transition the state machine does not allow from the order's current state."""
    if to not in TRANSITIONS[order.status]:
        raise Conflict(
            f"订单当前状态为“{order.get_status_display()}”，不能变为“{OrderStatus(to).label}”",
            {"status": order.status},
            code="invalid_transition",
        )
    order.status = to


def _locked(actor: Actor, order_id: int, action: str) -> Order:
    return get_visible_or_404(
        Order.objects.select_for_update().select_related("item"), actor.user, f"homecare.{action}", pk=order_id
    )


# --- Menu and prices ---------------------------------------------------------------------------


def menu_for(elder: Elder):
    """The active service items of the elder's community and every region above it."""
    return ServiceItem.objects.filter(
        region_code__in=[*ancestors(elder.region_code), elder.region_code], is_active=True
    )


def balance(elder_id: int) -> int:
    """The elder's voucher balance in fen: the sum of the ledger."""
    return VoucherEntry.objects.filter(elder_id=elder_id).aggregate(total=Sum("amount"))["total"] or 0


def quote(elder: Elder, item: ServiceItem, quantity: int = 1) -> dict:
    """The split of the price between government subsidy, service vouchers and self-pay (in fen).

    The subsidy share is the highest that any of the elder's categories earns for this item; vouchers
    pay what they can of the rest; self-pay is what remains and never goes negative.
    """
    price = item.price * quantity
    percents = [int(item.subsidies.get(code, 0)) for code in categories.to_codes(elder.categories)]
    subsidy = price * min(max(percents, default=0), 100) // 100
    voucher = min(max(balance(elder.pk), 0), price - subsidy)
    return {"price": price, "subsidy": subsidy, "voucher": voucher, "self_pay": price - subsidy - voucher}


# --- Booking -----------------------------------------------------------------------------------


@transaction.atomic
def book(actor: Actor, elder_id: int, item_id: int, slot_start: datetime, *, quantity: int = 1, address: str = "",
         notes: str = "") -> Order:  # fmt: skip
    """Book a service for an elder the actor may order for."""
    elder = get_visible_or_404(Elder.objects, actor.user, "view", pk=elder_id)
    errors = {}
    item = menu_for(elder).filter(pk=item_id).first()
    if item is None:
        errors["item_id"] = "该老人所在地区没有这项服务"
    if elder.status != Status.ACTIVE:
        errors["elder_id"] = "该老人不是在册状态"
    if slot_start <= timezone.now():
        errors["slot_start"] = "预约时间不能早于现在"
    if not 1 <= quantity <= 20:
        errors["quantity"] = "数量应在 1 到 20 之间"
    if errors:
        raise FieldErrors(errors)
    split = quote(elder, item, quantity)
    order = Order.objects.create(
        elder_id=elder.pk,
        region_code=elder.region_code,
        county_code=elder.county_code,
        item=item,
        quantity=quantity,
        slot_start=slot_start,
        address=(address or elder.address)[:200],
        lat=elder.lat,
        lng=elder.lng,
        notes=notes[:500],
        created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        **split,
    )
    ensure_visible(actor.user, order, "homecare.add_order")
    audit.record(actor, AuditAction.CREATE, order, object_repr=f"{elder.name} 预约 {item.name}")
    return order


# --- Dispatch ----------------------------------------------------------------------------------


@transaction.atomic
def assign_provider(actor: Actor, order_id: int, provider_id: int) -> Order:
    order = _locked(actor, order_id, "assign_order")
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None or not provider.serves(order.region_code, order.item.code):
        raise FieldErrors({"provider_id": "该服务商不在此地区提供这项服务"})
    _move(order, OrderStatus.ASSIGNED)
    order.provider, order.caregiver, order.assigned_at = provider, None, timezone.now()
    order.save(update_fields=["status", "provider", "caregiver", "assigned_at"])
    audit.record(
        actor, AuditAction.UPDATE, order, changes={"status": ["", order.status], "provider": [None, provider.pk]}
    )
    return order


@transaction.atomic
def respond(actor: Actor, order_id: int, accept: bool) -> Order:
    """The provider accepts or declines an order assigned to it."""
    order = _locked(actor, order_id, "accept_order")
    _move(order, OrderStatus.ACCEPTED if accept else OrderStatus.DECLINED)
    order.accepted_at = timezone.now() if accept else None
    order.save(update_fields=["status", "accepted_at"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"status": ["assigned", order.status]})
    return order


@transaction.atomic
def dispatch(actor: Actor, order_id: int, caregiver_id: int) -> Order:
    """The provider sends one of its qualified caregivers."""
    order = _locked(actor, order_id, "dispatch_order")
    caregiver = Caregiver.objects.filter(pk=caregiver_id, provider_id=order.provider_id, is_active=True).first()
    if caregiver is None:
        raise FieldErrors({"caregiver_id": "该服务人员不属于接单的服务商或不在岗"})
    if not caregiver.qualifies_for(order.item):
        raise FieldErrors({"caregiver_id": f"该服务需要{order.item.required_skill}级及以上养老护理员"})
    _move(order, OrderStatus.DISPATCHED)
    order.caregiver, order.dispatched_at = caregiver, timezone.now()
    order.save(update_fields=["status", "caregiver", "dispatched_at"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"caregiver": [None, caregiver.pk]})
    return order


# --- On site -----------------------------------------------------------------------------------


@transaction.atomic
def check_in(actor: Actor, order_id: int, lat: float, lng: float) -> Order:
    """The caregiver arrives. A resent check-in changes nothing; one far from the address is accepted
    but flagged."""
    order = _locked(actor, order_id, "serve_order")
    if order.status == OrderStatus.IN_SERVICE:
        return order
    try:
        coords.validate_in_china(lat, lng)
    except coords.InvalidCoordinates as exc:
        raise FieldErrors({"lat": str(exc)}) from None
    _move(order, OrderStatus.IN_SERVICE)
    order.checked_in_at = timezone.now()
    if order.lat is not None:
        order.check_in_distance_m = round(coords.distance_m(lat, lng, order.lat, order.lng))
        if order.check_in_distance_m > CHECK_IN_FLAG_DISTANCE_M:
            order.flags = [*order.flags, f"签到位置距服务地址 {order.check_in_distance_m} 米"]
    order.save(update_fields=["status", "checked_in_at", "check_in_distance_m", "flags"])
    return order


@transaction.atomic
def check_out(actor: Actor, order_id: int, record: str = "") -> Order:
    """The caregiver finishes: the order completes and the vouchers are debited exactly once."""
    order = _locked(actor, order_id, "serve_order")
    if order.status in (OrderStatus.COMPLETED, OrderStatus.RATED):
        return order  # a resent check-out from a phone that lost the network
    _move(order, OrderStatus.COMPLETED)
    order.checked_out_at = timezone.now()
    minutes = (order.checked_out_at - order.checked_in_at).total_seconds() / 60
    if minutes < order.item.min_minutes:
        order.flags = [*order.flags, f"服务时长 {minutes:.0f} 分钟，短于最短 {order.item.min_minutes} 分钟"]
    order.service_record = record[:4000]
    if order.voucher:
        # The balance may have fallen since booking: vouchers pay what is left, self-pay the rest.
        available = max(balance(order.elder_id), 0)
        paid = min(order.voucher, available)
        order.self_pay += order.voucher - paid
        order.voucher = paid
        if paid:
            _post(order.elder_id, order.region_code, EntryKind.DEBIT, -paid, f"order-{order.pk}-debit", order)
    order.save(update_fields=["status", "checked_out_at", "flags", "service_record", "voucher", "self_pay"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"status": ["in_service", "completed"]})
    return order


@transaction.atomic
def rate(actor: Actor, order_id: int, score: int, comment: str = "") -> Order:
    order = _locked(actor, order_id, "rate_order")
    if not 1 <= score <= 5:
        raise FieldErrors({"rating": "评分应为 1 到 5"})
    _move(order, OrderStatus.RATED)
    order.rating, order.rating_comment = score, comment[:500]
    order.save(update_fields=["status", "rating", "rating_comment"])
    return order


@transaction.atomic
def cancel(actor: Actor, order_id: int, reason: str = "") -> Order:
    order = _locked(actor, order_id, "cancel_order")
    _move(order, OrderStatus.CANCELLED)
    order.notes = f"{order.notes}\n取消原因：{reason}"[:500] if reason else order.notes
    order.save(update_fields=["status", "notes"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"status": ["", "cancelled"]})
    return order


@transaction.atomic
def dispute(actor: Actor, order_id: int, reason: str, refund: bool) -> Order:
    """A complaint about a completed order; an upheld one returns the vouchers exactly once."""
    order = _locked(actor, order_id, "cancel_order")
    _move(order, OrderStatus.DISPUTED)
    order.notes = f"{order.notes}\n争议：{reason}"[:500]
    order.save(update_fields=["status", "notes"])
    if refund and order.voucher:
        _post(order.elder_id, order.region_code, EntryKind.REFUND, order.voucher, f"order-{order.pk}-refund", order)
    return order


# --- Ledger ------------------------------------------------------------------------------------


def _post(elder_id: int, region_code: str, kind: str, amount: int, key: str, order=None, note: str = "") -> bool:
    """Write one ledger entry unless an entry with the same key exists. Returns whether it was written."""
    try:
        with transaction.atomic():
            VoucherEntry.objects.create(elder_id=elder_id, region_code=region_code, county_code=county_of(region_code),
                                        kind=kind, amount=amount, key=key, order=order, note=note)  # fmt: skip
    except IntegrityError:
        return False
    return True


@transaction.atomic
def grant(actor: Actor, elder_id: int, amount: int, key: str, note: str = "") -> bool:
    """Credit vouchers to an elder (e.g. the monthly allowance of 特困 elders), once per key."""
    elder = get_visible_or_404(Elder.objects, actor.user, "view", pk=elder_id)
    if amount <= 0:
        raise FieldErrors({"amount": "发放金额应大于 0"})
    written = _post(elder.pk, elder.region_code, EntryKind.GRANT, amount, key, note=note)
    if written:
        entry = VoucherEntry.objects.get(county_code=elder.county_code, key=key)
        ensure_visible(actor.user, entry, "homecare.add_voucherentry")
        audit.record(actor, AuditAction.CREATE, entry, object_repr=f"{elder.name} 服务券发放 {amount / 100:.2f} 元")
    return written
