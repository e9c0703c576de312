"""Reporting periods per county and month (DHIS2's data approval): opened by the county, submitted,
approved and locked by the city, reopened with a reason. A locked month refuses linked systems' writes
dated in it (writes.py)."""

from datetime import date

from django.db import IntegrityError, transaction

from yiyang.core import audit
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.regioncodes import Level, level_of
from yiyang.regions.services import requested_region

from .models import PeriodStatus, ReportingPeriod
from .workflows import PERIOD


def first_of_month(raw) -> date:
    try:
        if isinstance(raw, date):
            return raw.replace(day=1)
        year, month = (int(part) for part in str(raw).strip()[:7].split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise FieldErrors({"month": "应为年月，如 2026-03"}) from None


def open_period(actor: Actor, region: str, month) -> ReportingPeriod:
    """The county's period of `month`, opened if it is not yet (a second call finds the same one)."""
    code = requested_region(actor.user, region, default=None, action="exchange.submit_reportingperiod")
    if level_of(code) != Level.COUNTY:
        raise FieldErrors({"region": "报送期按县（区）开启"})
    month = first_of_month(month)
    found = ReportingPeriod.objects.filter(county_code=code[:6], region_code=code, month=month).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            period = ReportingPeriod.objects.create(region_code=code, county_code=code[:6], month=month)
            audit.record(actor, AuditAction.CREATE, period, object_repr=f"报送期 {code} {month:%Y-%m}")
    except IntegrityError:  # opened by a concurrent click
        return ReportingPeriod.objects.get(county_code=code[:6], region_code=code, month=month)
    return period


def move(actor: Actor, period_id: int, step: str, note: str = "", expected_version: int | None = None):
    """Take one step of the period's workflow (404 outside the scope, 403 without the right or level,
    409 from the wrong state or a stale version), audited."""
    if step not in PERIOD:
        raise FieldErrors({"step": "没有这个环节"})
    with transaction.atomic():
        period = PERIOD.run(actor, period_id, step, note, expected_version=expected_version)
        audit.record(actor, AuditAction.UPDATE, period, changes={"status": [PERIOD[step].source[0], period.status]},
                     object_repr=f"报送期 {period.region_code} {period.month:%Y-%m}：{PERIOD[step].label}")  # fmt: skip
    return period


def locked_months(county_code: str, days) -> set[date]:
    """Of the months of `days`, those locked for the county."""
    months = {d.replace(day=1) for d in days if d is not None}
    if not months:
        return set()
    return set(
        ReportingPeriod.objects.filter(
            county_code=county_code, region_code=county_code + "000000", month__in=months, status=PeriodStatus.LOCKED
        ).values_list("month", flat=True)
    )
