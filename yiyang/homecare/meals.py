"""Meal assistance (老年助餐): canteen menus, meals recorded at the counter or ordered, per-meal subsidies
by category with a daily cap, and daily counts per canteen."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.regioncodes import ancestors
from yiyang.core.scoping import get_visible_or_404
from yiyang.elders import categories
from yiyang.elders.models import Elder, Status
from yiyang.facilities.models import Facility, FacilityStatus, Service

from .models import Meal, MealMenu, MealMode, MealRecord, MealSubsidyRule


def _canteen(actor: Actor, facility_id: int, action: str = "view") -> Facility:
    facility = get_visible_or_404(Facility.objects, actor.user, action, pk=facility_id)
    if Service.MEALS not in facility.services or facility.status != FacilityStatus.OPERATING:
        raise FieldErrors({"facility_id": "该机构不是运营中的助餐点"})
    return facility


@transaction.atomic
def publish_menu(actor: Actor, facility_id: int, day: date, meal: str, dishes: str, price: int) -> MealMenu:
    facility = _canteen(actor, facility_id, "change")
    errors = {}
    if meal not in Meal.values:
        errors["meal"] = "应为 早餐、午餐 或 晚餐"
    if not dishes.strip():
        errors["dishes"] = "请填写菜品"
    if not 0 <= price <= 100_000:
        errors["price"] = "价格应在 0 到 1000 元之间"
    if errors:
        raise FieldErrors(errors)
    menu, _ = MealMenu.objects.update_or_create(
        county_code=facility.county_code, facility_id=facility.pk, day=day, meal=meal,
        defaults={"region_code": facility.region_code, "dishes": dishes.strip()[:300], "price": price},
    )  # fmt: skip
    return menu


def subsidy_for(elder: Elder, price: int, already_subsidised_today: int) -> int:
    """The best per-meal subsidy of the elder's categories under the nearest region's rules, within
    the daily cap of subsidised meals; never more than the price."""
    codes = set(categories.to_codes(elder.categories))
    regions = [elder.region_code, *reversed(ancestors(elder.region_code))]
    rules = {(r.region_code, r.category): r for r in MealSubsidyRule.objects.filter(region_code__in=regions)}
    best = 0
    for code in codes:
        rule = next((rules[(region, code)] for region in regions if (region, code) in rules), None)
        if rule and already_subsidised_today < rule.daily_cap:
            best = max(best, rule.amount)
    return min(best, price)


@transaction.atomic
def record_meal(actor: Actor, facility_id: int, id_number: str, day: date, meal: str, mode: str) -> MealRecord:
    """Record a meal at the counter by the elder's ID number; the same meal twice is refused."""
    facility = _canteen(actor, facility_id, "change")
    menu = MealMenu.objects.filter(facility_id=facility.pk, day=day, meal=meal).first()
    errors = {}
    if menu is None:
        errors["meal"] = "该餐次没有发布菜单"
    if mode not in MealMode.values:
        errors["mode"] = "应为 堂食、自取 或 送餐上门"
    # Only the canteen's own county: its subsidies are the county's, and a lookup across the platform
    # would tell anyone with a canteen whether a number is registered anywhere in the province.
    elder = Elder.objects.filter(
        county_code=facility.county_code, id_number=id_number.strip().upper(), status=Status.ACTIVE
    ).first()
    if elder is None:
        errors["id_number"] = "本县（区）没有该身份证号码的在册老人"
    if errors:
        raise FieldErrors(errors)
    subsidised = MealRecord.objects.filter(elder_id=elder.pk, day=day, subsidy__gt=0).count()
    subsidy = subsidy_for(elder, menu.price, subsidised)
    try:
        with transaction.atomic():
            record = MealRecord.objects.create(
                elder_id=elder.pk, region_code=elder.region_code, county_code=elder.county_code,
                facility_id=facility.pk, day=day, meal=meal, mode=mode, price=menu.price, subsidy=subsidy,
                self_pay=menu.price - subsidy,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("该老人这一餐已经记录过了", {"meal": "重复"}) from None
    audit.record(actor, AuditAction.CREATE, record, object_repr=f"{facility.name} 助餐 {elder.name}")
    return record


def daily_counts(actor: Actor, facility_id: int, day: date) -> dict:
    facility = _canteen(actor, facility_id)
    records = MealRecord.objects.filter(facility_id=facility.pk, day=day)
    by_meal = {row["meal"]: row for row in records.values("meal").annotate(n=Count("id"), subsidy=Sum("subsidy"))}
    by_mode = dict(records.values_list("mode").annotate(n=Count("id")))
    return {
        "facility": facility.name,
        "day": day,
        "meals": {m: by_meal.get(m, {}).get("n", 0) for m in Meal.values},
        "modes": {m: by_mode.get(m, 0) for m in MealMode.values},
        "subsidy": sum((row["subsidy"] or 0) for row in by_meal.values()),
    }
