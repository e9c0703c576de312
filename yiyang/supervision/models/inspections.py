"""Safety inspections of facilities and the rectification ledger (整改台账): every failed check item
becomes a hazard that the facility rectifies and the inspector closes (销号) item by item."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import DecisionStep
from yiyang.core.photos import PhotoPath
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility

__all__ = [
    "CheckCategory",
    "Checklist",
    "Hazard",
    "HazardStatus",
    "HazardStep",
    "Inspection",
    "InspectionKind",
    "InspectionStatus",
    "PENDING_STATES",
    "Photo",
    "Severity",
    "StepAction",
]


class CheckCategory(models.TextChoices):
    FIRE = "fire", "消防安全"
    FOOD = "food", "食品安全"
    ELECTRICAL = "electrical", "用电安全"
    VIDEO = "video", "视频监控"
    EPIDEMIC = "epidemic", "疫情防控"
    EMERGENCY = "emergency", "应急预案"
    DUTY = "duty", "值班值守"
    BUILDING = "building", "建筑安全"
    SERVICE = "service", "服务安全"
    OTHER = "other", "其他"


class Checklist(models.Model):
    """A region's inspection checklist. Items are data: [{"code", "category", "text"}]; a changed list
    is saved as a new version so that past inspections keep the items they were checked against."""

    region_code = models.CharField("适用区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    name = models.CharField("检查表名称", max_length=100)
    version = models.PositiveIntegerField("版本", default=1)
    items = models.JSONField("检查项目")
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "检查表"
        ordering = ["region_code", "name", "-version"]
        constraints = [
            # Two officers saving the same list at once cannot both make version N.
            models.UniqueConstraint(fields=["county_code", "region_code", "name", "version"], name="checklist_version")
        ]

    def __str__(self):
        return f"{self.name}（第 {self.version} 版）"

    def item(self, code: str) -> dict | None:
        return next((i for i in self.items if i["code"] == code), None)


class InspectionKind(models.TextChoices):
    SCHEDULED = "scheduled", "计划检查"
    UNANNOUNCED = "unannounced", "四不两直暗查暗访"


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", "待检查"
    DONE = "done", "已检查"
    CANCELLED = "cancelled", "已取消"


class Inspection(models.Model):
    """One visit of inspectors to one facility against one checklist."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="inspections")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    checklist = models.ForeignKey(Checklist, verbose_name="检查表", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("检查方式", max_length=12, choices=InspectionKind.choices)
    planned_on = models.DateField("计划日期")
    inspectors = models.CharField("检查人员", max_length=200)
    status = models.CharField("状态", max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED)
    results = models.JSONField("检查结果", default=dict, blank=True, help_text="{检查项编码: pass|fail|na}")
    summary = models.TextField("检查意见", blank=True)
    inspected_at = models.DateTimeField("检查时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "检查"
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["region_code", "planned_on"], name="inspection_region_day")]

    def __str__(self):
        return f"{self.facility_id} {self.planned_on} {self.get_kind_display()}"


class Severity(models.TextChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class HazardStatus(models.TextChoices):
    OPEN = "open", "待整改"
    SUBMITTED = "submitted", "待核验"
    CLOSED = "closed", "已销号"


# Not yet closed (未销号). Queries name these two states rather than "not closed", so that they match
# the condition of the partial index below.
PENDING_STATES = (HazardStatus.OPEN, HazardStatus.SUBMITTED)


class Hazard(models.Model):
    """A hazard (隐患) found by an inspection: one line of the rectification ledger."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="hazards")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    inspection = models.ForeignKey(Inspection, verbose_name="检查", on_delete=models.PROTECT, related_name="hazards")
    item_code = models.CharField("检查项编码", max_length=20)
    category = models.CharField("类别", max_length=12, choices=CheckCategory.choices)
    description = models.CharField("隐患描述", max_length=500)
    severity = models.CharField("隐患等级", max_length=8, choices=Severity.choices)
    responsible_person = models.CharField("整改责任人", max_length=50)
    deadline = models.DateField("整改期限")
    status = models.CharField("状态", max_length=10, choices=HazardStatus.choices, default=HazardStatus.OPEN)
    returned_times = models.PositiveSmallIntegerField("退回次数", default=0)
    escalation_level = models.PositiveSmallIntegerField(
        "逾期升级", default=0, help_text="0 = 未升级；1 = 已上报市级；2 = 已上报省级"
    )
    found_on = models.DateField("发现日期")
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "隐患整改台账"
        ordering = ["deadline", "id"]
        constraints = [
            # One ledger line per failed item of an inspection: a resent result form adds nothing.
            models.UniqueConstraint(fields=["county_code", "inspection", "item_code"], name="hazard_once_per_item"),
        ]
        indexes = [
            models.Index(fields=["region_code", "status", "deadline"], name="hazard_region_status"),
            # Covers the province and city summaries (grouped by county, checked against the scope).
            models.Index(fields=["county_code", "status", "deadline", "region_code"], name="hazard_county_status"),
            # The work list of every level: hazards not yet closed, soonest deadline first. With statistics
            # (ANALYZE) both databases walk this index in deadline order, checking the region range
            # inside the index, and stop after one page.
            models.Index(
                fields=["deadline", "region_code", "id"],
                name="hazard_pending_deadline",
                condition=Q(status__in=["open", "submitted"]),
            ),  # fmt: skip
        ]

    def __str__(self):
        return self.description

    def is_overdue(self, today=None) -> bool:
        return self.status in PENDING_STATES and self.deadline < (today or timezone.localdate())


class StepAction(models.TextChoices):
    FOUND = "found", "发现隐患"
    SUBMITTED = "submitted", "提交整改材料"
    CLOSED = "closed", "核验通过销号"
    RETURNED = "returned", "退回重新整改"
    ESCALATED = "escalated", "逾期升级"


class HazardStep(DecisionStep):
    """The history of a hazard: who did what, when and why. Never changed or deleted."""

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("环节", max_length=10, choices=StepAction.choices)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="hazard__region_code", facility="hazard__facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "整改办理记录"
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="hazard_step_once")]


class Photo(models.Model):
    """A photo taken on site (of a failed item) or uploaded as evidence of rectification. Served only
    through a scoped view, never as a public file."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    hazard = models.ForeignKey(Hazard, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    item_code = models.CharField("检查项编码", max_length=20, blank=True)
    purpose = models.CharField("用途", max_length=10, choices=[("finding", "现场检查"), ("evidence", "整改材料")])
    extension = models.CharField(max_length=5)
    file = models.FileField("照片", upload_to=PhotoPath("supervision"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "现场照片"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.get_purpose_display()} #{self.pk}"
