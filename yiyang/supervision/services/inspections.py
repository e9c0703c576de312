"""Inspections and the rectification ledger (整改台账, 逐一对账销号).

An inspection is planned against a region's checklist, then its results are entered on site: every
failed item becomes a hazard with a severity, a responsible person and a deadline. The facility
submits evidence of rectification; the inspector closes the hazard (销号) or returns it. Hazards past
their deadline escalate one level up (county → city → province). Each step of a hazard is written to
its history with who, when and why; each transition locks the row and checks the current state.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.photos import photo_errors, store
from yiyang.core.regioncodes import (
    PREFIX_LENGTH,
    InvalidRegionCode,
    Level,
    ancestors,
    county_of,
    level_of,
    normalize,
    region_range_q,
)
from yiyang.core.scoping import (
    ensure_visible,
    get_visible_or_404,
    has_permission,
    is_platform_admin,
    memberships_of,
    scope_condition,
)
from yiyang.facilities.models import Facility, FacilityStatus

from .. import conf
from ..models import (
    PENDING_STATES,
    CheckCategory,
    Checklist,
    Hazard,
    HazardStatus,
    HazardStep,
    Inspection,
    InspectionKind,
    InspectionStatus,
    Photo,
    Severity,
    StepAction,
)
from ..workflows import HAZARD, INSPECTION

# A starting checklist for a region that has none yet (GB 38600-2019 养老机构服务安全基本规范 areas and
# the usual 民政 safety campaign items); officers save their own version from it.
DEFAULT_ITEMS = [
    ("fire", "疏散通道、安全出口畅通，无堵塞、锁闭"),
    ("fire", "消防设施器材完好有效，按期检测"),
    ("fire", "消防控制室24小时双人值班，持证上岗"),
    ("fire", "每半年至少组织一次消防演练，有记录"),
    ("food", "食品经营许可证在有效期内，从业人员持健康证"),
    ("food", "食品留样48小时以上，每餐次不少于125克"),
    ("electrical", "无私拉乱接电线，无违规使用大功率电器"),
    ("electrical", "电动车不在室内、楼道停放充电"),
    ("video", "出入口、公共区域视频监控全覆盖，录像保存不少于30天"),
    ("epidemic", "传染病防控制度健全，消毒记录完整"),
    ("emergency", "制定火灾、食物中毒、跌倒、走失等应急预案并演练"),
    ("duty", "夜间值班人员在岗在位，有交接班记录"),
    ("building", "房屋无明显开裂、沉降等安全隐患"),
    ("service", "入住老人能力评估、服务协议、健康档案齐全"),
]
RESULTS = {"pass": "合格", "fail": "不合格", "na": "不适用"}


def default_deadline(severity: str, found_on: date) -> date:
    return found_on + timedelta(days=conf.value(f"HAZARD_{severity.upper()}_DAYS"))


# --- Checklists ----------------------------------------------------------------------------------


def parse_items(lines: list[tuple[str, str]] | str) -> list[dict]:
    """Items from (category, text) pairs, or from text with one item per line written '类别：内容'."""
    if isinstance(lines, str):
        labels = {label: value for value, label in CheckCategory.choices}
        pairs = []
        for number, line in enumerate(lines.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            head, sep, text = line.replace(":", "：").partition("：")
            if not sep or head.strip() not in labels:
                raise FieldErrors({"items": f"第 {number} 行应写成“类别：检查内容”，类别为{'、'.join(labels)}之一"})
            pairs.append((labels[head.strip()], text.strip()))
        lines = pairs
    items = []
    for number, (category, text) in enumerate(lines, start=1):
        if category not in CheckCategory.values:
            raise FieldErrors({"items": f"第 {number} 项的类别“{category}”不是可选值之一"})
        if not text or len(text) > 200:
            raise FieldErrors({"items": f"第 {number} 项的检查内容应为 1 到 200 个字"})
        items.append({"code": f"{category}-{number:02d}", "category": category, "text": text})
    if not items:
        raise FieldErrors({"items": "检查表至少要有一个检查项"})
    return items


def _region(raw: str) -> str:
    try:
        return normalize(raw)
    except InvalidRegionCode as exc:
        raise FieldErrors({"region_code": str(exc)}) from None


@transaction.atomic
def save_checklist(actor: Actor, region_code: str, name: str, items) -> Checklist:
    """Save a checklist for a region; a name the region already uses gets a new version and the older
    versions stop being offered for new inspections."""
    code = _region(region_code)
    if not name.strip():
        raise FieldErrors({"name": "请填写检查表名称"})
    parsed = parse_items(items)
    previous = Checklist.objects.select_for_update().filter(region_code=code, name=name.strip())
    version = max((c.version for c in previous), default=0) + 1
    previous.update(is_active=False)
    try:
        with transaction.atomic():
            checklist = Checklist.objects.create(
                region_code=code, county_code=county_of(code), name=name.strip(), version=version, items=parsed
            )
    except IntegrityError:
        raise Conflict("同名检查表刚被他人更新，请刷新后重试", {"name": "版本冲突"}) from None
    ensure_visible(actor.user, checklist, "add")
    audit.record(actor, AuditAction.CREATE, checklist, object_repr=str(checklist))
    return checklist


def checklists_usable(user):
    """Active checklists a user may plan with: those of their own regions and below, and those that a
    city or the province published above them."""
    if is_platform_admin(user):
        return Checklist.objects.filter(is_active=True)
    above = {code for m in memberships_of(user) if m.region_code for code in (*ancestors(m.region_code), m.region_code)}
    own = Checklist.objects.visible_to(user).values("pk")
    return Checklist.objects.filter(Q(region_code__in=above) | Q(pk__in=own), is_active=True)


def checklists_for(facility: Facility):
    """The active checklists of the facility's region and every region above it."""
    return Checklist.objects.filter(
        region_code__in=[*ancestors(facility.region_code), facility.region_code], is_active=True
    )


def inspections_visible(user):
    """The inspections a user may see. A planned unannounced (四不两直) inspection stays hidden from
    everyone who cannot carry it out, the inspected facility first of all."""
    rows = Inspection.objects.visible_to(user)
    may_inspect = scope_condition(user, Inspection, "supervision.change_inspection")
    if may_inspect is None:
        return rows
    return rows.filter(~Q(status=InspectionStatus.PLANNED, kind=InspectionKind.UNANNOUNCED) | may_inspect)


def get_inspection(user, inspection_id: int) -> Inspection:
    inspection = inspections_visible(user).select_related("facility", "checklist").filter(pk=inspection_id).first()
    if inspection is None:
        raise Http404
    return inspection


# --- Planning and results ------------------------------------------------------------------------


@transaction.atomic
def plan_inspection(actor: Actor, facility_id: int, checklist_id: int, kind: str, planned_on: date,
                    inspectors: str) -> Inspection:  # fmt: skip
    facility = get_visible_or_404(Facility.objects, actor.user, "supervision.add_inspection", pk=facility_id)
    errors = {}
    checklist = checklists_for(facility).filter(pk=checklist_id).first()
    if checklist is None:
        errors["checklist_id"] = "该检查表不适用于这家机构所在地区，或已停用"
    if kind not in InspectionKind.values:
        errors["kind"] = "检查方式应为计划检查或四不两直暗查暗访"
    if planned_on < timezone.localdate() - timedelta(days=30):
        errors["planned_on"] = "计划日期不能早于 30 天前"
    if not inspectors.strip():
        errors["inspectors"] = "请填写检查人员"
    if facility.status == FacilityStatus.CLOSED:
        errors["facility_id"] = "该机构已关闭"
    if errors:
        raise FieldErrors(errors)
    inspection = Inspection.objects.create(
        facility=facility, region_code=facility.region_code, county_code=facility.county_code, checklist=checklist,
        kind=kind, planned_on=planned_on, inspectors=inspectors.strip()[:200],
        created_by=actor.db_user,
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, inspection, object_repr=f"{facility.name} {inspection.get_kind_display()}")
    return inspection


@dataclass
class Finding:
    """What the inspector writes for a failed item."""

    description: str = ""
    severity: str = Severity.GENERAL
    responsible_person: str = ""
    deadline: date | None = None


def _clean_results(checklist: Checklist, results: dict, findings: dict, today: date) -> dict:
    errors = {}
    codes = [item["code"] for item in checklist.items]
    for code in results:
        if code not in codes:
            errors[f"results.{code}"] = "检查表中没有这一项"
    for code in codes:
        value = results.get(code)
        if value not in RESULTS:
            errors[f"results.{code}"] = "请选择合格、不合格或不适用"
        elif value == "fail":
            finding = findings.get(code) or Finding()
            if not finding.description.strip():
                errors[f"findings.{code}.description"] = "不合格项请描述隐患"
            if finding.severity not in Severity.values:
                errors[f"findings.{code}.severity"] = "隐患等级应为一般或重大"
            if not finding.responsible_person.strip():
                errors[f"findings.{code}.responsible_person"] = "请填写整改责任人"
            if finding.deadline is not None and finding.deadline < today:
                errors[f"findings.{code}.deadline"] = "整改期限不能早于今天"
    return errors


@transaction.atomic
def record_results(actor: Actor, inspection_id: int, results: dict[str, str], findings: dict[str, Finding],
                   summary: str = "", photos: dict[str, list] | None = None) -> Inspection:  # fmt: skip
    """Enter the on-site results; each failed item opens one hazard. A resent form finds the
    inspection done and changes nothing."""
    inspection = INSPECTION.lock(
        actor, inspection_id, "record", Inspection.objects.select_related("checklist", "facility")
    )
    INSPECTION.check_state(inspection, INSPECTION["record"])
    today = timezone.localdate()
    errors = _clean_results(inspection.checklist, results, findings, today)
    photos = photos or {}
    for code, files in photos.items():
        if results.get(code) is None:
            errors[f"photos.{code}"] = "检查表中没有这一项"
        else:
            errors.update(photo_errors(files, f"photos.{code}"))
    if errors:
        raise FieldErrors(errors)
    inspection.results = {code: results[code] for code in results}
    inspection.summary = summary[:2000]
    INSPECTION.move(actor, inspection, "record")
    inspection.inspected_at = timezone.now()
    inspection.save(update_fields=["results", "summary", "status", "inspected_at"])
    for item in inspection.checklist.items:
        code = item["code"]
        hazard = None
        if results[code] == "fail":
            finding = findings[code]
            hazard = Hazard.objects.create(
                facility=inspection.facility, region_code=inspection.region_code, county_code=inspection.county_code,
                inspection=inspection, item_code=code, category=item["category"],
                description=finding.description.strip()[:500], severity=finding.severity,
                responsible_person=finding.responsible_person.strip()[:50],
                deadline=finding.deadline or default_deadline(finding.severity, today), found_on=today,
            )  # fmt: skip
            _step(actor, hazard, StepAction.FOUND, f"{item['text']}：{hazard.description}")
        for upload in photos.get(code, []):
            _save_photo(actor, inspection.facility, upload, "finding", inspection=inspection, hazard=hazard,
                        item_code=code)  # fmt: skip
    failed = sum(1 for value in results.values() if value == "fail")
    audit.record(actor, AuditAction.UPDATE, inspection, object_repr=f"录入检查结果，{failed} 项不合格")
    return inspection


@transaction.atomic
def add_finding_photos(actor: Actor, inspection_id: int, item_code: str, photos: list) -> list[Photo]:
    """Photos of one checked item, sent after the results (the API sends results as JSON, then photos)."""
    inspection = get_visible_or_404(
        Inspection.objects.select_for_update(of=("self",)).select_related("checklist", "facility"),
        actor.user,
        "supervision.change_inspection",
        pk=inspection_id,
    )
    if inspection.status != InspectionStatus.DONE:
        raise Conflict("请先录入检查结果，再上传现场照片", code="invalid_transition")
    if inspection.checklist.item(item_code) is None:
        raise FieldErrors({"item_code": "检查表中没有这一项"})
    if not photos:
        raise FieldErrors({"photos": "请选择照片"})
    if errors := photo_errors(photos, "photos"):
        raise FieldErrors(errors)
    hazard = inspection.hazards.filter(item_code=item_code).first()
    return [
        _save_photo(
            actor, inspection.facility, upload, "finding", inspection=inspection, hazard=hazard, item_code=item_code
        )  # fmt: skip
        for upload in photos
    ]


# --- Photos --------------------------------------------------------------------------------------


def _save_photo(actor: Actor, facility: Facility, upload, purpose: str, **links) -> Photo:
    photo = Photo(facility=facility, region_code=facility.region_code, county_code=facility.county_code,
                  purpose=purpose, **links,
                  uploaded_by=actor.db_user)  # fmt: skip
    store(photo, upload)
    photo.save()
    return photo


# --- The hazard lifecycle ------------------------------------------------------------------------


def _step(actor: Actor, hazard: Hazard, action: str, note: str = "", key: str | None = None) -> bool:
    return post_once(
        HazardStep, hazard=hazard, county_code=hazard.county_code, action=action, note=note[:1000],
        idempotency_key=key, **HazardStep.by_actor(actor),
    )  # fmt: skip


def _locked(actor: Actor, hazard_id: int, transition: str) -> Hazard:
    hazard = HAZARD.lock(actor, hazard_id, transition)
    HAZARD.check_state(hazard, HAZARD[transition])
    return hazard


@transaction.atomic
def submit_rectification(actor: Actor, hazard_id: int, note: str, photos: list) -> Hazard:
    """The facility reports the hazard rectified, with at least one photo as evidence."""
    hazard = _locked(actor, hazard_id, StepAction.SUBMITTED)
    errors = {}
    if not note.strip():
        errors["note"] = "请说明整改情况"
    if not photos:
        errors["photos"] = "请上传整改后的照片作为佐证"
    else:
        errors.update(photo_errors(photos, "photos"))
    if errors:
        raise FieldErrors(errors)
    for upload in photos:
        _save_photo(actor, hazard.facility, upload, "evidence", hazard=hazard)
    HAZARD.move(actor, hazard, StepAction.SUBMITTED, note)
    hazard.save(update_fields=["status"])
    audit.record(actor, AuditAction.UPDATE, hazard, object_repr=f"提交整改材料：{hazard.description}")
    return hazard


@transaction.atomic
def verify(actor: Actor, hazard_id: int, accept: bool, note: str = "") -> Hazard:
    """The inspector closes the hazard (销号) on the evidence, or returns it with the reason."""
    hazard = _locked(actor, hazard_id, StepAction.CLOSED if accept else StepAction.RETURNED)
    if accept:
        if not hazard.photos.filter(purpose="evidence").exists():
            raise FieldErrors({"photos": "没有整改佐证材料，不能销号"})
        HAZARD.move(actor, hazard, StepAction.CLOSED, note.strip() or "核验通过")
        hazard.closed_at = timezone.now()
    else:
        HAZARD.move(actor, hazard, StepAction.RETURNED, note)
        hazard.returned_times += 1
    hazard.save(update_fields=["status", "closed_at", "returned_times"])
    audit.record(actor, AuditAction.UPDATE, hazard, object_repr=f"{'销号' if accept else '退回'}：{hazard.description}")
    return hazard


ESCALATION_TARGET = {1: "市级", 2: "省级"}


def escalate_overdue(today: date | None = None) -> int:
    """Raise every unclosed hazard past its deadline one level: to the city on the first overdue day,
    to the province after the configured days more. Rerunning the same day raises nothing twice."""
    today = today or timezone.localdate()
    to_province_after = timedelta(days=conf.value("HAZARD_ESCALATE_TO_PROVINCE_AFTER_DAYS"))
    raised = 0
    for level, past in ((1, today), (2, today - to_province_after)):
        overdue = Hazard.objects.filter(status__in=PENDING_STATES, deadline__lt=past, escalation_level__lt=level)
        for hazard_id in overdue.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                hazard = Hazard.objects.select_for_update().get(pk=hazard_id)
                if hazard.status == HazardStatus.CLOSED or hazard.escalation_level >= level:
                    continue
                hazard.escalation_level = level
                hazard.save(update_fields=["escalation_level"])
                days = (today - hazard.deadline).days
                _step(Actor.system(), hazard, StepAction.ESCALATED, f"逾期 {days} 天，上报{ESCALATION_TARGET[level]}",
                      key=f"escalate-{hazard.pk}-{level}")  # fmt: skip
                raised += 1
    return raised


# --- The ledger ----------------------------------------------------------------------------------


PENDING = "pending"  # not yet closed: open or waiting for verification


def ledger(user, region_code: str, *, status: str = "", severity: str = "", overdue: bool = False,
           escalated: bool = False, facility_id: int | None = None, action: str = "view"):  # fmt: skip
    """The hazards under a region that the user may `action` (view, or export), filtered; soonest
    deadline first."""
    # The asked region's range comes first: SQLite bounds its index scan by the first range it meets,
    # and the user's scope (a whole province for a provincial officer) is usually the wider one.
    hazards = Hazard.objects.filter(region_range_q("region_code", region_code)).visible_to(user, action)
    if status == PENDING:
        hazards = hazards.filter(status__in=PENDING_STATES)
    elif status:
        hazards = hazards.filter(status=status)
    if severity:
        hazards = hazards.filter(severity=severity)
    if overdue:
        hazards = hazards.filter(status__in=PENDING_STATES, deadline__lt=timezone.localdate())
    if escalated:
        hazards = hazards.filter(escalation_level__gte=1)
    if facility_id:
        hazards = hazards.filter(facility_id=facility_id)
    return hazards.order_by("deadline", "id")


class LedgerRows:
    """A ledger for Django's Paginator that sorts ids from the index alone and reads only the rows of
    the page shown: sorting 200,000 whole rows to show 50 costs several times more."""

    def __init__(self, hazards, known_count: int | None = None):
        self.hazards = hazards
        self.known_count = known_count

    def count(self) -> int:
        return self.hazards.count() if self.known_count is None else self.known_count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Hazard]:
        ids = list(self.hazards.values_list("pk", flat=True)[window])
        rows = {h.pk: h for h in Hazard.objects.filter(pk__in=ids).select_related("facility")}
        return [rows[pk] for pk in ids if pk in rows]


def summary_by_child_region(user, region_code: str) -> list[dict]:
    """Per child region: hazards found, still open, submitted, closed and overdue (the 对账 view)."""
    level = level_of(region_code)
    width = PREFIX_LENGTH[Level(min(level + 1, Level.COMMUNITY))]
    today = timezone.localdate()
    if width <= PREFIX_LENGTH[Level.COUNTY]:
        # Province and city: group by the county code over its own covering index, then fold the
        # counties into cities; a substring of every region code would sort the whole ledger.
        head = region_code[: PREFIX_LENGTH[level]]
        scoped = Hazard.objects.filter(county_code__gte=head.ljust(6, "0"), county_code__lte=head.ljust(6, "9"))
        key = "county_code"
    else:
        scoped = Hazard.objects.filter(region_range_q("region_code", region_code)).annotate(
            child=Substr("region_code", 1, width)
        )
        key = "child"
    rows = (
        scoped.visible_to(user)
        .values(key, "status")
        .annotate(n=Count("county_code"), late=Count("county_code", filter=Q(deadline__lt=today)))
        .order_by()
    )
    totals: dict[str, Counter] = {}
    for row in rows:
        counts = totals.setdefault(row[key][:width].ljust(12, "0"), Counter())
        counts["total"] += row["n"]
        counts[row["status"]] += row["n"]
        if row["status"] != HazardStatus.CLOSED:
            counts["overdue"] += row["late"]
    from yiyang.regions.models import Region

    names = dict(Region.objects.filter(code__in=totals).values_list("code", "name"))
    return [
        {
            "region_code": code,
            "name": names.get(code, code),
            "total": c["total"],
            "open": c["open"],
            "submitted": c["submitted"],
            "closed": c["closed"],
            "overdue": c["overdue"],
            "closed_rate": round(100 * c["closed"] / c["total"], 1) if c["total"] else None,
        }  # fmt: skip
        for code, c in sorted(totals.items())
    ]


LEDGER_HEADERS = ["机构", "区划代码", "检查方式", "发现日期", "类别", "隐患描述", "隐患等级", "整改责任人",
                  "整改期限", "状态", "是否逾期", "逾期升级", "销号时间"]  # fmt: skip


def export_ledger(actor: Actor, hazards):
    """The ledger as .xlsx (scope as shown; formulas neutralised by the writer)."""
    from yiyang.core.exports import write_xlsx

    if not has_permission(actor.user, "supervision.export_hazard"):
        raise PermissionDenied
    today = timezone.localdate()
    rows = (
        (
            h.facility.name,
            h.region_code,
            h.inspection.get_kind_display(),
            h.found_on.isoformat(),
            h.get_category_display(),
            h.description,
            h.get_severity_display(),
            h.responsible_person,
            h.deadline.isoformat(),
            h.get_status_display(),
            "是" if h.is_overdue(today) else "",
            ESCALATION_TARGET.get(h.escalation_level, ""),
            timezone.localtime(h.closed_at).strftime("%Y-%m-%d %H:%M") if h.closed_at else "",
        )  # fmt: skip
        for h in hazards.select_related("facility", "inspection").iterator(chunk_size=2000)
    )
    handle = write_xlsx(LEDGER_HEADERS, rows, sheet_name="隐患整改台账")
    audit.record(actor, AuditAction.EXPORT, object_type="supervision.hazard", object_repr="导出隐患整改台账")
    return handle
