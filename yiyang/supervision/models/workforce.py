"""The care workforce (养老服务人才队伍): staff of facilities and of home-care providers, their
certificates, and the training classes they attend. Staffing figures computed from these rows feed
the institution grading (GB/T 37276-2018 prerequisites) and the dashboards."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.masking import Kind, Sensitive
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility

__all__ = [
    "COLLEGE_OR_ABOVE",
    "Attendance",
    "Certificate",
    "CertificateKind",
    "Education",
    "Staff",
    "StaffRole",
    "TrainingClass",
]


class StaffRole(models.TextChoices):
    CARER = "carer", "养老护理员"
    NURSE = "nurse", "护士"
    DOCTOR = "doctor", "医生"
    SOCIAL_WORKER = "social_worker", "社会工作者"
    MANAGER = "manager", "管理人员"
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
    """One person working for a facility or for a home-care provider.

    A provider is named by its id only: the homecare app sits on the same layer as supervision and is
    not imported, so the row carries the region code given when the person was registered.
    """

    facility = models.ForeignKey(
        Facility, verbose_name="机构", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    provider_id = models.BigIntegerField("居家服务商", null=True, blank=True, db_index=True)
    region_code = models.CharField("所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("岗位", max_length=16, choices=StaffRole.choices)
    is_director = models.BooleanField("机构负责人（院长）", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    education = models.CharField("学历", max_length=16, choices=Education.choices, blank=True)
    hired_on = models.DateField("入职日期")
    left_on = models.DateField("离职日期", null=True, blank=True)
    is_full_time = models.BooleanField("全职", default=True)
    # GB/T 37276 counts carers "trained to the junior (五级) standard" with the certified ones (§12).
    trained_junior_standard = models.BooleanField("已按初级（五级）标准培训合格", default=False)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", provider="provider_id")
    sensitive = Sensitive({"phone": Kind.PHONE}, "supervision.view_sensitive_staff", label="从业人员电话")

    class Meta:
        verbose_name = verbose_name_plural = "从业人员"
        ordering = ["role", "name", "id"]
        constraints = [
            # A person works for a facility or for a provider, never for both or neither.
            models.CheckConstraint(
                condition=(Q(facility__isnull=False) & Q(provider_id__isnull=True))
                | (Q(facility__isnull=True) & Q(provider_id__isnull=False)),
                name="staff_one_employer",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("hired_on")), name="staff_left_after_hired"
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "facility", "role"], name="staff_county_facility_role"),
            models.Index(fields=["region_code", "role"], name="staff_region_role"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"

    def is_current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.hired_on <= today and (self.left_on is None or self.left_on > today)


class CertificateKind(models.TextChoices):
    CARER = "carer", "养老护理员职业技能等级证书"
    NURSE = "nurse", "护士执业证书"
    DOCTOR = "doctor", "医师执业证书"
    SOCIAL_WORKER = "social_worker", "社会工作者职业资格证书"


class Certificate(models.Model):
    """A qualification of a staff member. A carer's certificate carries the skill level of the 2019
    national standard, stored as 5 (五级/初级工) to 1 (一级/高级技师) like Caregiver.skill_level."""

    staff = models.ForeignKey(Staff, verbose_name="人员", on_delete=models.PROTECT, related_name="certificates")
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("证书类别", max_length=16, choices=CertificateKind.choices)
    level = models.PositiveSmallIntegerField(
        "等级", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    number = models.CharField("证书编号", max_length=40)
    issuer = models.CharField("发证机构", max_length=100)
    issued_on = models.DateField("发证日期")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="staff__region_code", facility="staff__facility_id", provider="staff__provider_id")

    class Meta:
        verbose_name = verbose_name_plural = "资格证书"
        ordering = ["kind", "-issued_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "kind", "number"], name="certificate_number_once"),
            models.CheckConstraint(
                condition=(Q(kind="carer") & Q(level__gte=1) & Q(level__lte=5)) | (~Q(kind="carer") & Q(level=None)),
                name="certificate_level_for_carers_only",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def level_label(self) -> str:
        return f"{'一二三四五'[self.level - 1]}级" if self.level else ""


class TrainingClass(models.Model):
    """A training class organised by a region's civil-affairs bureau or by one facility."""

    region_code = models.CharField("组织单位区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    facility = models.ForeignKey(
        Facility, verbose_name="组织机构", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organiser = models.CharField("组织单位", max_length=100)
    topic = models.CharField("培训主题", max_length=200)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

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
    """One person's attendance of a training class, with the hours credited to them."""

    training = models.ForeignKey(
        TrainingClass, verbose_name="培训班", on_delete=models.PROTECT, related_name="attendance"
    )
    staff = models.ForeignKey(Staff, verbose_name="人员", on_delete=models.PROTECT, related_name="attendance")
    county_code = models.CharField("人员所属县（区）代码", max_length=6)
    hours = models.DecimalField("认定学时", max_digits=6, decimal_places=1)
    passed = models.BooleanField("考核合格", default=True)
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="staff__region_code", facility="staff__facility_id", provider="staff__provider_id")

    class Meta:
        verbose_name = verbose_name_plural = "培训签到"
        ordering = ["training", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "training", "staff"], name="attendance_once"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="attendance_hours_positive"),
        ]

    def __str__(self):
        return f"{self.staff_id} @ {self.training_id}"
