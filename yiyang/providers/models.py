"""The one registry of service organisations and their people.

A provider (服务商) serves elders at home; a person (`Staff`) works for a facility or for a provider:
carers, nurses, doctors, social workers, managers, and the responders, assessors and contractors of
the alarm, visit and renovation modules. Their certificates and training records are kept here once,
for every module that needs them (home-care dispatch, the workforce pages, the grading's staffing).
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.masking import Kind, Sensitive
from yiyang.core.regioncodes import contains
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility

__all__ = [
    "COLLEGE_OR_ABOVE",
    "Attendance",
    "Certificate",
    "CertificateKind",
    "Education",
    "Provider",
    "Staff",
    "StaffRole",
    "TrainingClass",
]


class Provider(models.Model):
    """A service provider (服务商): a company, a facility or a social organisation."""

    name = models.CharField("服务商名称", max_length=100)
    region_code = models.CharField("注册区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    service_regions = models.JSONField("服务区域", default=list, help_text="所服务的区划代码（含下级）")
    service_items = models.JSONField("可提供的服务项目编码", default=list)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    is_active = models.BooleanField("有效", default=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", provider="pk")

    class Meta:
        verbose_name = verbose_name_plural = "服务商"

    def __str__(self):
        return self.name

    def serves(self, community_code: str, item_code: str) -> bool:
        in_area = any(contains(code, community_code) for code in self.service_regions)
        return self.is_active and in_area and item_code in self.service_items


class StaffRole(models.TextChoices):
    CARER = "carer", "养老护理员"
    NURSE = "nurse", "护士"
    DOCTOR = "doctor", "医生"
    SOCIAL_WORKER = "social_worker", "社会工作者"
    MANAGER = "manager", "管理人员"
    RESPONDER = "responder", "应急响应人员"
    ASSESSOR = "assessor", "评估人员"
    CONTRACTOR = "contractor", "施工人员"
    OTHER = "other", "其他"


class Education(models.TextChoices):
    PRIMARY = "primary", "小学及以下"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中/中专"
    COLLEGE = "college", "大专"
    BACHELOR = "bachelor", "本科"
    POSTGRADUATE = "postgraduate", "研究生"


# The 五级 prerequisite on directors' education reads "大专 or above".
COLLEGE_OR_ABOVE = frozenset({Education.COLLEGE, Education.BACHELOR, Education.POSTGRADUATE})


class Staff(models.Model):
    """One person working for a facility or for a provider (a home-care caregiver is a provider's carer).

    `skill_level` repeats the best carer level among the person's certificates: the services keep it
    current with every certificate they record, so that dispatch filters on it without a join.
    `is_active` is the home-care duty flag (在岗); employment itself runs from `hired_on` to `left_on`.
    """

    facility = models.ForeignKey(
        Facility, verbose_name="机构", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    provider = models.ForeignKey(
        Provider, verbose_name="服务商", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    region_code = models.CharField("所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("岗位", max_length=16, choices=StaffRole.choices)
    is_director = models.BooleanField("机构负责人（院长）", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    education = models.CharField("学历", max_length=16, choices=Education.choices, blank=True)
    hired_on = models.DateField("入职日期", null=True, blank=True, help_text="空 = 未登记（早于本平台）")
    left_on = models.DateField("离职日期", null=True, blank=True)
    is_full_time = models.BooleanField("全职", default=True)
    # GB/T 37276 counts carers "trained to the junior (五级) standard" with the certified ones (§12).
    trained_junior_standard = models.BooleanField("已按初级（五级）标准培训合格", default=False)
    skill_level = models.PositiveSmallIntegerField(
        "护理员等级", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    is_active = models.BooleanField("在岗", default=True)
    lat = models.FloatField("常驻点纬度", null=True, blank=True)
    lng = models.FloatField("常驻点经度", null=True, blank=True)
    work_regions = models.JSONField(
        "工作区域", default=list, blank=True, help_text="所负责的区划代码（含下级）；空 = 服务商的全部服务区域"
    )
    work_days = models.JSONField("工作日", default=list, blank=True, help_text="1 = 周一 … 7 = 周日；空 = 每天")
    work_start = models.TimeField("上班时间", null=True, blank=True, help_text="空 = 不限时段")
    work_end = models.TimeField("下班时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", provider="provider_id", caregiver="pk")
    # One right for every person's phone: the bureau, the employer and the person themself (by scope).
    sensitive = Sensitive({"phone": Kind.PHONE}, "providers.view_sensitive_staff", label="从业人员电话")

    class Meta:
        verbose_name = verbose_name_plural = "从业人员"
        ordering = ["role", "name", "id"]
        constraints = [
            # A person works for a facility or for a provider, never for both or neither.
            models.CheckConstraint(
                condition=(Q(facility__isnull=False) & Q(provider__isnull=True))
                | (Q(facility__isnull=True) & Q(provider__isnull=False)),
                name="staff_one_employer",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(hired_on__isnull=True) | Q(left_on__gte=models.F("hired_on")),
                name="staff_left_after_hired",
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "facility", "role"], name="providers_staff_facility_role"),
            models.Index(fields=["region_code", "role"], name="providers_staff_region_role"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"

    def is_current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (self.hired_on is None or self.hired_on <= today) and (self.left_on is None or self.left_on > today)

    def works_at(self, community_code: str, start: datetime.datetime, end: datetime.datetime) -> bool:
        """Whether the whole slot falls in the person's working day and hours, and in their area."""
        local, local_end = timezone.localtime(start), timezone.localtime(end)
        in_hours = (
            self.work_start is None
            or self.work_end is None
            or (
                local_end.date() == local.date()
                and self.work_start <= local.time()
                and local_end.time() <= self.work_end
            )
        )
        on_day = not self.work_days or local.isoweekday() in self.work_days
        in_area = not self.work_regions or any(contains(code, community_code) for code in self.work_regions)
        return in_hours and on_day and in_area

    @property
    def carer_certificate(self):
        """The person's main carer certificate: the best level first (the one the caregiver form edits).
        Reads prefetched certificates when a list loaded them."""
        carer = [c for c in self.certificates.all() if c.kind == CertificateKind.CARER]
        return min(carer, key=lambda c: (c.level is None, c.level or 0, c.pk), default=None)

    @property
    def certificate_no(self) -> str:
        main = self.carer_certificate
        return main.number if main else ""

    def qualifies_for(self, required_skill: int | None) -> bool:
        """Level 1 is the highest grade: a level-3 carer may do what needs level 3, 4 or 5."""
        return required_skill is None or (self.skill_level is not None and self.skill_level <= required_skill)


class CertificateKind(models.TextChoices):
    CARER = "carer", "养老护理员职业技能等级证书"
    NURSE = "nurse", "护士执业证书"
    DOCTOR = "doctor", "医师执业证书"
    SOCIAL_WORKER = "social_worker", "社会工作者职业资格证书"


class Certificate(models.Model):
    """A qualification of a person. A carer's certificate carries the skill level of the 2019 national
    standard, stored as 5 (五级/初级工) to 1 (一级/高级技师). Rows carried over from the home-care
    registry may lack the number, issuer or date (`issued_on` empty) or, rarely, the level."""

    staff = models.ForeignKey(Staff, verbose_name="人员", on_delete=models.PROTECT, related_name="certificates")
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("证书类别", max_length=16, choices=CertificateKind.choices)
    level = models.PositiveSmallIntegerField(
        "等级", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    number = models.CharField("证书编号", max_length=40, blank=True)
    issuer = models.CharField("发证机构", max_length=100, blank=True)
    issued_on = models.DateField("发证日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="staff__region_code", facility="staff__facility_id", provider="staff__provider_id",
                      caregiver="staff_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "资格证书"
        ordering = ["kind", "-issued_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "kind", "number"], condition=~Q(number=""), name="providers_certificate_number"
            ),
            models.CheckConstraint(
                condition=(Q(kind="carer") & ((Q(level__gte=1) & Q(level__lte=5)) | Q(level=None)))
                | (~Q(kind="carer") & Q(level=None)),
                name="certificate_level_for_carers_only",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}".strip()

    @property
    def level_label(self) -> str:
        return f"{'一二三四五'[self.level - 1]}级" if self.level else ""


class TrainingClass(models.Model):
    """A training organised by a region's civil-affairs bureau, by one facility or by one provider (a
    provider's record of an outside course its carer attended is a class of that provider)."""

    region_code = models.CharField("组织单位区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    facility = models.ForeignKey(
        Facility, verbose_name="组织机构", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        Provider, verbose_name="组织服务商", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organiser = models.CharField("组织单位", max_length=100, blank=True)
    topic = models.CharField("培训主题", max_length=200)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", provider="provider_id")

    class Meta:
        verbose_name = verbose_name_plural = "培训班"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="training_ends_after_start"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive"),
        ]

    def __str__(self):
        return self.topic


class Attendance(models.Model):
    """One person's attendance of a training, with the hours credited and the completion certificate."""

    training = models.ForeignKey(
        TrainingClass, verbose_name="培训班", on_delete=models.PROTECT, related_name="attendance"
    )
    staff = models.ForeignKey(Staff, verbose_name="人员", on_delete=models.PROTECT, related_name="attendance")
    county_code = models.CharField("人员所属县（区）代码", max_length=6)
    hours = models.DecimalField("认定学时", max_digits=6, decimal_places=1)
    passed = models.BooleanField("考核合格", default=True)
    certificate_no = models.CharField("结业证书编号", max_length=40, blank=True)
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="staff__region_code", facility="staff__facility_id", provider="staff__provider_id",
                      caregiver="staff_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "培训签到"
        ordering = ["training", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "training", "staff"], name="providers_attendance_once"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="attendance_hours_positive"),
        ]

    def __str__(self):
        return f"{self.staff_id} @ {self.training_id}"
