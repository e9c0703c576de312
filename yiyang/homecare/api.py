"""REST API for home-care orders (/api/v1/homecare): menu, quotes, booking, dispatch, on site, rating."""

from datetime import date, datetime, time
from decimal import Decimal

from django.http import Http404
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core import masking
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404
from yiyang.elders.models import Elder
from yiyang.providers import services as provider_services
from yiyang.providers.models import Provider, Staff

from . import meals, registry, services, timebank
from .models import Order, OrderStatus, ServiceItem, Volunteer

router = Router(tags=["居家社区养老服务"])


class ItemOut(Schema):
    id: int
    code: str
    name: str
    category: str
    unit: str
    price: int = Field(description="分")
    duration_minutes: int
    required_skill: int | None


class QuoteOut(Schema):
    price: int
    subsidy: int
    voucher: int
    self_pay: int


class MenuOut(Schema):
    items: list[ItemOut]
    voucher_balance: int


class BookIn(Schema):
    elder_id: int
    item_id: int
    slot_start: datetime
    quantity: int = 1
    address: str = ""
    notes: str = ""


class OrderOut(Schema):
    id: int
    elder_id: int
    item_id: int
    quantity: int
    provider_id: int | None
    caregiver_id: int | None
    status: str
    slot_start: datetime
    address: str
    price: int
    subsidy: int
    voucher: int
    self_pay: int
    check_in_distance_m: int | None
    flags: list[str]
    rating: int | None
    confirmed_at: datetime | None
    confirmed_by: str
    version: int


class ProviderIn(Schema):
    provider_id: int
    version: int | None = Field(None, description="订单当前版本；填写时须与订单一致，否则 409")


class RespondIn(Schema):
    accept: bool


class CaregiverIn(Schema):
    caregiver_id: int
    version: int | None = Field(None, description="订单当前版本；改派（订单已派人）时必填，否则 409")


class CheckInIn(Schema):
    lat: float
    lng: float


class CheckOutIn(Schema):
    record: str = ""


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = ""


class CancelIn(Schema):
    reason: str = ""


@router.get("/elders/{elder_id}/menu", response={200: MenuOut, 404: ErrorOut}, summary="老人可预约的服务与服务券余额")
def menu(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, "view", pk=elder_id)
    return {"items": list(services.menu_for(elder)), "voucher_balance": services.balance(elder.pk)}


@router.get("/elders/{elder_id}/quote", response={200: QuoteOut, 404: ErrorOut}, summary="下单前的费用分摊")
def quote(request, elder_id: int, item_id: int, quantity: int = 1):
    elder = get_visible_or_404(Elder.objects, request.user, "view", pk=elder_id)
    item = services.menu_for(elder).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return services.quote(elder, item, quantity)


@router.post("/orders", response={201: OrderOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="预约服务")
def book(request, payload: BookIn):
    order = services.book(_actor(request), payload.elder_id, payload.item_id, payload.slot_start,
                          quantity=payload.quantity, address=payload.address, notes=payload.notes)  # fmt: skip
    return Status(201, order)


@router.get("/orders", response=Page[OrderOut], summary="订单（按管辖范围）")
def list_orders(request, status: str = "", waiting: str = "", day: date | None = None, page: int = 1,
                page_size: int = 20):  # fmt: skip
    """`waiting`: the step the orders wait for from the caller (assign, accept, dispatch, check_in,
    confirm); `day`: the local day of the appointment."""
    orders = services.order_listing(request.user, status=status, waiting=waiting, day=day)
    if status and status not in OrderStatus.values:
        orders = orders.none()
    result = paginate(orders.order_by("-created_at", "-id"), page, page_size)
    result["items"] = services.for_reader(request.user, result["items"])
    return result


@router.get("/orders/{order_id}", response={200: OrderOut, 404: ErrorOut})
def get_order(request, order_id: int):
    order = get_visible_or_404(Order.objects, request.user, "homecare.view_order", pk=order_id)
    return services.for_reader(request.user, [order])[0]


TRANSITION_RESPONSES = {200: OrderOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/orders/{order_id}/assign", response=TRANSITION_RESPONSES, summary="派给服务商")
def assign(request, order_id: int, payload: ProviderIn):
    return services.assign_provider(_actor(request), order_id, payload.provider_id, payload.version)


@router.post("/orders/{order_id}/respond", response=TRANSITION_RESPONSES, summary="服务商接单或拒单")
def respond(request, order_id: int, payload: RespondIn):
    return services.respond(_actor(request), order_id, payload.accept)


@router.post("/orders/{order_id}/dispatch", response=TRANSITION_RESPONSES, summary="派给服务人员")
def dispatch(request, order_id: int, payload: CaregiverIn):
    return services.dispatch(_actor(request), order_id, payload.caregiver_id, payload.version)


@router.post("/orders/{order_id}/check-in", response=TRANSITION_RESPONSES, summary="上门签到")
def check_in(request, order_id: int, payload: CheckInIn):
    return services.check_in(_actor(request), order_id, payload.lat, payload.lng)


@router.post("/orders/{order_id}/check-out", response=TRANSITION_RESPONSES, summary="服务完成签退")
def check_out(request, order_id: int, payload: CheckOutIn):
    return services.check_out(_actor(request), order_id, payload.record)


@router.post("/orders/{order_id}/rate", response=TRANSITION_RESPONSES, summary="评价")
def rate(request, order_id: int, payload: RateIn):
    return services.for_reader(
        request.user, [services.rate(_actor(request), order_id, payload.rating, payload.comment)]
    )[0]


class ConfirmIn(Schema):
    code: str = Field("", description="服务人员当面确认时：老人或家属登记电话的后四位；家属本人确认时不填")


@router.post(
    "/orders/{order_id}/confirm", response={**TRANSITION_RESPONSES, 403: ErrorOut}, summary="老人或家属确认服务"
)
def confirm(request, order_id: int, payload: ConfirmIn):
    return services.for_reader(request.user, [services.confirm(_actor(request), order_id, payload.code)])[0]


@router.post("/orders/{order_id}/cancel", response=TRANSITION_RESPONSES, summary="取消")
def cancel(request, order_id: int, payload: CancelIn):
    return services.for_reader(request.user, [services.cancel(_actor(request), order_id, payload.reason)])[0]


# --- Menu, providers and caregivers --------------------------------------------------------------


class ItemIn(Schema):
    region_code: str
    code: str
    name: str
    category: str
    unit: str
    price: int = Field(..., ge=0, description="分")
    duration_minutes: int = 60
    min_minutes: int = 0
    required_skill: int | None = Field(None, ge=1, le=5)
    subsidies: dict[str, int] = {}
    is_active: bool = True


class ProviderIO(Schema):
    name: str
    region_code: str
    service_regions: list[str]
    service_items: list[str] = []
    phone: str = ""
    is_active: bool = True


class ProviderOut(ProviderIO):
    id: int


class CaregiverIO(Schema):
    name: str
    phone: str
    skill_level: int | None = Field(None, ge=1, le=5)
    certificate_no: str = ""
    is_active: bool = True
    work_regions: list[str] = Field([], description="工作区域的区划代码；空 = 服务商的全部服务区域")
    work_days: list[int] = Field([], description="1 = 周一 … 7 = 周日；空 = 每天")
    work_start: time | None = Field(None, description="空 = 不限时段")
    work_end: time | None = None


class CaregiverOut(CaregiverIO):
    id: int
    provider_id: int
    phone_revealed: bool = False


def _caregiver_out(actor: Actor, caregiver: Staff, reveal: bool = False) -> dict:
    """A caregiver as sent: the phone masked like a staff member's (DESIGN.md §5) unless revealed."""
    shown = masking.shown(actor, caregiver, reveal=reveal)
    data = {name: getattr(caregiver, name) for name in CaregiverOut.model_fields if name != "phone_revealed"}
    return {**data, "phone": shown["phone"], "phone_revealed": shown.revealed}


WRITE_RESPONSES = {200: None, 201: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/items", response=list[ItemOut], summary="服务项目（按管辖范围）")
def list_items(request):
    return list(ServiceItem.objects.visible_to(request.user, "view").order_by("region_code", "code"))


@router.post("/items", response={**WRITE_RESPONSES, 201: ItemOut}, summary="新增服务项目")
def create_item(request, payload: ItemIn):
    return Status(201, registry.save_item(_actor(request), payload.dict()))


@router.put("/items/{item_id}", response={**WRITE_RESPONSES, 200: ItemOut}, summary="修改服务项目")
def update_item(request, item_id: int, payload: ItemIn):
    return registry.save_item(_actor(request), payload.dict(), item_id)


@router.get("/providers", response=list[ProviderOut], summary="服务商（按管辖范围）")
def list_providers(request):
    return list(Provider.objects.visible_to(request.user, "view").order_by("id"))


@router.post("/providers", response={**WRITE_RESPONSES, 201: ProviderOut}, summary="登记服务商")
def create_provider(request, payload: ProviderIO):
    return Status(201, provider_services.save_provider(_actor(request), payload.dict()))


@router.get("/providers/{provider_id}/caregivers", response={200: list[CaregiverOut], 404: ErrorOut})
def list_caregivers(request, provider_id: int):
    provider = get_visible_or_404(Provider.objects, request.user, "view", pk=provider_id)
    caregivers = Staff.objects.visible_to(request.user, "view").filter(provider=provider)
    return [_caregiver_out(_actor(request), c) for c in caregivers.prefetch_related("certificates")]


@router.post("/providers/{provider_id}/caregivers", response={**WRITE_RESPONSES, 201: CaregiverOut})
def create_caregiver(request, provider_id: int, payload: CaregiverIO):
    actor = _actor(request)
    return Status(201, _caregiver_out(actor, provider_services.save_caregiver(actor, provider_id, payload.dict())))


@router.put("/caregivers/{caregiver_id}", response={**WRITE_RESPONSES, 200: CaregiverOut}, summary="修改服务人员")
def update_caregiver(request, caregiver_id: int, payload: CaregiverIO):
    caregiver = get_visible_or_404(Staff.objects, request.user, "view", pk=caregiver_id, provider__isnull=False)
    data = payload.dict()
    data["phone"] = masking.keep_if_masked(caregiver, "phone", data["phone"])  # a masked number sent back
    actor = _actor(request)
    return _caregiver_out(actor, provider_services.save_caregiver(actor, caregiver.provider_id, data, caregiver_id))


@router.get("/caregivers/{caregiver_id}", response={200: CaregiverOut, 403: ErrorOut, 404: ErrorOut},
            summary="服务人员详情（电话脱敏，reveal=true 且有权限时显示完整并留痕）")  # fmt: skip
def get_caregiver(request, caregiver_id: int, reveal: bool = False):
    caregiver = get_visible_or_404(Staff.objects, request.user, "view", pk=caregiver_id, provider__isnull=False)
    return _caregiver_out(_actor(request), caregiver, reveal)


class TrainingIO(Schema):
    topic: str
    trained_on: date
    hours: Decimal = Field(..., gt=0, le=500, decimal_places=1)
    organiser: str = ""
    certificate_no: str = ""


class TrainingOut(Schema):
    """One training record of a caregiver: the attendance, with its class's topic, organiser and date."""

    id: int
    caregiver_id: int = Field(..., alias="staff_id")
    topic: str = Field(..., alias="training.topic")
    trained_on: date = Field(..., alias="training.starts_on")
    hours: Decimal
    organiser: str = Field(..., alias="training.organiser")
    certificate_no: str


@router.get("/caregivers/{caregiver_id}/trainings", response={200: list[TrainingOut], 404: ErrorOut},
            summary="服务人员的培训记录")  # fmt: skip
def list_trainings(request, caregiver_id: int):
    caregiver = get_visible_or_404(Staff.objects, request.user, "view", pk=caregiver_id)
    return list(provider_services.caregiver_trainings(caregiver))


@router.post("/caregivers/{caregiver_id}/trainings", response={**WRITE_RESPONSES, 201: TrainingOut},
             summary="登记培训记录")  # fmt: skip
def add_training(request, caregiver_id: int, payload: TrainingIO):
    return Status(201, provider_services.add_caregiver_training(_actor(request), caregiver_id, payload.dict()))


@router.post("/orders/{order_id}/photos", response=TRANSITION_RESPONSES, summary="上传服务照片（multipart）")
def add_photos(request, order_id: int, photos: File[list[UploadedFile]]):
    return services.add_photos(_actor(request), order_id, list(photos))


# --- Meal assistance -----------------------------------------------------------------------------


class MenuIn(Schema):
    day: date
    meal: str
    dishes: str
    price: int = Field(..., ge=0, description="分")


class MealMenuOut(Schema):
    id: int
    day: date
    meal: str
    dishes: str
    price: int


class MealIn(Schema):
    id_number: str
    day: date
    meal: str
    mode: str = "dine_in"


class MealRecordOut(Schema):
    id: int
    elder_id: int
    day: date
    meal: str
    mode: str
    price: int
    subsidy: int
    self_pay: int


class MealCountsOut(Schema):
    facility: str
    day: date
    meals: dict[str, int]
    modes: dict[str, int]
    subsidy: int


@router.post(
    "/canteens/{facility_id}/menus", response={200: MealMenuOut, 404: ErrorOut, 422: ErrorOut}, summary="发布菜单"
)
def publish_menu(request, facility_id: int, payload: MenuIn):
    return meals.publish_menu(_actor(request), facility_id, payload.day, payload.meal, payload.dishes, payload.price)


@router.post("/canteens/{facility_id}/meals", response={201: MealRecordOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="助餐登记（刷身份证）")  # fmt: skip
def record_meal(request, facility_id: int, payload: MealIn):
    return Status(201, meals.record_meal(_actor(request), facility_id, payload.id_number, payload.day, payload.meal,
                                         payload.mode))  # fmt: skip


@router.get(
    "/canteens/{facility_id}/counts",
    response={200: MealCountsOut, 404: ErrorOut, 422: ErrorOut},
    summary="每日就餐统计",
)
def meal_counts(request, facility_id: int, day: date):
    return meals.daily_counts(_actor(request), facility_id, day)


# --- Time bank -----------------------------------------------------------------------------------


class VolunteerIn(Schema):
    name: str
    phone: str
    region_code: str
    elder_id: int | None = None


class VolunteerOut(Schema):
    id: int
    name: str
    region_code: str
    elder_id: int | None
    balance: float


class ServiceReportIn(Schema):
    day: date
    hours: float
    description: str
    served_elder_id: int | None = None


class ServiceReportOut(Schema):
    id: int
    volunteer_id: int
    day: date
    hours: float
    state: str


class HoursIn(Schema):
    hours: float
    key: str = Field(..., description="幂等键：同一键重复提交只记一次")
    to_volunteer_id: int | None = None
    note: str = ""


def _volunteer_out(v) -> dict:
    return {"id": v.pk, "name": v.name, "region_code": v.region_code, "elder_id": v.elder_id,
            "balance": float(timebank.balance(v.pk))}  # fmt: skip


@router.post(
    "/volunteers", response={201: VolunteerOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="志愿者登记"
)
def register_volunteer(request, payload: VolunteerIn):
    volunteer = timebank.register(_actor(request), payload.name, payload.phone, payload.region_code, payload.elder_id)
    return Status(201, _volunteer_out(volunteer))


@router.get("/volunteers/{volunteer_id}", response={200: VolunteerOut, 404: ErrorOut})
def get_volunteer(request, volunteer_id: int):
    return _volunteer_out(get_visible_or_404(Volunteer.objects, request.user, "view", pk=volunteer_id))


@router.post("/volunteers/{volunteer_id}/services", response={201: ServiceReportOut, 404: ErrorOut, 422: ErrorOut})
def report_service(request, volunteer_id: int, payload: ServiceReportIn):
    return Status(201, timebank.report(_actor(request), volunteer_id, payload.day, payload.hours, payload.description,
                                       payload.served_elder_id))  # fmt: skip


@router.post("/volunteer-services/{service_id}/confirm", response={200: ServiceReportOut, 404: ErrorOut, 409: ErrorOut})
def confirm_service(request, service_id: int, accepted: bool = True):
    return timebank.confirm(_actor(request), service_id, accepted)


@router.post("/volunteers/{volunteer_id}/redeem", response={200: VolunteerOut, 404: ErrorOut, 422: ErrorOut})
def redeem_hours(request, volunteer_id: int, payload: HoursIn):
    timebank.redeem(_actor(request), volunteer_id, payload.hours, payload.key, payload.note)
    return get_volunteer(request, volunteer_id)


@router.post("/volunteers/{volunteer_id}/transfer", response={200: VolunteerOut, 404: ErrorOut, 422: ErrorOut})
def transfer_hours(request, volunteer_id: int, payload: HoursIn):
    if payload.to_volunteer_id is None:
        raise FieldErrors({"to_volunteer_id": "必填"})
    timebank.transfer(_actor(request), volunteer_id, payload.to_volunteer_id, payload.hours, payload.key)
    return get_volunteer(request, volunteer_id)


@router.post("/orders/{order_id}/auto-dispatch", response=TRANSITION_RESPONSES, summary="自动派给最近的空闲服务人员")
def auto_dispatch(request, order_id: int):
    return services.auto_dispatch(_actor(request), order_id)
