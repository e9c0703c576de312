"""Time bank (时间银行): volunteers earn hours for confirmed service, up to a cap, and later redeem them
for services or transfer them to a family member. There is no national rule; the cap and the
redemption age are local configuration (Nanjing: 1,500 hours; Beijing: redemption from age 60)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from yiyang.core import audit, phones
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.idnumber import age_on
from yiyang.core.ledger import post_once
from yiyang.core.regioncodes import InvalidRegionCode, Level, county_of, level_of, normalize
from yiyang.core.scoping import ensure_visible, get_visible_or_404
from yiyang.elders.models import Elder

from .models import TimeEntry, Volunteer, VolunteerService
from .workflows import VOLUNTEER_SERVICE


@dataclass(frozen=True)
class Rules:
    cap_hours: Decimal
    redeem_age: int


def rules() -> Rules:
    config = getattr(settings, "TIME_BANK", {})
    return Rules(Decimal(str(config.get("cap_hours", 1500))), int(config.get("redeem_age", 60)))


def balance(volunteer_id: int) -> Decimal:
    return TimeEntry.objects.filter(volunteer_id=volunteer_id).aggregate(s=Sum("hours"))["s"] or Decimal("0")


def balances(volunteer_ids) -> dict[int, Decimal]:
    """{volunteer id: balance} for many volunteers in one query (a list page)."""
    ids = list(volunteer_ids)
    sums = dict(
        TimeEntry.objects.filter(volunteer_id__in=ids).values("volunteer_id").annotate(s=Sum("hours"))
        .values_list("volunteer_id", "s")
    )  # fmt: skip
    return {pk: sums.get(pk) or Decimal("0") for pk in ids}


def _hours(value, field: str = "hours") -> Decimal:
    try:
        hours = Decimal(str(value))
        if not hours.is_finite():  # "NaN" would compare false with both limits below
            raise InvalidOperation
        hours = hours.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise FieldErrors({field: "应为小时数，如 1.5"}) from None
    if not Decimal("0.1") <= hours <= Decimal("24"):
        raise FieldErrors({field: "每次应在 0.1 到 24 小时之间"})
    return hours


def _entry(volunteer: Volunteer, kind: str, hours: Decimal, key: str, note: str = "") -> bool:
    return post_once(TimeEntry, volunteer=volunteer, region_code=volunteer.region_code,
                     county_code=volunteer.county_code, kind=kind, hours=hours, key=key, note=note)  # fmt: skip


@transaction.atomic
def register(actor: Actor, name: str, phone: str, region_code: str, elder_id: int | None = None) -> Volunteer:
    errors = {}
    if not name.strip():
        errors["name"] = "必填"
    try:
        phone = phones.normalize(phone)
        if not phone:
            errors["phone"] = "必填"
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    try:
        code = normalize(region_code)
        if level_of(code) != Level.COMMUNITY:
            errors["region_code"] = "应为社区（村）代码"
    except InvalidRegionCode as exc:
        errors["region_code"] = str(exc)
    if errors:
        raise FieldErrors(errors)
    if elder_id is not None:
        get_visible_or_404(Elder.objects, actor.user, "view", pk=elder_id)
    volunteer = Volunteer.objects.create(name=name.strip()[:50], phone=phone, region_code=code,
                                         county_code=county_of(code), elder_id=elder_id)  # fmt: skip
    ensure_visible(actor.user, volunteer, "add")
    audit.record(actor, AuditAction.CREATE, volunteer)
    return volunteer


@transaction.atomic
def report(actor: Actor, volunteer_id: int, day: date, hours, description: str, served_elder_id: int | None = None):
    volunteer = get_visible_or_404(Volunteer.objects, actor.user, "view", pk=volunteer_id)
    amount = _hours(hours)
    if day > timezone.localdate():
        raise FieldErrors({"day": "服务日期不能晚于今天"})
    if not description.strip():
        raise FieldErrors({"description": "请填写服务内容"})
    return VolunteerService.objects.create(volunteer=volunteer, region_code=volunteer.region_code,
                                           county_code=volunteer.county_code, served_elder_id=served_elder_id,
                                           day=day, hours=amount, description=description.strip()[:300])  # fmt: skip


@transaction.atomic
def confirm(actor: Actor, service_id: int, accepted: bool = True) -> VolunteerService:
    """The served person (or family) or the organiser confirms or rejects the reported hours."""
    return decide(actor, service_id, "confirm" if accepted else "reject")


@transaction.atomic
def decide(actor: Actor, service_id: int, step: str) -> VolunteerService:
    """Take a step of the record's workflow ("confirm" or "reject"); on confirmation the hours are
    credited once, up to the cap: hours beyond it are recorded as not credited."""
    if step not in VOLUNTEER_SERVICE:
        get_visible_or_404(VolunteerService.objects, actor.user, "view", pk=service_id)
        raise FieldErrors({"step": "应为确认或退回"})
    service = VOLUNTEER_SERVICE.lock(actor, service_id, step, VolunteerService.objects.select_related("volunteer"))
    VOLUNTEER_SERVICE.move(actor, service, step)
    service.confirmed_by = actor.db_user
    service.save(update_fields=["state", "confirmed_by"])
    if service.state == VolunteerService.State.CONFIRMED:
        # The workflow locks the record alone: the volunteer's row is locked here so that two records of
        # one volunteer confirmed at once cannot both fit under the cap.
        Volunteer.objects.select_for_update().filter(pk=service.volunteer_id).first()
        room = max(rules().cap_hours - balance(service.volunteer_id), Decimal("0"))
        credited = min(service.hours, room)
        note = (
            ""
            if credited == service.hours
            else f"超出 {rules().cap_hours} 小时上限，{service.hours - credited} 小时未存入"
        )
        if credited:
            _entry(service.volunteer, TimeEntry.Kind.EARN, credited, f"service-{service.pk}", note)
    return service


@transaction.atomic
def redeem(actor: Actor, volunteer_id: int, hours, key: str, note: str = "") -> bool:
    """Spend hours on services for the volunteer, who must have reached the redemption age."""
    volunteer = get_visible_or_404(Volunteer.objects.select_for_update(), actor.user, "change", pk=volunteer_id)
    amount = _hours(hours)
    elder = Elder.objects.filter(pk=volunteer.elder_id).first() if volunteer.elder_id else None
    if elder is None or age_on(elder.birth_date, timezone.localdate()) < rules().redeem_age:
        raise FieldErrors({"volunteer": f"年满 {rules().redeem_age} 岁（已关联老人档案）方可兑换服务"})
    if balance(volunteer.pk) < amount:
        raise FieldErrors({"hours": f"余额不足，当前 {balance(volunteer.pk)} 小时"})
    return _entry(volunteer, TimeEntry.Kind.REDEEM, -amount, key, note)


@transaction.atomic
def transfer(actor: Actor, from_id: int, to_id: int, hours, key: str) -> bool:
    """Give hours to a family member's account; both entries are written or neither."""
    giver = get_visible_or_404(Volunteer.objects.select_for_update(), actor.user, "change", pk=from_id)
    receiver = get_visible_or_404(Volunteer.objects, actor.user, "view", pk=to_id)
    amount = _hours(hours)
    if giver.pk == receiver.pk:
        raise FieldErrors({"to": "不能转给自己"})
    if balance(giver.pk) < amount:
        raise FieldErrors({"hours": f"余额不足，当前 {balance(giver.pk)} 小时"})
    if not _entry(giver, TimeEntry.Kind.TRANSFER_OUT, -amount, f"{key}-out", f"转给 {receiver.name}"):
        return False
    _entry(receiver, TimeEntry.Kind.TRANSFER_IN, amount, f"{key}-in", f"来自 {giver.name}")
    return True
