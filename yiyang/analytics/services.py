"""Dashboards over the region tree: indicators, drill-down, targets, snapshots and monthly reports."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.exports import write_xlsx
from yiyang.core.regioncodes import ancestors, county_of
from yiyang.core.scoping import SYSTEM_READER, ensure_visible, get_visible_or_404
from yiyang.elders.models import Assessment, Elder
from yiyang.regions.models import Region

from . import indicators
from .models import Direction, IndicatorSnapshot, MonthlyReport, ReportStatus, Target


@dataclass
class Dashboard:
    region: Region
    path: list[Region]
    values: dict
    children: list[tuple[indicators.Base, dict]]
    targets: list[dict]
    last_month: dict  # the values of the previous month's snapshot, when one was taken


def dashboard(user, code: str, *, today: date | None = None) -> Dashboard:
    """Every indicator of region `code` and of its children; 404 outside the user's scope."""
    region = get_visible_or_404(Region.objects, user, "view", code=code)
    whole, children = indicators.gather(user, code, today=today)
    values = indicators.values(whole)
    visible = Region.objects.visible_to(user, "view")
    path = [r for r in visible.filter(code__in=ancestors(code)).order_by("code")]
    return Dashboard(
        region=region,
        path=path,
        values=values,
        children=[(child, indicators.values(child)) for child in children],
        targets=progress(user, code, values, today=today),
        last_month=last_month_values(user, code, today=today),
    )


def last_month_values(user, code: str, *, today: date | None = None) -> dict:
    month = previous_month(month_start(today or timezone.localdate()))
    snapshot = IndicatorSnapshot.objects.visible_to(user, "view").filter(region_code=code, month=month).first()
    return snapshot.values if snapshot else {}


def trend(values: dict, last_month: dict, key: str):
    """The change of one indicator against last month, or None when either value is missing."""
    now, then = values.get(key), last_month.get(key)
    if isinstance(now, (int, float)) and isinstance(then, (int, float)):
        return round(now - then, 2)
    return None


def snapshot_all(month: date, max_level: int = 3) -> int:
    """Snapshot every region down to `max_level` (county by default) for `month`; run at month end."""
    codes = list(Region.objects.filter(level__lte=max_level).values_list("code", flat=True))
    for code in codes:
        take_snapshot(SYSTEM_READER, code, month)
    return len(codes)


# --- Targets -----------------------------------------------------------------------------------


def progress(user, code: str, values: dict, *, today: date | None = None) -> list[dict]:
    """This year's targets of the region with the actual value and whether it is on schedule.

    Counts (e.g. renovations done) are expected to grow evenly through the year, so the target is
    prorated by the share of the year gone; rates are compared as they stand.
    """
    today = today or timezone.localdate()
    share_of_year = (today.timetuple().tm_yday) / (366 if today.year % 4 == 0 else 365)
    rows = []
    for target in Target.objects.visible_to(user, "view").filter(region_code=code, year=today.year):
        indicator = indicators.BY_KEY.get(target.indicator)
        if indicator is None:
            continue
        actual = values.get(target.indicator)
        goal = float(target.value)
        expected = (
            goal * share_of_year if indicator.kind == "count" and target.direction == Direction.AT_LEAST else goal
        )
        if actual is None:
            state = "unknown"
        elif target.direction == Direction.AT_LEAST:
            state = "met" if actual >= goal else ("on_track" if actual >= expected else "behind")
        else:
            state = "met" if actual <= goal else "behind"
        rows.append(
            {
                "id": target.pk,
                "indicator": indicator.key,
                "name": indicator.name,
                "unit": indicator.unit,
                "direction": target.direction,
                "target": goal,
                "expected_by_now": round(expected, 2),
                "actual": actual,
                "state": state,
                "note": target.note,
            }
        )
    return rows


STATE_LABELS = {"met": "已达标", "on_track": "进度正常", "behind": "进度落后", "unknown": "暂无数据"}


@transaction.atomic
def set_target(actor: Actor, code: str, year: int, indicator: str, value, direction: str, note: str = "") -> Target:
    errors = {}
    if indicator not in indicators.BY_KEY:
        errors["indicator"] = f"未知的指标：{indicator}"
    try:
        amount = Decimal(str(value))
        if amount < 0 or (
            indicators.BY_KEY.get(indicator) and indicators.BY_KEY[indicator].unit == "%" and amount > 100
        ):
            errors["value"] = "目标值超出合理范围"
    except (InvalidOperation, ValueError):
        errors["value"] = "应为数字"
    if direction not in Direction.values:
        errors["direction"] = "应为 gte 或 lte"
    if not 2000 <= int(year) <= 2100:
        errors["year"] = "年度无效"
    if errors:
        raise FieldErrors(errors)
    get_visible_or_404(Region.objects, actor.user, "view", code=code)
    target, created = Target.objects.update_or_create(
        county_code=county_of(code),
        region_code=code,
        year=year,
        indicator=indicator,
        defaults={"value": amount, "direction": direction, "note": note[:200]},
    )
    ensure_visible(actor.user, target, "change")
    audit.record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        target,
        changes={"value": [None, str(amount)], "direction": [None, direction]},
    )
    return target


# --- Live counters -----------------------------------------------------------------------------


SCREEN_OPEN_ALARMS = 8  # the big screen lists the latest open alarms, without names


def today_counters(user, code: str) -> dict:
    """The big screen's live figures for the region: elders registered, assessments and orders today, alarms
    today and open now, with the latest open alarms by kind, state, community and minutes open (no names:
    a big screen hangs in a hall)."""
    from yiyang.care.models import OPEN_STATES, Alarm
    from yiyang.core.regioncodes import region_range_q
    from yiyang.homecare.models import Order
    from yiyang.regions.pickers import region_names

    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    within = region_range_q("region_code", code)
    elders = Elder.objects.visible_to(user, "view").filter(created_at__gte=start)
    assessed = Assessment.objects.visible_to(user, "view").filter(created_at__gte=start)
    orders = Order.objects.visible_to(user, "homecare.view_order").filter(created_at__gte=start)
    alarms = Alarm.objects.visible_to(user, "care.view_alarm").filter(within)
    open_alarms = list(alarms.filter(state__in=OPEN_STATES).order_by("-opened_at")[:SCREEN_OPEN_ALARMS])
    names = region_names(a.region_code for a in open_alarms)
    return {
        "registered_today": elders.filter(within).count(),
        "assessed_today": assessed.filter(within).count(),
        "orders_today": orders.filter(within).count(),
        "alarms_today": alarms.filter(opened_at__gte=start).count(),
        "alarms_open": alarms.filter(state__in=OPEN_STATES).count(),
        "open_alarms": [
            {
                "kind": alarm.get_kind_display(),
                "state": alarm.get_state_display(),
                "community": names.get(alarm.region_code, ""),
                "minutes": max(0, int((now - alarm.opened_at).total_seconds() // 60)),
            }
            for alarm in open_alarms
        ],
    }


# --- Snapshots and monthly reports -------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)


def take_snapshot(user, code: str, month: date) -> IndicatorSnapshot:
    """Record the region's indicators for `month` (taken again, it replaces the earlier values)."""
    whole, _ = indicators.gather(user, code)
    snapshot, _ = IndicatorSnapshot.objects.update_or_create(
        county_code=county_of(code),
        region_code=code,
        month=month_start(month),
        defaults={"values": indicators.values(whole), "taken_at": timezone.now()},
    )
    return snapshot


def create_report(actor: Actor, code: str, month: date) -> MonthlyReport:
    """Record a requested report; `tasks.request_report` queues its building."""
    get_visible_or_404(Region.objects, actor.user, "view", code=code)
    return MonthlyReport.objects.create(region_code=code, month=month_start(month), requested_by=actor.user)


def build_report(report_id: int) -> None:
    """Write the report: every indicator of the region and its children, with the change against the
    snapshot of the month before."""
    report = MonthlyReport.objects.select_related("requested_by").get(pk=report_id)
    user = report.requested_by
    try:
        board = dashboard(user, report.region_code)
        take_snapshot(user, report.region_code, report.month)
        before = IndicatorSnapshot.objects.filter(
            region_code=report.region_code, month=previous_month(report.month)
        ).first()
        previous = before.values if before else {}
        headers = ["指标", "单位", board.region.name, "上月", "变化", *[child.name for child, _ in board.children]]
        rows = []
        for indicator in indicators.REGISTRY:
            now, then = board.values.get(indicator.key), previous.get(indicator.key)
            change = round(now - then, 2) if isinstance(now, (int, float)) and isinstance(then, (int, float)) else ""
            rows.append(
                [indicator.name, indicator.unit, _cell(now), _cell(then), change,
                 *[_cell(values.get(indicator.key)) for _, values in board.children]]
            )  # fmt: skip
        folder = Path(settings.MEDIA_ROOT) / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"report-{report.pk}-{report.region_code}-{report.month:%Y%m}.xlsx"
        with write_xlsx(headers, rows, sheet_name=f"{report.month:%Y年%m月}") as handle, path.open("wb") as out:
            out.write(handle.read())
        MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.DONE, file=str(path))
    except Exception:
        MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED)
        raise


def _cell(value):
    return "" if value is None else value


def export_table(actor: Actor, code: str):
    """The children of a region with every indicator, as .xlsx (the dashboard's table view)."""
    board = dashboard(actor.user, code)
    headers = ["区划", "代码", *[f"{i.name}（{i.unit}）" for i in indicators.REGISTRY]]
    rows = [
        [board.region.name + "（合计）", board.region.code, *[_cell(board.values[i.key]) for i in indicators.REGISTRY]]
    ]
    rows += [
        [child.name, child.code, *[_cell(values[i.key]) for i in indicators.REGISTRY]]
        for child, values in board.children
    ]
    handle = write_xlsx(headers, rows, sheet_name="指标")
    audit.record(actor, AuditAction.EXPORT, object_type="analytics.dashboard", object_repr=f"导出 {board.region.name} 指标表",
                 region_code=code)  # fmt: skip
    return handle
