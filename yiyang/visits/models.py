"""Visits to elders in special difficulty (特殊困难老年人探访关爱): tier cadences per region, the targets
enrolled from the elders registry, their visitors, the visit records made on phones (offline, with
client-made ids and versions), photos keyed by their hash, referrals of findings and campaigns."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.masking import Kind, Sensitive
from yiyang.core.owned import RegionOwned
from yiyang.core.photos import PhotoPath
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.elders.models import Elder
from yiyang.providers.models import Staff

from .choices import (
    AbsentReason,
    ExitReason,
    Hazard,
    Method,
    Mood,
    Need,
    ReferralKind,
    ReferralStatus,
    Risk,
    Tier,
    VisitorKind,
)

__all__ = [
    "AssignmentChange",
    "Campaign",
    "CountedMethods",
    "Referral",
    "TierRule",
    "Visit",
    "VisitConflict",
    "VisitPhoto",
    "VisitTarget",
    "Visitor",
]


class TierRule(RegionOwned):
    """How often a tier is visited in a region and every region below it without a rule of its own."""

    region_label = "适用区划代码"
    tier = models.CharField("探访等级", max_length=10, choices=Tier.choices)
    interval_days = models.PositiveSmallIntegerField("探访周期（天）")
    event_hours = models.PositiveSmallIntegerField(
        "重大事件后探访时限（小时）", null=True, blank=True, help_text="空 = 不要求"
    )
    source = models.CharField("依据文件", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访周期规则"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "region_code", "tier"], name="visits_tier_rule_region"),
            models.CheckConstraint(condition=Q(interval_days__gte=1), name="visits_tier_rule_interval_positive"),
        ]

    def __str__(self):
        return f"{self.region_code} {self.get_tier_display()} 每{self.interval_days}天"


class CountedMethods(RegionOwned):
    """Which visit methods count toward a region's monthly visit rate (and every region below it)."""

    region_label = "适用区划代码"
    methods = models.JSONField("计入月探访率的探访方式", default=list)
    source = models.CharField("依据文件", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "计入探访率的方式"
        constraints = [models.UniqueConstraint(fields=["county_code", "region_code"], name="visits_counted_region")]

    def __str__(self):
        return f"{self.region_code} {self.methods}"


class Visitor(RegionOwned):
    """A person who visits: a grid or community worker, a provider's staff member, a volunteer, a paired
    cadre or a relative. `user` is the account the phone app signs in with; `staff` ties a provider's
    person to the providers registry; `cadre_id` to the supervision app's cadre (an app above this one)."""

    region_label = "负责区划代码"
    kind = models.CharField("探访人类型", max_length=20, choices=VisitorKind.choices)
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    staff = models.ForeignKey(Staff, verbose_name="从业人员", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")  # fmt: skip
    cadre_id = models.BigIntegerField("包联干部", null=True, blank=True, db_index=True)
    capacity = models.PositiveSmallIntegerField("最多负责人数", default=200)
    is_active = models.BooleanField("在岗", default=True)
    left_on = models.DateField("离岗日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    scope = ScopeSpec(region="region_code", caregiver="staff_id", person="user")
    sensitive = Sensitive({"phone": Kind.PHONE}, "visits.view_sensitive_visitor", label="探访人电话")

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访人"
        ordering = ["region_code", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "cadre_id"],
                condition=Q(cadre_id__isnull=False),
                name="visits_visitor_one_per_cadre",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"


class VisitTarget(RegionOwned):
    """One elder enrolled for visits, with the tier, the reason, the visitor and the next due date.
    An exit closes the row; a later re-enrolment opens a new one."""

    region_label = "老人所属社区代码"
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="+")
    tier = models.CharField("探访等级", max_length=10, choices=Tier.choices)
    reason = models.CharField("纳入原因", max_length=200)
    reason_codes = models.JSONField("纳入原因编码", default=list, blank=True)
    automatic = models.BooleanField("按规则自动纳入", default=True)
    enrolled_at = models.DateTimeField("纳入时间", default=timezone.now)
    exited_at = models.DateTimeField("退出时间", null=True, blank=True)
    exit_reason = models.CharField("退出原因", max_length=20, choices=ExitReason.choices, blank=True)
    exit_note = models.CharField("退出说明", max_length=200, blank=True)
    visitor = models.ForeignKey(Visitor, verbose_name="探访人", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="targets")  # fmt: skip
    next_due = models.DateField("下次应探访日期", null=True, blank=True)
    # A major event (illness, disaster, cold wave) asks for a visit within hours for the high-risk tier.
    event_due_at = models.DateTimeField("事件探访时限", null=True, blank=True)
    last_visit_at = models.DateTimeField("最近探访时间", null=True, blank=True)
    # The latest day of a visit that counts toward the monthly rate: the rate of the current month is a
    # grouped count over targets, with no join to the visits.
    last_counted_on = models.DateField("最近计入探访率的日期", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope = ScopeSpec(region="region_code", caregiver="visitor__staff_id", person="visitor__user")

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访对象"
        ordering = ["region_code", "next_due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "elder"],
                condition=Q(exited_at__isnull=True),
                name="visits_target_one_open_per_elder",
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["region_code", "tier"], name="visits_target_region_tier"),
            models.Index(fields=["visitor", "next_due"], name="visits_target_visitor_due"),
        ]

    def __str__(self):
        return f"{self.elder_id} {self.get_tier_display()}"

    @property
    def is_active(self) -> bool:
        return self.exited_at is None


class AssignmentChange(models.Model):
    """The ordered change feed a visitor's phone downloads: one row each time a target is given to a
    visitor, changes for them, or is taken away (`removed`). The id is the cursor (DESIGN.md §2a:
    ordered feeds use a sequence, never an update timestamp)."""

    county_code = models.CharField("县（区）代码", max_length=6)
    region_code = models.CharField("老人所属社区代码", max_length=12)
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(VisitTarget, on_delete=models.CASCADE, related_name="+")
    removed = models.BooleanField("移出", default=False)
    at = models.DateTimeField("时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", caregiver="visitor__staff_id", person="visitor__user")

    class Meta:
        verbose_name = verbose_name_plural = "探访名单变更"
        indexes = [models.Index(fields=["visitor", "id"], name="visits_change_visitor_id")]

    def __str__(self):
        return f"{self.visitor_id} {'-' if self.removed else '+'}{self.target_id}"


class Visit(RegionOwned):
    """One visit, made on a phone (often offline). The phone makes the id; `version` rises by one on
    every accepted edit, and an edit names the version it replaces. `visited_at` is the phone's clock,
    `received_at` the server's."""

    region_label = "老人所属社区代码"
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField("版本", default=1)
    body_hash = models.CharField("内容摘要", max_length=64)
    target = models.ForeignKey(VisitTarget, verbose_name="探访对象", on_delete=models.PROTECT, related_name="visits")
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(Visitor, verbose_name="探访人", on_delete=models.PROTECT, related_name="visits")
    visitor_kind = models.CharField("探访人类型", max_length=20, choices=VisitorKind.choices)
    method = models.CharField("探访方式", max_length=20, choices=Method.choices)
    counts = models.BooleanField("计入月探访率", default=False)
    visited_at = models.DateTimeField("探访时间（手机）")
    received_at = models.DateTimeField("接收时间（服务器）", default=timezone.now)
    lat = models.FloatField("纬度", null=True, blank=True)
    lng = models.FloatField("经度", null=True, blank=True)
    accuracy_m = models.PositiveIntegerField("定位精度（米）", null=True, blank=True)
    elder_present = models.BooleanField("见到老人", default=True)
    absent_reason = models.CharField("未见到原因", max_length=20, choices=AbsentReason.choices, blank=True)
    health = models.TextField("身体状况", blank=True)
    mood = models.CharField("精神状态", max_length=10, choices=Mood.choices, blank=True)
    economy = models.TextField("经济状况", blank=True)
    benefits_received = models.BooleanField("按时领取补贴待遇", null=True, blank=True)
    family_support = models.TextField("家庭赡养情况", blank=True)
    hazards = models.JSONField("安全隐患", default=list, blank=True)
    hygiene_housing = models.TextField("卫生与居住条件", blank=True)
    needs = models.JSONField("发现的需求", default=list, blank=True)
    needs_note = models.TextField("需求说明", blank=True)
    risk_after = models.CharField("探访后风险等级", max_length=10, choices=Risk.choices)
    next_visit_on = models.DateField("下次探访日期", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    scope = ScopeSpec(region="region_code", caregiver="visitor__staff_id", person="visitor__user")
    sensitive = Sensitive(
        {
            "lat": Kind.COORDINATE,
            "lng": Kind.COORDINATE,
            "health": Kind.TEXT,
            "economy": Kind.TEXT,
            "family_support": Kind.TEXT,
            "hygiene_housing": Kind.TEXT,
            "needs_note": Kind.TEXT,
        },
        "visits.view_sensitive_visit",
        label="探访记录",
    )

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访记录"
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["region_code", "visited_at"], name="visits_visit_region_at"),
            models.Index(fields=["target", "visited_at"], name="visits_visit_target_at"),
            models.Index(fields=["visitor", "visited_at"], name="visits_visit_visitor_at"),
        ]

    def __str__(self):
        return f"{self.elder_id} {self.visited_at:%Y-%m-%d} {self.get_method_display()}"

    @property
    def hazard_labels(self) -> list[str]:
        return [Hazard(h).label for h in self.hazards if h in Hazard.values]

    @property
    def need_labels(self) -> list[str]:
        return [Need(n).label for n in self.needs if n in Need.values]

    @property
    def has_findings(self) -> bool:
        return bool(self.needs or self.hazards or self.risk_after == Risk.HIGH)


class VisitConflict(RegionOwned):
    """An edit that named a version other than the stored one (or none): kept for a supervisor, the stored
    visit left as it was."""

    region_label = "老人所属社区代码"
    visit = models.ForeignKey(Visit, verbose_name="探访记录", on_delete=models.PROTECT, related_name="conflicts")
    base_version = models.PositiveIntegerField("所依据的版本", null=True, blank=True)
    stored_version = models.PositiveIntegerField("服务器版本")
    body = models.JSONField("提交的内容")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip
    received_at = models.DateTimeField("接收时间", default=timezone.now)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")  # fmt: skip
    resolution = models.CharField("处理说明", max_length=200, blank=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访记录冲突"
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.visit_id} v{self.base_version}→v{self.stored_version}"


class VisitPhoto(RegionOwned):
    """A photo of a visit, uploaded on its own and keyed by the SHA-256 of its bytes: a repeated upload
    of the same photo changes nothing."""

    visit = models.ForeignKey(Visit, verbose_name="探访记录", on_delete=models.CASCADE, related_name="photos")
    sha256 = models.CharField("SHA-256", max_length=64)
    file = models.FileField("照片", upload_to=PhotoPath("visits/photos"))
    extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField("字节数")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    scope = ScopeSpec(region="region_code", caregiver="visit__visitor__staff_id", person="visit__visitor__user")

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访照片"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "visit", "sha256"], name="visits_photo_once"),
        ]

    def __str__(self):
        return self.sha256[:12]


class Referral(RegionOwned):
    """A finding turned into work: a home-care order, a renovation application, an allowance application
    or an alarm, each pointing at what it became (the application's and the alarm's pages list the
    referrals they came from); anything else is kept as a kind and a note."""

    region_label = "老人所属社区代码"
    visit = models.ForeignKey(Visit, verbose_name="探访记录", on_delete=models.PROTECT, related_name="referrals")
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("转办类型", max_length=20, choices=ReferralKind.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    status = models.CharField("状态", max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.OPEN)
    order = models.ForeignKey("homecare.Order", verbose_name="居家服务工单", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="visit_referrals")  # fmt: skip
    renovation = models.ForeignKey("renovation.Application", verbose_name="适老化改造申请", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="visit_referrals")  # fmt: skip
    allowance = models.ForeignKey("benefits.Application", verbose_name="补贴申请", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="visit_referrals")  # fmt: skip
    alarm = models.ForeignKey("care.Alarm", verbose_name="报警", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="visit_referrals")  # fmt: skip
    outcome = models.CharField("办理结果", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("转办时间", default=timezone.now)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "探访转办"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.elder_id}"


class Campaign(RegionOwned):
    """A bureau's drive: visit every target of the chosen tiers in a region between two moments
    ("visit every high-risk elder within 48 hours before the cold wave")."""

    region_label = "范围区划代码"
    name = models.CharField("名称", max_length=100)
    tiers = models.JSONField("对象等级", default=list)
    starts_at = models.DateTimeField("开始时间", default=timezone.now)
    deadline = models.DateTimeField("截止时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "专项探访行动"
        ordering = ["-deadline"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gt=models.F("starts_at")), name="visits_campaign_deadline"),
        ]

    def __str__(self):
        return self.name
