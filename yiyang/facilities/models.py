from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.elders.models import Elder


class FacilityType(models.TextChoices):
    INSTITUTION = "institution", "养老机构"
    SUPPORT_HOME = "support_home", "特困供养服务机构（敬老院）"
    STREET_CENTRE = "street_centre", "街道综合养老服务中心"
    DAY_CARE = "day_care", "社区日间照料中心"
    RURAL_HAPPINESS = "rural_happiness", "农村幸福院"
    HOME_CARE_STATION = "home_care_station", "居家养老服务站"
    CANTEEN = "canteen", "长者饭堂/助餐点"


class OperationModel(models.TextChoices):
    PUBLIC = "public", "公建公营"
    PUBLIC_PRIVATE = "public_private", "公建民营"
    PRIVATE = "private", "民办"
    BUILT_WITH_HOUSING = "built_with_housing", "配建民营"
    SOCIAL = "social", "社会组织运营"
    OTHER = "other", "其他"


class FacilityStatus(models.TextChoices):
    OPERATING = "operating", "运营中"
    PREPARING = "preparing", "筹建中"
    SUSPENDED = "suspended", "暂停运营"
    CLOSED = "closed", "已关闭"


class Service(models.TextChoices):
    """Services a facility offers (GB/T 43153-2023 categories, as used on the public map)."""

    LONG_TERM_CARE = "long_term_care", "全托长住"
    DAY_CARE = "day_care", "日间照料"
    RESPITE = "respite", "短期托养"
    MEALS = "meals", "助餐"
    BATHING = "bathing", "助浴"
    CLEANING = "cleaning", "助洁"
    MEDICAL = "medical", "医疗护理"
    REHABILITATION = "rehabilitation", "康复护理"
    DEMENTIA = "dementia", "认知症照护"
    HOME_VISITS = "home_visits", "上门服务"
    EMOTIONAL = "emotional", "精神慰藉"
    ACTIVITIES = "activities", "文体活动"


class Facility(models.Model):
    """A care facility of any type (养老服务设施), from a nursing home to a community canteen."""

    code = models.CharField("机构编码", max_length=32)
    name = models.CharField("机构名称", max_length=100)
    facility_type = models.CharField("机构类型", max_length=20, choices=FacilityType.choices)
    operation_model = models.CharField("运营模式", max_length=20, choices=OperationModel.choices)
    region_code = models.CharField("所属区划代码", max_length=12)
    county_code = models.CharField("所属县（区）代码", max_length=6)
    address = models.CharField("地址", max_length=200)
    lat = models.FloatField("纬度", null=True, blank=True)
    lng = models.FloatField("经度", null=True, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    contact_person = models.CharField("联系人", max_length=50, blank=True)
    opening_hours = models.CharField("开放时间", max_length=100, blank=True)
    services = models.JSONField("服务项目", default=list, blank=True)
    monthly_fee_min = models.PositiveIntegerField("月收费下限（分）", null=True, blank=True)
    monthly_fee_max = models.PositiveIntegerField("月收费上限（分）", null=True, blank=True)
    beds_total = models.PositiveIntegerField("床位总数", default=0)
    beds_nursing = models.PositiveIntegerField("护理型床位", default=0)
    beds_occupied = models.PositiveIntegerField("在住人数", default=0)
    star_rating = models.PositiveSmallIntegerField(
        "星级", default=0, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    star_rating_valid_until = models.DateField(
        "星级有效期至", null=True, blank=True, help_text="等级评定结果公布日期加有效年限（默认 3 年）；当日仍有效"
    )
    status = models.CharField("状态", max_length=10, choices=FacilityStatus.choices, default=FacilityStatus.OPERATING)
    established_on = models.DateField("开业日期", null=True, blank=True)
    description = models.TextField("简介", blank=True)
    is_published = models.BooleanField("在服务地图公开", default=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="pk")

    class Meta:
        verbose_name = verbose_name_plural = "养老服务机构"
        ordering = ["region_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "code"], name="facility_county_code"),
            models.CheckConstraint(
                condition=Q(beds_nursing__lte=F("beds_total")), name="facility_nursing_beds_le_total"
            ),
            models.CheckConstraint(condition=Q(beds_occupied__lte=F("beds_total")), name="facility_occupied_le_total"),
            models.CheckConstraint(condition=Q(star_rating__lte=5), name="facility_star_rating_range"),
        ]
        indexes = [
            models.Index(fields=["region_code", "id"], name="facility_region_id"),
            models.Index(fields=["county_code", "facility_type"], name="facility_county_type"),
            models.Index(fields=["lat", "lng"], name="facility_lat_lng"),
        ]

    def __str__(self):
        return self.name

    @property
    def beds_vacant(self) -> int:
        return max(self.beds_total - self.beds_occupied, 0)

    def star_rating_is_valid(self, today=None) -> bool:
        """A rating counts until its validity ends; a rating recorded without a validity date (entered
        before ratings were tracked here) is shown as it was entered."""
        if not self.star_rating:
            return False
        return self.star_rating_valid_until is None or self.star_rating_valid_until >= (today or timezone.localdate())

    @property
    def stars(self) -> str:
        return "★" * self.star_rating

    @property
    def star_rating_expired(self) -> bool:
        return bool(self.star_rating) and not self.star_rating_is_valid()


class FacilityCode(models.Model):
    """One row per facility code across the whole platform: a code names one facility, whichever
    county registered it first. Kept apart from the scoped `Facility` table (whose unique key holds the
    county code) so that the table can be distributed by county and this one by code (DESIGN.md §7)."""

    code = models.CharField("机构编码", max_length=32, primary_key=True)
    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="code_key")

    class Meta:
        verbose_name = verbose_name_plural = "机构编码登记"

    def __str__(self):
        return self.code


class Residence(models.Model):
    """An elder living in (or attending) a facility, from admission until leaving."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="residences")
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="residences")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("机构所属县（区）代码", max_length=6)
    bed_number = models.CharField("床位号", max_length=20, blank=True)
    admitted_on = models.DateField("入住日期")
    left_on = models.DateField("离开日期", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "入住记录"
        ordering = ["-admitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "elder"],
                condition=Q(left_on__isnull=True),
                name="residence_one_current_per_elder",
            ),
        ]

    def __str__(self):
        return f"{self.elder} @ {self.facility}"
