"""Importing a vendor's device list (.xlsx or .csv, as a vendor hands it over after an installation round):
one row per device, keyed by vendor and device number, bound to an elder found by ID number within the
importer's scope. Re-importing updates, never blanks; events already waiting for a listed device are bound
to it. Run as a job by the imports app (preview first, resumable)."""

from yiyang.core import audit, dates, idnumber
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.scoping import region_predicate
from yiyang.core.tabular import Column
from yiyang.elders.importers import CLEAR_MARKERS, ImportResult, Plan, RowError, cell_refusals, given_values, tidy
from yiyang.elders.models import Elder

from .models import BindingState, Device, DeviceEvent, DeviceKind, DeviceStatus, Vendor

COLUMNS = [
    Column("vendor", "厂商平台编码", aliases=("平台编码", "厂商编码", "厂商", "设备厂商", "平台")),
    Column("external_id", "设备编号", aliases=("设备号", "设备ID", "IMEI", "IMEI号", "序列号", "设备序列号", "SN")),
    Column("kind", "设备类型", aliases=("类型", "设备类别", "设备名称", "产品类型")),
    Column("id_number", "老人身份证号码", aliases=("身份证号码", "身份证号", "公民身份号码", "证件号码")),
    Column("installed_where", "安装位置", required=False, aliases=("安装地点", "安装房间", "位置")),
    Column("installed_on", "安装日期", required=False, aliases=("安装时间",)),
    Column("heartbeat_seconds", "心跳周期（秒）", required=False, aliases=("心跳周期", "心跳间隔（秒）", "心跳间隔")),
]
EXAMPLE_ROWS = [["anxin", "860000000000001", "智能手表", "411002194503080021", "随身佩戴", "2026-03-01", "3600"]]
HEADERS = {c.key: c.header for c in COLUMNS}
EDITABLE = ("kind", "elder_id", "region_code", "county_code", "installed_where", "installed_on", "heartbeat_seconds")
KIND_BY_TEXT = {**{v: v for v in DeviceKind.values}, **{str(label): value for value, label in DeviceKind.choices},
                "手表": "watch", "定位手表": "watch", "一键呼叫": "sos_button", "紧急呼叫按钮": "sos_button", "呼叫器": "sos_button",
                "烟感": "smoke", "烟感报警器": "smoke", "燃气报警": "gas", "可燃气体报警器": "gas", "水浸": "water_leak",
                "水表": "water_meter", "门磁传感器": "door", "人体感应": "motion", "红外": "motion", "雷达": "radar",
                "跌倒雷达": "radar", "床垫": "mattress"}  # fmt: skip


class DeviceImporter:
    object_type = "care.device"
    label = "报警设备"
    labels = {"elder_id": "老人"}

    def __init__(self, actor: Actor, present=None):
        self.actor = actor
        self.present = tuple(c.key for c in COLUMNS if present is None or c.key in present)
        self.vendors = {v.code: v for v in Vendor.objects.visible_to(actor.user, "view")}
        self.in_scope = region_predicate(actor.user, Device, "care.import_device")
        self.seen: dict[tuple[str, str], int] = {}

    def _key(self, raw: dict) -> tuple[str, str]:
        return str(raw.get("vendor") or "").strip(), str(raw.get("external_id") or "").strip()

    def _claim(self, number: int, raw: dict) -> int | None:
        key = self._key(raw)
        if not all(key) or key[1] in CLEAR_MARKERS:
            return None
        first = self.seen.setdefault(key, number)
        return None if first == number else first

    def skip(self, number: int, raw: dict) -> None:
        self._claim(number, raw)

    def _refuse(self, plan: Plan, number: int, raw: dict, errors: dict[str, str]) -> None:
        for key, reason in errors.items():
            plan.errors.append(RowError(number, HEADERS.get(key, key), reason, str(raw.get(key, "")),
                                        "", str(raw.get("external_id", "")), str(raw.get("serial", ""))))  # fmt: skip

    def _clean(self, given: dict, elders: dict, errors: dict) -> dict:
        row = {}
        if "kind" in given:
            kind = KIND_BY_TEXT.get(str(given["kind"]).strip())
            if kind is None:
                errors["kind"] = "未知的设备类型，可填：" + "、".join(str(label) for _, label in DeviceKind.choices)
            row["kind"] = kind
        if "id_number" in given:
            elder = elders.get(idnumber.normalize(given["id_number"]))
            if elder is None:
                errors["id_number"] = "管辖范围内没有登记该身份证号码的老人"
            else:
                row.update(elder_id=elder.pk, region_code=elder.region_code, county_code=elder.county_code)
        if "installed_where" in given:
            row["installed_where"] = str(given["installed_where"])[:100]
        if "installed_on" in given:
            try:
                row["installed_on"] = dates.parse(given["installed_on"]) if given["installed_on"] else None
            except ValueError:
                errors["installed_on"] = "不是有效的日期，应如 2026-03-01"
        if "heartbeat_seconds" in given:
            text = str(given["heartbeat_seconds"]).strip()
            if not text.isdigit() or not 60 <= int(text) <= 7 * 86400:
                errors["heartbeat_seconds"] = "应为 60 至 604800 之间的整数（秒）"
            else:
                row["heartbeat_seconds"] = int(text)
        return row

    def plan(self, chunk: list[tuple[int, dict]]) -> Plan:
        plan = Plan()
        numbers = {idnumber.normalize(raw.get("id_number") or "") for _, raw in chunk} - {""}
        elders = {
            e.id_number: e for e in Elder.objects.visible_to(self.actor.user, "view").filter(id_number__in=numbers)
        }
        keys = {self._key(raw) for _, raw in chunk}
        stored = {(d.vendor.code, d.external_id): d for d in
                  Device.objects.filter(external_id__in={k[1] for k in keys}).select_related("vendor")}  # fmt: skip
        for number, raw in chunk:
            if (first := self._claim(number, raw)) is not None:
                self._refuse(plan, number, raw, {"external_id": f"与第 {first} 行重复"})
                continue
            errors = cell_refusals(raw, self.present)
            given = tidy({k: v for k, v in given_values(raw, self.present).items() if k not in errors})
            vendor_code, external_id = self._key(raw)
            vendor = self.vendors.get(vendor_code)
            if vendor is None:
                errors["vendor"] = "未知的厂商平台编码，请先登记厂商平台" if vendor_code else "必填"
            if not external_id:
                errors["external_id"] = "必填"
            # A device is looked up only under a vendor the importer may see, so that a row naming another
            # county's vendor learns nothing about that vendor's devices.
            current = stored.get((vendor_code, external_id)) if vendor is not None else None
            if current is not None and not self.in_scope(current.region_code):
                self._refuse(plan, number, raw, {"external_id": "该设备已由其他地区登记"})
                continue
            row = self._clean(given, elders, errors)
            if current is None:
                for key in ("kind", "id_number"):
                    if key not in given and key not in errors:
                        errors[key] = "必填"
            if errors:
                self._refuse(plan, number, raw, errors)
                continue
            if current is None:
                device = Device(vendor=vendor, external_id=external_id, status=DeviceStatus.ACTIVE, **row)
                plan.new.append(device)
                continue
            before = {name: getattr(current, name) for name in EDITABLE}
            diff = {HEADERS.get(name, name): (str(before[name] or ""), str(value or ""))
                    for name, value in row.items() if name in EDITABLE and value != before[name]
                    and name not in ("region_code", "county_code")}  # fmt: skip
            if not diff:
                plan.unchanged += 1
                continue
            for name, value in row.items():
                setattr(current, name, value)
            plan.changed.append(current)
            plan.changes.append((number, diff))
            plan.regions[number] = before["region_code"]
            plan.serials[number] = raw.get("serial", "")
        return plan

    def write(self, plan: Plan) -> None:
        Device.objects.bulk_create(plan.new, batch_size=1000)
        Device.objects.bulk_update(plan.changed, list(EDITABLE), batch_size=1000)
        # Events that came in before the device was listed wait in the binding queue: they are its now.
        for device in plan.new:
            DeviceEvent.objects.filter(vendor_id=device.vendor_id, external_id=device.external_id,
                                       binding=BindingState.WAITING).update(
                device=device, binding=BindingState.RESOLVED, region_code=device.region_code,
                county_code=device.county_code)  # fmt: skip

    def finish(self, result: ImportResult) -> None:
        audit.record(self.actor, AuditAction.IMPORT, object_type=self.object_type,
                     object_repr=f"导入报警设备：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
                     f"错误 {result.refused} 行",
                     changes={"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                              "errors": result.refused})  # fmt: skip
