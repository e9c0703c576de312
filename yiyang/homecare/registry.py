"""Maintaining the service menu, providers and caregivers (validation, scope, audit)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from yiyang.core import audit, phones
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import InvalidRegionCode, contains, county_of, normalize
from yiyang.core.scoping import ensure_visible, get_for_action, get_visible_or_404
from yiyang.elders import categories
from yiyang.regions.models import Region

from .models import Caregiver, CaregiverTraining, Provider, ServiceCategory, ServiceItem, Unit


def _region(value, field: str, errors: dict) -> str | None:
    try:
        code = normalize(str(value or ""))
    except InvalidRegionCode as exc:
        errors[field] = "必填" if not value else str(exc)
        return None
    if not Region.objects.filter(code=code).exists():
        errors[field] = f"区划代码 {code} 不存在"
        return None
    return code


def _int(value, field: str, errors: dict, low: int, high: int, *, optional: bool = False) -> int | None:
    if value in (None, "") and optional:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = "应为整数"
        return None
    if not low <= number <= high:
        errors[field] = f"应在 {low} 到 {high} 之间"
    return number


@transaction.atomic
def save_item(actor: Actor, data: dict, item_id: int | None = None) -> ServiceItem:
    """Create or change a menu entry. Prices arrive in fen; subsidies as {category code: percent}."""
    errors: dict[str, str] = {}
    item = get_visible_or_404(ServiceItem.objects, actor.user, "change", pk=item_id) if item_id else ServiceItem()
    region = _region(data.get("region_code", item.region_code), "region_code", errors)
    values = {
        "code": str(data.get("code", item.code) or "").strip()[:20],
        "name": str(data.get("name", item.name) or "").strip()[:50],
        "category": data.get("category", item.category),
        "unit": data.get("unit", item.unit),
        "price": _int(data.get("price", item.price), "price", errors, 0, 10_000_000),
        "duration_minutes": _int(data.get("duration_minutes", item.duration_minutes), "duration_minutes", errors, 1, 1440),
        "min_minutes": _int(data.get("min_minutes", item.min_minutes), "min_minutes", errors, 0, 1440),
        "required_skill": _int(data.get("required_skill", item.required_skill), "required_skill", errors, 1, 5,
                               optional=True),
        "is_active": bool(data.get("is_active", item.is_active if item.pk else True)),
    }  # fmt: skip
    for field in ("code", "name"):
        if not values[field]:
            errors[field] = "必填"
    if values["category"] not in ServiceCategory.values:
        errors["category"] = "不是可选值之一"
    if values["unit"] not in Unit.values:
        errors["unit"] = "不是可选值之一"
    subsidies = data.get("subsidies", item.subsidies if item.pk else {}) or {}
    for code, percent in subsidies.items():
        if code not in categories.BY_CODE:
            errors["subsidies"] = f"未知的老人类别：{code}"
        elif not isinstance(percent, int) or not 0 <= percent <= 100:
            errors["subsidies"] = "补贴比例应为 0 到 100 的整数"
    if errors:
        raise FieldErrors(errors)
    before = {k: getattr(item, k) for k in values} if item.pk else {}
    for key, value in values.items():
        setattr(item, key, value)
    item.region_code, item.county_code, item.subsidies = region, county_of(region), subsidies
    if (
        ServiceItem.objects.filter(county_code=item.county_code, region_code=region, code=item.code)
        .exclude(pk=item.pk)
        .exists()
    ):
        raise FieldErrors({"code": "该区划已有相同编码的服务项目"})
    item.save()
    ensure_visible(actor.user, item, "change" if item_id else "add")
    audit.record(actor, AuditAction.UPDATE if item_id else AuditAction.CREATE, item,
                 changes=audit.diff(before, {k: getattr(item, k) for k in values}))  # fmt: skip
    return item


@transaction.atomic
def save_provider(actor: Actor, data: dict, provider_id: int | None = None) -> Provider:
    errors: dict[str, str] = {}
    provider = get_visible_or_404(Provider.objects, actor.user, "change", pk=provider_id) if provider_id else Provider()
    name = str(data.get("name", provider.name) or "").strip()[:100]
    if not name:
        errors["name"] = "必填"
    region = _region(data.get("region_code", provider.region_code), "region_code", errors)
    areas = [_region(code, "service_regions", errors) for code in data.get("service_regions", provider.service_regions)]
    if not areas:
        errors["service_regions"] = "至少选择一个服务区域"
    try:
        phone = phones.normalize(str(data.get("phone", provider.phone) or ""))
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    if errors:
        raise FieldErrors(errors)
    provider.name, provider.region_code, provider.county_code = name, region, county_of(region)
    provider.service_regions, provider.phone = areas, phone
    provider.service_items = [str(c) for c in data.get("service_items", provider.service_items)]
    provider.is_active = bool(data.get("is_active", provider.is_active if provider.pk else True))
    provider.save()
    ensure_visible(actor.user, provider, "change" if provider_id else "add")
    audit.record(actor, AuditAction.UPDATE if provider_id else AuditAction.CREATE, provider)
    return provider


def _time(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.time):
        return value
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        errors[field] = "应为时间，如 08:00"
        return None


def _working_hours(data: dict, caregiver: Caregiver, provider: Provider, errors: dict) -> tuple:
    """Working area (inside the provider's service area), weekdays 1-7 and daily hours."""
    regions = []
    for raw in data.get("work_regions", caregiver.work_regions) or []:
        if code := _region(raw, "work_regions", errors):
            if not any(contains(area, code) for area in provider.service_regions):
                errors["work_regions"] = f"区划 {code} 不在服务商的服务区域内"
            regions.append(code)
    days = data.get("work_days", caregiver.work_days) or []
    if not isinstance(days, list) or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        errors["work_days"] = "工作日应为 1（周一）到 7（周日）"
        days = []
    start = _time(data.get("work_start", caregiver.work_start), "work_start", errors)
    end = _time(data.get("work_end", caregiver.work_end), "work_end", errors)
    if (start is None) != (end is None):
        errors["work_end" if end is None else "work_start"] = "上班和下班时间应同时填写，或都不填（不限时段）"
    elif start and end and start >= end:
        errors["work_end"] = "下班时间应晚于上班时间"
    return sorted(set(regions)), sorted(set(days)), start, end


@transaction.atomic
def save_caregiver(actor: Actor, provider_id: int, data: dict, caregiver_id: int | None = None) -> Caregiver:
    """Register or change a caregiver of a provider the actor manages (or supervises)."""
    provider = get_visible_or_404(Provider.objects, actor.user, "view", pk=provider_id)
    caregiver = (
        get_visible_or_404(Caregiver.objects, actor.user, "change", pk=caregiver_id, provider=provider)
        if caregiver_id
        else Caregiver(provider=provider, county_code=provider.county_code)
    )
    errors: dict[str, str] = {}
    name = str(data.get("name", caregiver.name) or "").strip()[:50]
    if not name:
        errors["name"] = "必填"
    try:
        phone = phones.normalize(str(data.get("phone", caregiver.phone) or ""))
        if not phone:
            errors["phone"] = "必填"
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    level = _int(data.get("skill_level", caregiver.skill_level), "skill_level", errors, 1, 5, optional=True)
    hours = _working_hours(data, caregiver, provider, errors)
    if errors:
        raise FieldErrors(errors)
    caregiver.name, caregiver.phone, caregiver.skill_level = name, phone, level
    caregiver.work_regions, caregiver.work_days, caregiver.work_start, caregiver.work_end = hours
    caregiver.certificate_no = str(data.get("certificate_no", caregiver.certificate_no) or "")[:40]
    caregiver.is_active = bool(data.get("is_active", caregiver.is_active if caregiver.pk else True))
    caregiver.save()
    ensure_visible(actor.user, caregiver, "change" if caregiver_id else "add")
    audit.record(actor, AuditAction.UPDATE if caregiver_id else AuditAction.CREATE, caregiver)
    return caregiver


@transaction.atomic
def add_training(actor: Actor, caregiver_id: int, data: dict) -> CaregiverTraining:
    """Record a training a caregiver attended."""
    caregiver = get_for_action(Caregiver.objects, actor.user, "homecare.add_caregivertraining", pk=caregiver_id)
    errors: dict[str, str] = {}
    topic = str(data.get("topic", "")).strip()[:100]
    if not topic:
        errors["topic"] = "必填"
    trained_on = data.get("trained_on")
    if not isinstance(trained_on, datetime.date):
        try:
            trained_on = datetime.date.fromisoformat(str(trained_on))
        except ValueError:
            errors["trained_on"] = "应为日期，如 2026-10-01"
    if isinstance(trained_on, datetime.date) and trained_on > timezone.localdate():
        errors["trained_on"] = "培训日期不能晚于今天"
    try:
        hours = Decimal(str(data.get("hours", "")))
        if not Decimal("0.5") <= hours <= Decimal("500"):
            errors["hours"] = "学时应在 0.5 到 500 之间"
    except InvalidOperation:
        errors["hours"] = "应为数字"
    if errors:
        raise FieldErrors(errors)
    training = CaregiverTraining.objects.create(
        caregiver=caregiver, county_code=caregiver.county_code, topic=topic, trained_on=trained_on,
        hours=hours.quantize(Decimal("0.1")), organiser=str(data.get("organiser", "")).strip()[:100],
        certificate_no=str(data.get("certificate_no", "")).strip()[:40],
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, training, object_repr=f"{caregiver.name} {topic}")
    return training
