"""Institution grading (养老机构等级评定, GB/T 37276-2018): the configurable rating scheme, the
applications with their scoring sheets, and the immutable history of every decision step."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import DecisionStep
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility

__all__ = [
    "OPEN_RATING_STATES",
    "RatingAction",
    "RatingApplication",
    "RatingScheme",
    "RatingStatus",
    "RatingStep",
]


class RatingScheme(models.Model):
    """A scoring scheme for one standard and one version of its local implementation rules.

    `config` holds everything that a bureau may change: parts and items with their maximum points,
    per level the minimum total, the minimum share of every part and the prerequisites, the eligibility
    rules, the public-notice days and the validity years (see services.ratings.DEFAULT_CONFIG). A
    changed scheme is saved as a new version so that past applications keep the one they were scored on.
    """

    standard_code = models.CharField("标准编号", max_length=40)
    version = models.CharField("版本", max_length=60)
    name = models.CharField("名称", max_length=100)
    config = models.JSONField("评分细则与等级条件")
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "等级评定细则"
        ordering = ["standard_code", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["standard_code", "version"], name="rating_scheme_version_once"),
        ]

    def __str__(self):
        return f"{self.standard_code}（{self.version}）"


class RatingStatus(models.TextChoices):
    APPLIED = "applied", "已申请"
    ACCEPTED = "accepted", "已受理"
    REJECTED = "rejected", "不予受理/不予评定"
    SCORED = "scored", "已评分"
    DECIDED = "decided", "评定委员会已审定"
    NOTICE = "notice", "公示中"
    PUBLISHED = "published", "已公布"
    WITHDRAWN = "withdrawn", "已撤回"


# States in which an application is still under way: a facility has at most one of these.
OPEN_RATING_STATES = (
    RatingStatus.APPLIED,
    RatingStatus.ACCEPTED,
    RatingStatus.SCORED,
    RatingStatus.DECIDED,
    RatingStatus.NOTICE,
)


class RatingApplication(models.Model):
    """A facility's application for a grade, from the application to the published result."""

    facility = models.ForeignKey(
        Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="rating_applications"
    )
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    scheme = models.ForeignKey(RatingScheme, verbose_name="评定细则", on_delete=models.PROTECT, related_name="+")
    applied_level = models.PositiveSmallIntegerField(
        "申请等级", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    is_first_application = models.BooleanField("首次申请", default=True)
    status = models.CharField("状态", max_length=10, choices=RatingStatus.choices, default=RatingStatus.APPLIED)
    statement = models.TextField("申请说明", blank=True)
    # Facts the officer confirms on the eligibility review (they live in other registers).
    is_registered = models.BooleanField("已备案", null=True, blank=True)
    penalised_recently = models.BooleanField("近两年受过行政处罚", null=True, blank=True)
    on_dishonest_list = models.BooleanField("列入失信名单", null=True, blank=True)
    has_medical_unit = models.BooleanField("内设医疗机构", default=False)
    scores = models.JSONField("评分", default=dict, blank=True, help_text="{评分项编码: 得分（字符串，最多一位小数）}")
    result = models.JSONField("计算结果", default=dict, blank=True)
    computed_level = models.PositiveSmallIntegerField("计算等级", default=0)
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)
    decided_level = models.PositiveSmallIntegerField("审定等级", null=True, blank=True)
    notice_starts_on = models.DateField("公示开始", null=True, blank=True)
    notice_ends_on = models.DateField("公示截止", null=True, blank=True)
    published_on = models.DateField("公布日期", null=True, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("申请时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "等级评定申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two clicks on 申请 cannot open two applications for one facility.
            models.UniqueConstraint(
                fields=["county_code", "facility"],
                condition=Q(status__in=[s.value for s in OPEN_RATING_STATES]),
                name="rating_one_open_per_facility",
            ),
            models.CheckConstraint(
                condition=Q(applied_level__gte=1) & Q(applied_level__lte=5), name="rating_applied_level_range"
            ),
        ]
        indexes = [models.Index(fields=["region_code", "status"], name="rating_region_status")]

    def __str__(self):
        return f"{self.facility_id} 申请{self.applied_level}级"


class RatingAction(models.TextChoices):
    APPLIED = "applied", "提交申请"
    ACCEPTED = "accepted", "资格审查通过，受理"
    REJECTED = "rejected", "资格审查未通过"
    SCORED = "scored", "现场评分"
    DECIDED = "decided", "评定委员会审定"
    NOT_RATED = "not_rated", "评定委员会决定不予评定"
    NOTICE = "notice", "开始公示"
    OBJECTION = "objection", "公示有异议，退回复核"
    PUBLISHED = "published", "公布结果"
    WITHDRAWN = "withdrawn", "撤回申请"


class RatingStep(DecisionStep):
    """The history of an application: who did what, when and why. Never changed or deleted."""

    application = models.ForeignKey(RatingApplication, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("环节", max_length=10, choices=RatingAction.choices)
    from_status = models.CharField("原状态", max_length=10, choices=RatingStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=RatingStatus.choices)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", facility="application__facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "等级评定办理记录"
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="rating_step_once")]
