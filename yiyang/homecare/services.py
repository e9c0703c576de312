"""Ordering home-care services: the price split, the order state machine, dispatch, on-site check-in
and check-out, rating, and the service-voucher ledger.

The order's state machine is declared in `workflows.py`; every transition goes through core's workflow
mechanism, which locks the order row and checks the current state inside the transaction, so two
dispatchers or a resent check-out cannot both win. Money moves only through ledger entries with an idempotency key.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from yiyang.core import audit, coords
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.photos import photo_errors, store
from yiyang.core.regioncodes import ancestors, county_of
from yiyang.core.scoping import ensure_visible, get_visible_or_404, has_permission, may
from yiyang.elders import categories
from yiyang.elders.models import Elder, Status
from yiyang.providers.models import Provider, Staff
from yiyang.providers.services import on_duty

from .models import EntryKind, Order, OrderPhoto, OrderStatus, ServiceItem, VoucherEntry
from .workflows import ORDER

CHECK_IN_FLAG_DISTANCE_M = 500
MAX_ORDER_PHOTOS = 9


def _locked(actor: Actor, order_id: int, transition: str) -> Order:
    """The order, locked, for one of its transitions (core.workflow; 404 without its right)."""
    return ORDER.lock(actor, order_id, transition, Order.objects.select_related("item"))


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
        created_by=actor.db_user,
        **split,
    )
    ensure_visible(actor.user, order, "homecare.add_order")
    audit.record(actor, AuditAction.CREATE, order, object_repr=f"{elder.name} 预约 {item.name}")
    return order


# --- Dispatch ----------------------------------------------------------------------------------


@transaction.atomic
def assign_provider(actor: Actor, order_id: int, provider_id: int, version: int | None = None) -> Order:
    """Send the order to a provider; `version`, when given, must be the order's current one (409 if not)."""
    order = _locked(actor, order_id, "assign")
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None or not provider.serves(order.region_code, order.item.code):
        raise FieldErrors({"provider_id": "该服务商不在此地区提供这项服务"})
    ORDER.move(actor, order, "assign", expected_version=version)
    order.provider, order.caregiver, order.assigned_at, order.escalated = provider, None, timezone.now(), False
    order.save(update_fields=["status", "provider", "caregiver", "assigned_at", "escalated"])
    audit.record(
        actor, AuditAction.UPDATE, order, changes={"status": ["", order.status], "provider": [None, provider.pk]}
    )
    return order


@transaction.atomic
def respond(actor: Actor, order_id: int, accept: bool) -> Order:
    """The provider accepts or declines an order assigned to it. Accepting an order that automatic
    dispatch proposed a caregiver for sends that caregiver at once, if they are still free."""
    order = _locked(actor, order_id, "accept")
    ORDER.move(actor, order, "accept" if accept else "decline")
    order.accepted_at = timezone.now() if accept else None
    if accept and order.caregiver_id and _is_free(order.caregiver, order):
        # Part of accepting: the provider's answer sends the caregiver dispatch proposed.
        ORDER.move(actor, order, "dispatch", authorised=True)
        order.dispatched_at = order.accepted_at
    elif not accept:
        order.caregiver = None
    order.save(update_fields=["status", "accepted_at", "caregiver", "dispatched_at"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"status": ["assigned", order.status]})
    return order


@transaction.atomic
def dispatch(actor: Actor, order_id: int, caregiver_id: int, version: int | None = None) -> Order:
    """The provider sends one of its qualified caregivers. Sending another to an order already dispatched
    (or the same one again) must name the order's current `version`: of twenty clicks at once one wins."""
    order = _locked(actor, order_id, "dispatch")
    caregiver = on_duty(Staff.objects.filter(pk=caregiver_id, provider_id=order.provider_id)).first()
    if caregiver is None:
        raise FieldErrors({"caregiver_id": "该服务人员不属于接单的服务商或不在岗"})
    if not caregiver.qualifies_for(order.item.required_skill):
        raise FieldErrors({"caregiver_id": f"该服务需要{order.item.required_skill}级及以上养老护理员"})
    if not caregiver.works_at(order.region_code, order.slot_start, slot_end(order)):
        raise FieldErrors({"caregiver_id": "预约时段或地址不在该服务人员的工作时间或工作区域内"})
    ORDER.move(actor, order, "dispatch", expected_version=version)
    order.caregiver, order.dispatched_at = caregiver, timezone.now()
    order.save(update_fields=["status", "caregiver", "dispatched_at"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"caregiver": [None, caregiver.pk]})
    return order


BUSY = (OrderStatus.ASSIGNED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED, OrderStatus.IN_SERVICE)


def slot_end(order: Order) -> datetime:
    return order.slot_start + timedelta(minutes=order.item.duration_minutes * order.quantity)


def _busy(caregiver_ids: list[int], order: Order) -> set[int]:
    """Which of these caregivers already have an order overlapping this one's slot (one query)."""
    start = order.slot_start
    end = slot_end(order)
    others = (
        Order.objects.filter(caregiver_id__in=caregiver_ids, status__in=BUSY, slot_start__lt=end,
                             slot_start__gt=start - timedelta(hours=12))
        .exclude(pk=order.pk)
        .values_list("caregiver_id", "slot_start", "item__duration_minutes", "quantity")
    )  # fmt: skip
    return {cid for cid, begins, minutes, n in others if begins + timedelta(minutes=minutes * n) > start}


def _is_free(caregiver: Staff, order: Order) -> bool:
    return caregiver.pk not in _busy([caregiver.pk], order)


def candidates(order: Order) -> list[tuple[float, Staff]]:
    """Qualified, free caregivers of providers serving the order's community and service, nearest first."""
    providers = [
        p for p in Provider.objects.filter(is_active=True, county_code=order.county_code)
        if p.serves(order.region_code, order.item.code)
    ]  # fmt: skip
    qualified = [
        c for c in on_duty(Staff.objects.filter(provider__in=providers)).select_related("provider")
        if c.qualifies_for(order.item.required_skill) and c.works_at(order.region_code, order.slot_start, slot_end(order))
    ]  # fmt: skip
    busy = _busy([c.pk for c in qualified], order)
    found = []
    for caregiver in qualified:
        if caregiver.pk in busy:
            continue
        known = None not in (caregiver.lat, order.lat)
        distance = coords.distance_m(caregiver.lat, caregiver.lng, order.lat, order.lng) if known else float("inf")
        found.append((distance, caregiver))
    return sorted(found, key=lambda pair: (pair[0], pair[1].pk))


@transaction.atomic
def auto_dispatch(actor: Actor, order_id: int) -> Order:
    """Send the order to the provider of the nearest qualified caregiver who is free in its slot, with
    that caregiver proposed; the provider confirms with one tap (or declines, back to the board)."""
    order = _locked(actor, order_id, "assign")
    found = candidates(order)
    if not found:
        raise Conflict("附近没有空闲且具备资质的服务人员，请在派单台手动派单", {"order": "无可派人员"})
    _, caregiver = found[0]
    ORDER.move(actor, order, "assign")
    order.provider, order.caregiver, order.assigned_at, order.escalated = (
        caregiver.provider,
        caregiver,
        timezone.now(),
        False,
    )
    order.save(update_fields=["status", "provider", "caregiver", "assigned_at", "escalated"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"provider": [None, caregiver.provider_id],
                                                             "caregiver": [None, caregiver.pk]})  # fmt: skip
    return order


ACCEPT_WITHIN = timedelta(minutes=30)


def expire_unaccepted(now=None) -> int:
    """Orders a provider left unanswered beyond the time limit go back to the dispatch board, flagged
    for the civil-affairs dispatcher (escalation)."""
    now = now or timezone.now()
    stale = Order.objects.filter(status=OrderStatus.ASSIGNED, assigned_at__lt=now - ACCEPT_WITHIN)
    count = 0
    for order_id in stale.values_list("id", flat=True):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != OrderStatus.ASSIGNED:
                continue
            ORDER.move(Actor.system(), order, "expire", authorised=True)
            order.escalated, order.caregiver = True, None
            order.save(update_fields=["status", "escalated", "caregiver"])
            count += 1
    return count


# --- On site -----------------------------------------------------------------------------------


@transaction.atomic
def check_in(actor: Actor, order_id: int, lat: float, lng: float) -> Order:
    """The caregiver arrives. A resent check-in changes nothing; one far from the address is accepted
    but flagged."""
    order = _locked(actor, order_id, "check_in")
    if order.status == OrderStatus.IN_SERVICE:
        return order
    try:
        coords.validate_in_china(lat, lng)
    except coords.InvalidCoordinates as exc:
        raise FieldErrors({"lat": str(exc)}) from None
    ORDER.move(actor, order, "check_in")
    order.checked_in_at = timezone.now()
    if order.lat is not None:
        order.check_in_distance_m = round(coords.distance_m(lat, lng, order.lat, order.lng))
        if order.check_in_distance_m > CHECK_IN_FLAG_DISTANCE_M:
            order.flags = [*order.flags, f"签到位置距服务地址 {order.check_in_distance_m} 米"]
    order.save(update_fields=["status", "checked_in_at", "check_in_distance_m", "flags"])
    return order


@transaction.atomic
def check_out(actor: Actor, order_id: int, record: str = "", photos: list | None = None) -> Order:
    """The caregiver finishes, with the service record and optional photos: the order completes and
    the vouchers are debited exactly once."""
    order = _locked(actor, order_id, "check_out")
    if order.status in (OrderStatus.COMPLETED, OrderStatus.RATED):
        return order  # a resent check-out from a phone that lost the network
    if errors := photo_errors(photos or [], "photos"):
        raise FieldErrors(errors)
    if photos and order.photos.count() + len(photos) > MAX_ORDER_PHOTOS:
        raise FieldErrors({"photos": f"每单最多 {MAX_ORDER_PHOTOS} 张服务照片"})
    ORDER.move(actor, order, "check_out")
    _save_photos(order, photos or [])
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


def _save_photos(order: Order, photos: list) -> None:
    for upload in photos:
        photo = OrderPhoto(order=order, county_code=order.county_code)
        store(photo, upload)
        photo.save()


@transaction.atomic
def add_photos(actor: Actor, order_id: int, photos: list) -> Order:
    """Photos of the service record, taken while serving or just after; not once the elder has rated."""
    order = get_visible_or_404(Order.objects.select_for_update(of=("self",)), actor.user, "homecare.serve_order",
                               pk=order_id)  # fmt: skip
    if order.status not in (OrderStatus.IN_SERVICE, OrderStatus.COMPLETED):
        raise Conflict(f"订单当前状态为“{order.get_status_display()}”，不能上传服务照片", code="invalid_transition")
    if not photos:
        raise FieldErrors({"photos": "请选择照片"})
    if errors := photo_errors(photos, "photos"):
        raise FieldErrors(errors)
    if order.photos.count() + len(photos) > MAX_ORDER_PHOTOS:
        raise FieldErrors({"photos": f"每单最多 {MAX_ORDER_PHOTOS} 张服务照片"})
    _save_photos(order, photos)
    return order


def _confirmation_codes(elder_id: int) -> set[str]:
    """The last four digits of the elder's and their contacts' phones: what the elder or a relative
    tells the caregiver on site to confirm the service."""
    from yiyang.elders.models import ElderContact

    phones = [Elder.objects.filter(pk=elder_id).values_list("phone", flat=True).first() or ""]
    phones += list(ElderContact.objects.filter(elder_id=elder_id).values_list("phone", flat=True))
    return {phone[-4:] for phone in phones if len(phone) >= 4}


@transaction.atomic
def confirm(actor: Actor, order_id: int, code: str = "") -> Order:
    """The elder or the family confirm that the service was done: a family member on their own phone,
    or on site by telling the caregiver the last four digits of a registered phone. Once is enough."""
    order = get_visible_or_404(Order.objects.select_for_update(), actor.user, "view", pk=order_id)
    if order.confirmed_at:
        return order
    if order.status not in (OrderStatus.COMPLETED, OrderStatus.RATED):
        raise Conflict("服务完成签退后才能确认", code="invalid_transition")
    if may(actor.user, order, "homecare.rate_order"):
        order.confirmed_by = "family"
    elif may(actor.user, order, "homecare.serve_order"):
        if not code.strip():
            raise FieldErrors({"code": "请输入老人或家属登记电话的后四位"})
        if code.strip() not in _confirmation_codes(order.elder_id):
            raise FieldErrors({"code": "确认码与老人或家属登记的电话不符"})
        order.confirmed_by = "on_site"
    else:
        raise PermissionDenied
    order.confirmed_at = timezone.now()
    order.save(update_fields=["confirmed_at", "confirmed_by"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"confirmed_by": ["", order.confirmed_by]})
    return order


@transaction.atomic
def rate(actor: Actor, order_id: int, score: int, comment: str = "") -> Order:
    order = _locked(actor, order_id, "rate")
    if not 1 <= score <= 5:
        raise FieldErrors({"rating": "评分应为 1 到 5"})
    ORDER.move(actor, order, "rate")
    order.rating, order.rating_comment = score, comment[:500]
    if not order.confirmed_at:  # rating the service confirms it was done
        order.confirmed_at, order.confirmed_by = timezone.now(), "family"
    order.save(update_fields=["status", "rating", "rating_comment", "confirmed_at", "confirmed_by"])
    return order


@transaction.atomic
def cancel(actor: Actor, order_id: int, reason: str = "") -> Order:
    order = _locked(actor, order_id, "cancel")
    ORDER.move(actor, order, "cancel")
    order.notes = f"{order.notes}\n取消原因：{reason}"[:500] if reason else order.notes
    order.save(update_fields=["status", "notes"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"status": ["", "cancelled"]})
    return order


@transaction.atomic
def complain(actor: Actor, order_id: int, complaint: str) -> Order:
    """The elder or family complains about a completed order; the bureau then resolves it."""
    order = _locked(actor, order_id, "complain")
    if not complaint.strip():
        raise FieldErrors({"complaint": "请填写投诉内容"})
    ORDER.move(actor, order, "complain")
    order.complaint = complaint.strip()[:500]
    order.save(update_fields=["status", "complaint"])
    audit.record(actor, AuditAction.UPDATE, order, changes={"complaint": ["", order.complaint]})
    return order


@transaction.atomic
def resolve_complaint(actor: Actor, order_id: int, upheld: bool, resolution: str) -> Order:
    """Close a complaint; an upheld one returns the vouchers exactly once."""
    order = _locked(actor, order_id, "resolve")
    if not resolution.strip():
        raise FieldErrors({"resolution": "请填写处理结果"})
    ORDER.move(actor, order, "resolve")
    order.resolution = f"{'投诉成立' if upheld else '投诉不成立'}：{resolution.strip()}"[:500]
    order.save(update_fields=["status", "resolution"])
    if upheld and order.voucher:
        _post(order.elder_id, order.region_code, EntryKind.REFUND, order.voucher, f"order-{order.pk}-refund", order)
    audit.record(actor, AuditAction.UPDATE, order, changes={"resolution": ["", order.resolution]})
    return order


# --- Ledger ------------------------------------------------------------------------------------


def _post(elder_id: int, region_code: str, kind: str, amount: int, key: str, order=None, note: str = "") -> bool:
    """Write one voucher entry unless one with the same key exists. Returns whether it was written."""
    return post_once(VoucherEntry, elder_id=elder_id, region_code=region_code, county_code=county_of(region_code),
                     kind=kind, amount=amount, key=key, order=order, note=note)  # fmt: skip


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


@dataclass(frozen=True)
class Allowance:
    category: str
    amount: int  # fen per month


def grant_monthly(month: date, allowances: list[Allowance], region_code: str = "") -> int:
    """Credit each active elder the largest monthly allowance of their categories, once per elder and
    month (the key makes a rerun harmless). Returns the number of entries written."""
    from yiyang.core.regioncodes import region_range_q

    elders = Elder.objects.filter(status=Status.ACTIVE)
    if region_code:
        elders = elders.filter(region_range_q("region_code", region_code))
    written = 0
    for elder_id, community, bits in elders.values_list("id", "region_code", "categories").iterator(chunk_size=5000):
        codes = set(categories.to_codes(bits))
        amount = max((a.amount for a in allowances if a.category in codes), default=0)
        if amount:
            written += _post(elder_id, community, EntryKind.GRANT, amount, f"allowance-{month:%Y-%m}-{elder_id}",
                             note=f"{month:%Y年%m月}服务券")  # fmt: skip
    return written


SETTLEMENT_HEADERS = ["订单号", "完成时间", "服务项目", "老人编号", "社区代码", "服务人员", "总价（元）",
                      "政府补贴（元）", "服务券（元）", "自付（元）"]  # fmt: skip


def settlement(actor: Actor, provider_id: int, month: date):
    """A provider's monthly settlement statement (结算): its completed orders and who pays what, .xlsx."""
    from yiyang.core.exports import write_xlsx

    provider = get_visible_or_404(Provider.objects, actor.user, "view", pk=provider_id)
    start = timezone.make_aware(datetime(month.year, month.month, 1))
    end = timezone.make_aware(datetime(month.year + month.month // 12, month.month % 12 + 1, 1))
    orders = (
        Order.objects.visible_to(actor.user, "homecare.view_order")
        .filter(provider=provider, status__in=[OrderStatus.COMPLETED, OrderStatus.RATED],
                checked_out_at__gte=start, checked_out_at__lt=end)
        .select_related("item", "caregiver").order_by("checked_out_at")
    )  # fmt: skip
    totals = [0, 0, 0, 0]
    rows = []
    for o in orders:
        amounts = (o.price, o.subsidy, o.voucher, o.self_pay)
        totals = [t + a for t, a in zip(totals, amounts, strict=True)]
        rows.append([o.pk, timezone.localtime(o.checked_out_at).strftime("%Y-%m-%d %H:%M"), o.item.name, o.elder_id,
                     o.region_code, o.caregiver.name if o.caregiver else "", *[a / 100 for a in amounts]])  # fmt: skip
    rows.append(["合计", "", "", "", "", f"{len(rows)} 单", *[t / 100 for t in totals]])
    handle = write_xlsx(SETTLEMENT_HEADERS, rows, sheet_name=f"{month:%Y年%m月}结算")
    audit.record(actor, AuditAction.EXPORT, provider, object_repr=f"{provider.name} {month:%Y-%m} 结算单")
    return handle


def statistics(user, code: str) -> dict:
    """Orders of a region: by service and status, completion rate, response and arrival times,
    satisfaction, subsidy and vouchers spent."""
    from django.db.models import Avg, Count, F, Q

    from yiyang.core.regioncodes import region_range_q

    orders = Order.objects.visible_to(user, "homecare.view_order").filter(region_range_q("region_code", code))
    done = Q(status__in=[OrderStatus.COMPLETED, OrderStatus.RATED])
    totals = orders.aggregate(
        total=Count("id"),
        completed=Count("id", filter=done),
        cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)),
        rated=Count("id", filter=Q(rating__isnull=False)),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        response=Avg(F("accepted_at") - F("created_at")),
        arrival=Avg(F("checked_in_at") - F("slot_start")),
        subsidy=Sum("subsidy", filter=done),
        voucher=Sum("voucher", filter=done),
    )
    # Grouped by the item's id, named afterwards: joining the menu onto every order costs more than the
    # grouping itself.
    groups = list(orders.values("item_id", "status").annotate(n=Count("id")).order_by())
    names = dict(ServiceItem.objects.filter(pk__in={g["item_id"] for g in groups}).values_list("pk", "name"))
    by_item = sorted(
        ({"item__name": names.get(g["item_id"], ""), "status": g["status"], "n": g["n"]} for g in groups),
        key=lambda row: (row["item__name"], row["status"]),
    )
    share = lambda part, whole: round(100 * part / whole, 1) if whole else None  # noqa: E731
    return {
        **totals,
        "completion_rate": share(totals["completed"], totals["total"] - totals["cancelled"]),
        "satisfaction_rate": share(totals["satisfied"], totals["rated"]),
        "response_minutes": round(totals["response"].total_seconds() / 60, 1) if totals["response"] else None,
        "arrival_minutes": round(totals["arrival"].total_seconds() / 60, 1) if totals["arrival"] else None,
        "by_item": by_item,
    }


# --- Lists and to-do counts ---------------------------------------------------------------------

# The steps an order may wait for, as list filters (`?waiting=`) and home-page to-do items: the
# workflow's transitions, plus the family's confirmation, which moves no state.
WAITING_STEPS = {
    "assign": "待派单",
    "accept": "待接单",
    "dispatch": "待派服务人员",
    "check_in": "待上门",
    "confirm": "待确认服务完成",
}


def local_day_range(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1)


def order_listing(user, *, status: str = "", waiting: str = "", day: date | None = None):
    """The orders `user` may see, filtered as the orders page and the API filter them: by status, by the
    step they wait for from this user (`WAITING_STEPS`), by the local day of the appointment. The
    home page's to-do counts are counts of this listing."""
    orders = Order.objects.visible_to(user, "homecare.view_order")
    if waiting == "confirm":
        orders = orders.visible_to(user, "homecare.rate_order").filter(
            status__in=[OrderStatus.COMPLETED, OrderStatus.RATED], confirmed_at__isnull=True
        )
    elif waiting in WAITING_STEPS:
        orders = ORDER.waiting(user, waiting, queryset=orders)
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    if day is not None:
        start, end = local_day_range(day)
        orders = orders.filter(slot_start__gte=start, slot_start__lt=end)
    return orders


def caregiver_queue(user):
    """The caregiver's orders still to serve, from today on: dispatched or in service (the phone page)."""
    start, _ = local_day_range(timezone.localdate())
    return (
        Order.objects.visible_to(user, "homecare.serve_order")
        .filter(status__in=[OrderStatus.DISPATCHED, OrderStatus.IN_SERVICE], slot_start__gte=start)
        .order_by("slot_start", "id")
    )


def sees_internal(user) -> bool:
    """Whether the user works on orders (dispatch, provider, caregiver), and so sees their internal flags
    (check-in distances and the like); families see their confirmation, not these."""
    return any(
        has_permission(user, p)
        for p in ("homecare.assign_order", "homecare.accept_order", "homecare.dispatch_order", "homecare.serve_order")
    )


def for_reader(user, orders):
    """The orders with their internal flags left out for a reader who does not work on them."""
    if sees_internal(user):
        return orders
    for order in orders:
        order.flags, order.check_in_distance_m = [], None
    return orders
