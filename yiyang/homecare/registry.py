"""Maintaining the service menu (validation, scope, audit). Providers and caregivers are registered by
the providers app's services."""

from django.db import transaction

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import county_of
from yiyang.core.scoping import ensure_visible, get_visible_or_404
from yiyang.elders import categories
from yiyang.providers.services import int_field, region_field

from .models import ServiceCategory, ServiceItem, Unit


@transaction.atomic
def save_item(actor: Actor, data: dict, item_id: int | None = None) -> ServiceItem:
    """Create or change a menu entry. Prices arrive in fen; subsidies as {category code: percent}."""
    errors: dict[str, str] = {}
    item = get_visible_or_404(ServiceItem.objects, actor.user, "change", pk=item_id) if item_id else ServiceItem()
    region = region_field(data.get("region_code", item.region_code), "region_code", errors)
    values = {
        "code": str(data.get("code", item.code) or "").strip()[:20],
        "name": str(data.get("name", item.name) or "").strip()[:50],
        "category": data.get("category", item.category),
        "unit": data.get("unit", item.unit),
        "price": int_field(data.get("price", item.price), "price", errors, 0, 10_000_000),
        "duration_minutes": int_field(data.get("duration_minutes", item.duration_minutes), "duration_minutes", errors, 1, 1440),
        "min_minutes": int_field(data.get("min_minutes", item.min_minutes), "min_minutes", errors, 0, 1440),
        "required_skill": int_field(data.get("required_skill", item.required_skill), "required_skill", errors, 1, 5,
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
