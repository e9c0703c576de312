"""Operation subsidies (运营补贴): the monthly calculation from the residents on record, the review
chain (facility applies → county reviews → city approves → disbursement) and the payment ledger.

A facility has at most one claim per month (a unique key), so recalculating a month, or two officers
calculating it at once, adds nothing; a payment is a ledger entry keyed by facility and month, so a
claim is never paid twice.
"""

import calendar
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from yiyang.core import audit, bulk
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.regioncodes import (
    InvalidRegionCode,
    ancestors,
    county_of,
    normalize,
    region_range_q,
)
from yiyang.core.scoping import ensure_visible, get_for_action
from yiyang.facilities.models import Facility, FacilityStatus, FacilityType, Residence

from ..models import ClaimStatus, LineKind, SubsidyClaim, SubsidyLine, SubsidyPayment, SubsidyRateTable, SubsidyStep
from ..workflows import CLAIM

LEVELS = ("0", "1", "2", "3", "4")


def first_of_month(value: date) -> date:
    return value.replace(day=1)


def last_of_month(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


# --- Rate tables ---------------------------------------------------------------------------------


@transaction.atomic
def save_rate_table(actor: Actor, data: dict) -> SubsidyRateTable:
    errors = {}
    try:
        code = normalize(data.get("region_code", ""))
    except InvalidRegionCode as exc:
        errors["region_code"] = str(exc)
        code = ""
    if not str(data.get("name", "")).strip():
        errors["name"] = "请填写政策名称"
    rates = data.get("level_rates") or {}
    if set(map(str, rates)) != set(LEVELS):
        errors["level_rates"] = "应为能力等级 0 至 4 各填一个金额"
    elif any(not isinstance(v, int) or v < 0 or v > 1_000_000 for v in rates.values()):
        errors["level_rates"] = "每人每月金额应为 0 到 1,000,000 分之间的整数"
    types = data.get("facility_types") or []
    if not types or any(t not in FacilityType.values for t in types):
        errors["facility_types"] = "请选择适用的机构类型"
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if not isinstance(valid_from, date):
        errors["valid_from"] = "请填写起始月份"
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "截止月份不能早于起始月份"
    if not 1 <= int(data.get("min_days", 15)) <= 31:
        errors["min_days"] = "应为 1 到 31 天"
    if not 0 <= int(data.get("nursing_level", 2)) <= 4:
        errors["nursing_level"] = "应为能力等级 0 至 4"
    if errors:
        raise FieldErrors(errors)
    table = SubsidyRateTable.objects.create(
        region_code=code, county_code=county_of(code), name=data["name"].strip()[:100],
        document=str(data.get("document", ""))[:100], valid_from=first_of_month(valid_from),
        valid_until=first_of_month(valid_until) if valid_until else None, facility_types=list(types),
        level_rates={str(k): int(v) for k, v in rates.items()}, unassessed_rate=int(data.get("unassessed_rate", 0)),
        nursing_level=int(data.get("nursing_level", 2)), nursing_extra=int(data.get("nursing_extra", 0)),
        construction_per_bed=int(data.get("construction_per_bed", 0)), min_days=int(data.get("min_days", 15)),
    )  # fmt: skip
    ensure_visible(actor.user, table, "add")
    audit.record(actor, AuditAction.CREATE, table, object_repr=str(table))
    return table


class RateTables:
    """The tables valid in a month, and for a facility's region the nearest one above it."""

    def __init__(self, month: date):
        tables = SubsidyRateTable.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=month), valid_from__lte=month
        ).order_by("region_code", "-valid_from", "-id")
        self.by_region: dict[str, SubsidyRateTable] = {}
        for table in tables:
            self.by_region.setdefault(table.region_code, table)  # the newest per region wins
        self._cache: dict[str, SubsidyRateTable | None] = {}

    def for_region(self, region_code: str) -> SubsidyRateTable | None:
        if region_code not in self._cache:
            chain = [region_code, *reversed(ancestors(region_code))]
            self._cache[region_code] = next((self.by_region[c] for c in chain if c in self.by_region), None)
        return self._cache[region_code]


# --- The calculation -----------------------------------------------------------------------------


@dataclass
class Resident:
    elder_id: int
    level: int | None  # None: no valid assessment in the month
    days: int


def resident_lines(table: SubsidyRateTable, residents: list[Resident], beds_nursing: int,
                   beds_total: int, beds_paid: int) -> list[tuple]:  # fmt: skip
    """(kind, elder_id, level, days, quantity, amount) for one facility-month; pure, so that tests can
    compare it with a hand computation."""
    lines = []
    counted = [r for r in residents if r.days >= table.min_days]
    for r in counted:
        lines.append((LineKind.OPERATION, r.elder_id, r.level, r.days, 1, table.rate_for(r.level)))
    if table.nursing_extra:
        needing = sum(1 for r in counted if r.level is not None and r.level >= table.nursing_level)
        paid_for = min(needing, beds_nursing)
        if paid_for:
            lines.append((LineKind.NURSING, None, None, 0, paid_for, paid_for * table.nursing_extra))
    new_beds = beds_total - beds_paid
    if table.construction_per_bed and new_beds > 0:
        lines.append((LineKind.CONSTRUCTION, None, None, 0, new_beds, new_beds * table.construction_per_bed))
    return lines


def _residents_by_facility(region_code: str, month: date, facility_ids: set[int]) -> dict[int, list[Resident]]:
    """Everyone in residence during the month, with the days they were there and their capability level
    if their latest assessment was still valid at the start of the month."""
    month_end = last_of_month(month)
    rows = (
        Residence.objects.filter(region_range_q("region_code", region_code), admitted_on__lte=month_end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=month))
        .values_list(
            "facility_id", "elder_id", "admitted_on", "left_on", "elder__capability_level", "elder__assessment_due"
        )  # fmt: skip
    )
    found: dict[int, list[Resident]] = defaultdict(list)
    for facility_id, elder_id, admitted_on, left_on, level, due in rows.iterator(chunk_size=20_000):
        if facility_id not in facility_ids:
            continue
        days = ((min(left_on, month_end) if left_on else month_end) - max(admitted_on, month)).days + 1
        valid = level is not None and due is not None and due >= month
        found[facility_id].append(Resident(elder_id, level if valid else None, days))
    return found


def _beds_paid(facility_ids: list[int], month: date) -> dict[int, int]:
    """Beds each facility already received a construction subsidy for in the months before `month`,
    the same whether a month is calculated on time, late, or recalculated."""
    return dict(
        SubsidyLine.objects.filter(kind=LineKind.CONSTRUCTION, claim__facility_id__in=facility_ids,
                                   claim__month__lt=month)
        .values_list("claim__facility_id")
        .annotate(n=Sum("quantity"))
    )  # fmt: skip


@dataclass
class Calculation:
    created: int = 0
    skipped: int = 0
    amount: int = 0


def calculate_month(actor: Actor, region_code: str, month: date) -> Calculation:
    """Compute the claims of every eligible facility under a region for a month. Facilities that
    already have a claim for that month are left as they are (rerun-safe, also under concurrency)."""
    try:
        code = normalize(region_code)
    except InvalidRegionCode as exc:
        raise FieldErrors({"region_code": str(exc)}) from None
    month = first_of_month(month)
    if month > first_of_month(timezone.localdate()):
        raise FieldErrors({"month": "不能测算未来月份的补贴"})
    facilities = list(
        Facility.objects.visible_to(actor.user, "supervision.add_subsidyclaim")
        .filter(region_range_q("region_code", code), status=FacilityStatus.OPERATING)
        .values_list("pk", "region_code", "county_code", "facility_type", "beds_total", "beds_nursing")
    )
    done = set(
        SubsidyClaim.objects.filter(region_range_q("region_code", code), month=month).values_list(
            "facility_id", flat=True
        )
    )
    tables = RateTables(month)
    todo = {}
    for pk, region, county, kind, beds_total, beds_nursing in facilities:
        table = tables.for_region(region)
        if pk in done or table is None or kind not in table.facility_types:
            continue
        todo[pk] = (region, county, table, beds_total, beds_nursing)
    # Only the user's own facilities count as skipped: a figure about others would leak their claims.
    result = Calculation(skipped=sum(1 for row in facilities if row[0] in done))
    if not todo:
        return result
    residents = _residents_by_facility(code, month, set(todo))
    beds_paid = _beds_paid(list(todo), month) if any(t[2].construction_per_bed for t in todo.values()) else {}
    by_county: dict[str, list[int]] = defaultdict(list)
    for pk, (_, county, *_rest) in todo.items():
        by_county[county].append(pk)
    for _county, facility_ids in sorted(by_county.items()):
        created, amount = _write_county(actor, month, facility_ids, todo, residents, beds_paid)
        result.created += created
        result.skipped += len(facility_ids) - created
        result.amount += amount
    audit.record(actor, AuditAction.CREATE, object_type="supervision.subsidyclaim",
                 object_repr=f"测算 {code} {month:%Y-%m} 运营补贴：新增 {result.created} 家，金额 {result.amount} 分")  # fmt: skip
    return result


def _write_county(actor, month, facility_ids, todo, residents, beds_paid) -> tuple[int, int]:
    """Write the claims of one county in one transaction: the claims first (a claim another run wrote
    meanwhile is skipped by the unique key), then the lines and steps of the claims this run owns."""
    run_id = uuid.uuid4().hex
    now = timezone.now()
    lines_of, claims = {}, []
    for pk in facility_ids:
        region, county, table, beds_total, beds_nursing = todo[pk]
        lines = resident_lines(table, residents.get(pk, []), beds_nursing, beds_total, beds_paid.get(pk, 0))
        lines_of[pk] = lines
        claims.append(SubsidyClaim(
            facility_id=pk, region_code=region, county_code=county, month=month, rate_table=table,
            residents=sum(1 for line in lines if line[0] == LineKind.OPERATION),
            amount=sum(line[5] for line in lines), run_id=run_id, calculated_at=now,
        ))  # fmt: skip
    by = getattr(actor.db_user, "pk", None)
    with transaction.atomic():
        SubsidyClaim.objects.bulk_create(claims, ignore_conflicts=True, batch_size=1000)
        mine = list(
            SubsidyClaim.objects.filter(run_id=run_id).values_list("pk", "facility_id", "county_code", "amount")
        )
        line_rows = (
            (claim_id, county, kind, elder_id, level, days, quantity, line_amount)
            for claim_id, facility_id, county, _ in mine
            for kind, elder_id, level, days, quantity, line_amount in lines_of[facility_id]
        )
        bulk.insert(SubsidyLine, ("claim", "county_code", "kind", "elder_id", "capability_level", "days", "quantity",
                                  "amount"), line_rows)  # fmt: skip
        bulk.insert(SubsidyStep, ("claim", "county_code", "action", "note", "by", "by_name", "at"),
                    ((claim_id, county, "calculated", "", by, actor.name, now)
                     for claim_id, _, county, _ in mine))  # fmt: skip
    return len(mine), sum(amount for *_, amount in mine)


@transaction.atomic
def recalculate(actor: Actor, claim_id: int) -> SubsidyClaim:
    """Recompute a claim not yet submitted (residents or assessments changed since)."""
    claim = _claim(actor, claim_id, "supervision.add_subsidyclaim")
    if claim.status != ClaimStatus.CALCULATED:
        raise Conflict(f"该申报已{claim.get_status_display()}，不能重新测算", code="invalid_transition")
    facility = claim.facility
    table = RateTables(claim.month).for_region(facility.region_code) or claim.rate_table
    residents = _residents_by_facility(facility.region_code, claim.month, {facility.pk}).get(facility.pk, [])
    beds_paid = _beds_paid([facility.pk], claim.month).get(facility.pk, 0)
    lines = resident_lines(table, residents, facility.beds_nursing, facility.beds_total, beds_paid)
    SubsidyLine.objects.filter(claim=claim).delete()
    SubsidyLine.objects.bulk_create(
        SubsidyLine(claim=claim, county_code=claim.county_code, kind=k, elder_id=e, capability_level=lvl, days=d,
                    quantity=q, amount=a)
        for k, e, lvl, d, q, a in lines
    )  # fmt: skip
    claim.rate_table = table
    claim.residents = sum(1 for line in lines if line[0] == LineKind.OPERATION)
    claim.amount = sum(line[5] for line in lines)
    claim.calculated_at = timezone.now()
    claim.save(update_fields=["rate_table", "residents", "amount", "calculated_at"])
    _step(actor, claim, "recalculated", f"重新测算：{claim.residents} 人，{claim.amount} 分")
    return claim


# --- The review chain ----------------------------------------------------------------------------

# The review chain is declared in `supervision/workflows.py` (CLAIM); the history also shows the
# calculation steps, which are not transitions.
STEP_LABELS = {"calculated": "测算", "recalculated": "重新测算", **{t.name: t.label for t in CLAIM.transitions}}


def _claim(actor: Actor, claim_id: int, permission: str) -> SubsidyClaim:
    return get_for_action(SubsidyClaim.objects.select_related("facility"), actor.user, permission, lock=True,
                          pk=claim_id)  # fmt: skip


def _step(actor: Actor, claim: SubsidyClaim, action: str, note: str = "") -> None:
    SubsidyStep.objects.create(claim=claim, county_code=claim.county_code, action=action, note=note[:1000],
                               **SubsidyStep.by_actor(actor))  # fmt: skip


@transaction.atomic
def take_step(actor: Actor, claim_id: int, step: str, note: str = "") -> SubsidyClaim:
    if step not in CLAIM:
        raise FieldErrors({"step": "不是可选的办理环节"})
    claim = CLAIM.lock(actor, claim_id, step, SubsidyClaim.objects.select_related("facility"))
    CLAIM.move(actor, claim, step, note)
    if step == "pay":
        written = post_once(
            SubsidyPayment, claim=claim, facility=claim.facility, region_code=claim.region_code,
            county_code=claim.county_code, amount=claim.amount,
            idempotency_key=f"operation:{claim.facility_id}:{claim.month:%Y-%m}",
            by=actor.db_user,
        )  # fmt: skip
        if not written:
            raise Conflict("该机构这个月的补贴已经拨付过", code="already_paid")
    claim.save(update_fields=["status"])
    audit.record(
        actor, AuditAction.UPDATE, claim, object_repr=f"{claim.facility.name} {claim.month:%Y-%m} {STEP_LABELS[step]}"
    )
    return claim


def paid_total(claims) -> int:
    return SubsidyPayment.objects.filter(claim__in=claims).aggregate(total=Sum("amount"))["total"] or 0
