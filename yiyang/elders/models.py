from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.masking import Kind, Sensitive
from yiyang.core.scoping import ScopedManager, ScopeSpec


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class LivingSituation(models.TextChoices):
    ALONE = "alone", "独居"
    EMPTY_NEST = "empty_nest", "空巢（仅与配偶同住）"
    LEFT_BEHIND = "left_behind", "留守"
    WITH_CHILDREN = "with_children", "与子女同住"
    WITH_RELATIVES = "with_relatives", "与其他亲属同住"
    IN_INSTITUTION = "in_institution", "入住养老机构"
    OTHER = "other", "其他"


class Status(models.TextChoices):
    ACTIVE = "active", "在册"
    MOVED_OUT = "moved_out", "迁出"
    DECEASED = "deceased", "死亡"


class CapabilityLevel(models.IntegerChoices):
    """GB/T 42195-2022 C.3/C.5 levels."""

    INTACT = 0, "能力完好"
    MILD = 1, "轻度失能"
    MODERATE = 2, "中度失能"
    SEVERE = 3, "重度失能"
    TOTAL = 4, "完全失能"


class Elder(models.Model):
    """One elderly resident of the registry (老年人信息库)."""

    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField("姓名拼音", max_length=120, blank=True)
    name_initials = models.CharField("拼音首字母", max_length=20, blank=True)
    id_number = models.CharField("公民身份号码", max_length=18)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    phone = models.CharField("联系电话", max_length=20, blank=True)
    phone_alt = models.CharField("备用电话", max_length=20, blank=True, default="", db_default="")
    address = models.CharField("居住地址", max_length=200, blank=True)
    region_code = models.CharField("所属社区（村）代码", max_length=12)
    county_code = models.CharField("所属县（区）代码", max_length=6)
    lat = models.FloatField("纬度", null=True, blank=True)
    lng = models.FloatField("经度", null=True, blank=True)
    living_situation = models.CharField("居住情况", max_length=20, choices=LivingSituation.choices, blank=True)
    categories = models.PositiveIntegerField("特殊类别", default=0)
    health_notes = models.TextField("健康状况", blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_date = models.DateField("状态变更日期", null=True, blank=True)
    facility_id = models.BigIntegerField("现入住机构", null=True, blank=True, db_index=True)
    capability_level = models.PositiveSmallIntegerField(
        "能力等级", choices=CapabilityLevel.choices, null=True, blank=True
    )
    assessed_on = models.DateField("最近评估日期", null=True, blank=True)
    assessment_due = models.DateField("下次评估日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", elder="pk")
    sensitive = Sensitive(
        {
            "id_number": Kind.ID_NUMBER,
            "phone": Kind.PHONE,
            "phone_alt": Kind.PHONE,
            "address": Kind.ADDRESS,
            "health_notes": Kind.TEXT,
            "lat": Kind.COORDINATE,
            "lng": Kind.COORDINATE,
        },
        "elders.view_sensitive_elder",
    )

    class Meta:
        verbose_name = verbose_name_plural = "老年人"
        ordering = ["region_code", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "id_number"], name="elder_county_id_number")]
        indexes = [
            models.Index(fields=["region_code", "id"], name="elder_region_id"),
            models.Index(fields=["county_code", "name"], name="elder_county_name"),
            models.Index(fields=["county_code", "name_initials"], name="elder_county_initials"),
            models.Index(fields=["phone"], name="elder_phone"),
        ]

    def __str__(self):
        return self.name


class ElderIdentity(models.Model):
    """One row per ID number across the whole platform: the global de-duplication key.

    Kept apart from the scoped `Elder` table so that the table can be distributed by county while this
    one is distributed by ID number (DESIGN.md §7).
    """

    id_number = models.CharField("公民身份号码", max_length=18, primary_key=True)
    elder = models.OneToOneField(Elder, on_delete=models.CASCADE, related_name="identity")

    class Meta:
        verbose_name = verbose_name_plural = "身份号码登记"

    def __str__(self):
        return self.id_number


class Relation(models.TextChoices):
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    RELATIVE = "relative", "其他亲属"
    NEIGHBOUR = "neighbour", "邻居"
    GUARDIAN = "guardian", "监护人"
    OTHER = "other", "其他"


class ElderContact(models.Model):
    """An emergency contact or guardian of an elder."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="contacts")
    county_code = models.CharField("所属县（区）代码", max_length=6)
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("关系", max_length=20, choices=Relation.choices)
    phone = models.CharField("电话", max_length=20)
    phone_alt = models.CharField("备用电话", max_length=20, blank=True, default="", db_default="")
    is_guardian = models.BooleanField("监护人", default=False)

    objects = ScopedManager()
    scope = ScopeSpec(region="elder__region_code", facility="elder__facility_id", elder="elder_id")
    sensitive = Sensitive({"phone": Kind.PHONE, "phone_alt": Kind.PHONE}, "elders.view_sensitive_elder")

    class Meta:
        verbose_name = verbose_name_plural = "紧急联系人"

    def __str__(self):
        return f"{self.name}（{self.get_relation_display()}）"


class AssessmentReason(models.TextChoices):
    FIRST = "first", "首次评估"
    ROUTINE = "routine", "常规评估"
    CHANGE = "change", "即时评估"
    DISPUTE = "dispute", "因评估结果有疑问进行的复评"
    OTHER = "other", "其他"


class Assessment(models.Model):
    """A capability assessment (老年人能力评估) of one elder on one date, per a versioned standard."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="assessments")
    region_code = models.CharField("所属社区（村）代码", max_length=12)
    county_code = models.CharField("所属县（区）代码", max_length=6)
    standard = models.CharField("评估标准", max_length=30, default="GB/T 42195-2022")
    assessed_on = models.DateField("评估基准日期")
    reason = models.CharField("评估原因", max_length=10, choices=AssessmentReason.choices)
    assessor_1 = models.CharField("评估员一", max_length=50)
    assessor_2 = models.CharField("评估员二", max_length=50)
    scores = models.JSONField("各项得分")
    risk_events = models.JSONField("近30天风险事件", default=dict, blank=True)
    coma = models.BooleanField("昏迷", default=False)
    dementia = models.BooleanField("痴呆（F00-F03）", default=False)
    mental_disorder = models.BooleanField("其他精神和行为障碍（F04-F99）", default=False)
    self_care = models.PositiveSmallIntegerField("自理能力")
    mobility = models.PositiveSmallIntegerField("基础运动能力")
    mental = models.PositiveSmallIntegerField("精神状态")
    perception = models.PositiveSmallIntegerField("感知觉与社会参与")
    total = models.PositiveSmallIntegerField("总分")
    preliminary_level = models.PositiveSmallIntegerField("初步等级", choices=CapabilityLevel.choices)
    final_level = models.PositiveSmallIntegerField("最终等级", choices=CapabilityLevel.choices)
    level_changes = models.JSONField("等级变更依据", default=list, blank=True)
    next_due = models.DateField("下次评估日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", default=timezone.now, db_index=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="elder__facility_id", elder="elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "能力评估"
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["elder", "-assessed_on"], name="assessment_elder_date")]

    def __str__(self):
        return f"{self.elder_id} {self.assessed_on} {self.get_final_level_display()}"


class ElderRollup(models.Model):
    """Counts of elders per region (every level, community to province), kept current in the same
    transaction as each write, so that dashboards never scan the registry (DESIGN.md §7).

    Age is kept as the birth year: a band by birth year stays right as people age, where a stored
    age band would go stale every birthday.
    """

    county_code = models.CharField("县（区）代码", max_length=6)
    region_code = models.CharField("区划代码", max_length=12)
    birth_year = models.PositiveSmallIntegerField("出生年份")
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    capability_level = models.SmallIntegerField("能力等级", help_text="-1 = 未评估")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    count = models.IntegerField("人数", default=0)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "老年人统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "region_code", "birth_year", "sex", "capability_level", "status"],
                name="elder_rollup_key",
            )
        ]
        indexes = [models.Index(fields=["region_code"], name="elder_rollup_region")]

    def __str__(self):
        return f"{self.region_code} {self.birth_year} {self.sex} {self.capability_level} {self.status}: {self.count}"


class ElderCategoryRollup(models.Model):
    """Counts of elders per region and special category (a person may hold several)."""

    county_code = models.CharField("县（区）代码", max_length=6)
    region_code = models.CharField("区划代码", max_length=12)
    category = models.CharField("类别", max_length=20)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    count = models.IntegerField("人数", default=0)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "老年人类别统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "region_code", "category", "status"], name="elder_category_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["region_code"], name="elder_category_rollup_region")]

    def __str__(self):
        return f"{self.region_code} {self.category} {self.status}: {self.count}"
