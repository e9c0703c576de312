"""The month's data in the national system's field layout (全国养老服务信息系统), for a region whose counties
have all had the month approved (periods.py).

The layout is data (`data/national_layout.json`, or the file a province names in NATIONAL_LAYOUT_FILE): per
layout, the national system's coded field names, our field each comes from, and the dictionary that
translates our values into its codes. Most codes are placeholders (`verified: false`) until a province
holds the official list; the export says so. Every region code must be a 12-digit code of the national
division dictionary (the regions registry); a row that fails it, or whose value the dictionary lacks, is
left out and listed with its reason, never sent with a guessed code.

Delivery goes through an adapter: `FileAdapter` writes the .xlsx a province uploads by hand. A province
whose system takes an API call adds an adapter with the same `deliver(layout, rows)` and names it in
NATIONAL_ADAPTER; the rows it gets are the checked rows below.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from yiyang.core import audit, exports
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.regioncodes import Level, region_range_q
from yiyang.facilities.models import Facility
from yiyang.homecare.models import Order, OrderStatus
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from .models import PeriodStatus, ReportingPeriod
from .periods import first_of_month

DEFAULT_LAYOUT = Path(__file__).parent / "data" / "national_layout.json"
DONE = (PeriodStatus.APPROVED, PeriodStatus.LOCKED)


@cache
def _layout_file(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def layout() -> dict:
    return _layout_file(str(getattr(settings, "NATIONAL_LAYOUT_FILE", "") or DEFAULT_LAYOUT))


def _rows(user, name: str, region: str, month: date):
    """The source rows of one layout, through the one scoping mechanism."""
    if name == "facilities":
        queryset = Facility.objects.visible_to(user, "view").filter(region_range_q("region_code", region))
        return queryset.order_by("code")
    if name == "home_services":
        end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return (
            Order.objects.visible_to(user, "view")
            .filter(region_range_q("region_code", region), status__in=(OrderStatus.COMPLETED, OrderStatus.RATED))
            .filter(checked_out_at__date__gte=month, checked_out_at__date__lt=end)
            .order_by("id")
        )
    raise FieldErrors({"layout": f"没有这个格式：{name}"})


@dataclass
class Export:
    name: str
    label: str
    month: date
    region: str
    columns: list[dict]
    rows: list[list] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (row id, reason)
    unverified: list[str] = field(default_factory=list)


def not_approved(region: str, month: date) -> list[str]:
    """The counties under `region` whose month is not approved or locked yet."""
    counties = Region.objects.filter(region_range_q("code", region), level=Level.COUNTY).values_list("code", "name")
    done = set(
        ReportingPeriod.objects.filter(region_range_q("region_code", region), month=month, status__in=DONE)
        .values_list("region_code", flat=True)
    )  # fmt: skip
    return [f"{name}（{code[:6]}）" for code, name in counties if code not in done]


def build(actor: Actor, name: str, region_raw: str, month_raw) -> Export:
    region = requested_region(actor.user, region_raw, default=None, action="exchange.export_national")
    month = first_of_month(month_raw)
    spec = layout()["layouts"].get(name)
    if spec is None:
        raise FieldErrors({"layout": f"没有这个格式：{name}"})
    if waiting := not_approved(region, month):
        raise Conflict(f"{month:%Y-%m} 尚有县（区）的报送期未审核：{'、'.join(waiting[:20])}", code="not_approved")
    columns = spec["columns"]
    result = Export(name, spec["label"], month, region, columns)
    result.unverified = [c["code"] for c in columns if not c.get("verified") or c.get("dictionary_verified") is False]
    sources = [c["source"] for c in columns]
    queryset = _rows(actor.user, name, region, month).values("id", *{s for s in sources if s != "id"})
    codes = {c["source"] for c in columns if c.get("region")}
    known = set(Region.objects.filter(region_range_q("code", region)).values_list("code", flat=True))
    for values in queryset.iterator(chunk_size=2000):
        line, reason = [], ""
        for column in columns:
            value = values[column["source"]]
            if column["source"] in codes and (len(str(value)) != 12 or value not in known):
                reason = f"{column['label']} {value} 不在全国区划代码中"
            if dictionary := column.get("dictionary"):
                if value not in dictionary:
                    reason = reason or f"{column['label']} 的值 {value} 没有对应的代码"
                value = dictionary.get(value)
            elif column.get("fen") and value is not None:
                value = round(value / 100, 2)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            if column.get("required") and value in (None, ""):
                reason = reason or f"{column['label']} 为空"
            line.append(value)
        if reason:
            result.refused.append((str(values["id"]), reason))
        else:
            result.rows.append(line)
    return result


class FileAdapter:
    """The export as an .xlsx file: the national codes as the header row, their Chinese names in the second."""

    name = "file"

    def deliver(self, export: Export):
        rows = [[c["label"] + ("（待核实）" if c["code"] in export.unverified else "") for c in export.columns]]
        return exports.write_xlsx([c["code"] for c in export.columns], rows + export.rows, sheet_name=export.name)


def adapter():
    path = getattr(settings, "NATIONAL_ADAPTER", "")
    return import_string(path)() if path else FileAdapter()


def deliver(actor: Actor, export: Export):
    delivered = adapter().deliver(export)
    audit.record(
        actor, AuditAction.EXPORT, object_type="exchange.national",
        object_repr=f"全国系统格式「{export.label}」{export.region} {export.month:%Y-%m}：{len(export.rows)} 行，"
                    f"未导出 {len(export.refused)} 行",
        region_code=export.region,
    )  # fmt: skip
    return delivered
