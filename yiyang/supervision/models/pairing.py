"""Cadre pairing (万人助中心): cadres paired with facilities and centres, their board on the centre's
wall (上墙), the visits they record (入网) and the points a region's scheme gives them (计分)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.masking import Kind, Sensitive
from yiyang.core.photos import PhotoPath
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility

__all__ = ["Cadre", "CadreVisit", "Pairing", "ScoringScheme"]


class Cadre(models.Model):
    """A paired cadre (包联干部), registered by the bureau of the region the cadre serves."""

    name = models.CharField("姓名", max_length=50)
    post = models.CharField("单位职务", max_length=100)
    phone = models.CharField("联系电话", max_length=20)
    photo = models.FileField("照片", upload_to=PhotoPath("supervision/cadres", "photo_extension"), blank=True)
    photo_extension = models.CharField(max_length=5, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    region_code = models.CharField("所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    is_active = models.BooleanField("在岗", default=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", person="user")
    sensitive = Sensitive({"phone": Kind.PHONE}, "supervision.view_sensitive_cadre", label="包联干部电话")

    class Meta:
        verbose_name = verbose_name_plural = "包联干部"
        ordering = ["region_code", "name", "id"]
        indexes = [models.Index(fields=["region_code", "name"], name="cadre_region_name")]

    def __str__(self):
        return self.name


class Pairing(models.Model):
    """A cadre paired with one facility or centre from a date, until a date (open = still paired)."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="pairings")
    facility = models.ForeignKey(Facility, verbose_name="机构/中心", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    since = models.DateField("包联开始")
    until = models.DateField("包联结束", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", person="cadre__user")

    class Meta:
        verbose_name = verbose_name_plural = "包联关系"
        ordering = ["facility", "since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "cadre", "facility"], condition=Q(until__isnull=True), name="pairing_one_open"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="pairing_until_after_since"
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.cadre_id} → {self.facility_id}"

    def covers(self, day) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


class CadreVisit(models.Model):
    """A cadre's visit to a paired facility: what was found, problems raised and solved (入网)."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="visits")
    facility = models.ForeignKey(Facility, verbose_name="机构/中心", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    visited_on = models.DateField("走访日期")
    findings = models.TextField("走访情况")
    problems_raised = models.TextField("发现问题", blank=True)
    raised_count = models.PositiveSmallIntegerField("发现问题数", default=0)
    problems_solved = models.TextField("解决问题", blank=True)
    solved_count = models.PositiveSmallIntegerField("解决问题数", default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("录入时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", person="cadre__user")

    class Meta:
        verbose_name = verbose_name_plural = "干部走访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["region_code", "visited_on"], name="cadre_visit_region_day"),
            models.Index(fields=["cadre", "visited_on"], name="cadre_visit_cadre_day"),
        ]

    def __str__(self):
        return f"{self.cadre_id} {self.visited_on}"


class ScoringScheme(models.Model):
    """A region's points (计分) for cadres: per visit, per problem solved, and a monthly cap
    (0 = no cap). Applies to cadres of the region and every region below without a scheme of its own."""

    region_code = models.CharField("适用区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    points_per_visit = models.PositiveSmallIntegerField("每次走访得分")
    points_per_solved = models.PositiveSmallIntegerField("每解决一个问题得分")
    monthly_cap = models.PositiveSmallIntegerField("每月得分上限", help_text="0 表示不设上限")
    source = models.CharField("依据文件", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "干部计分规则"
        constraints = [models.UniqueConstraint(fields=["county_code", "region_code"], name="scoring_scheme_region")]

    def __str__(self):
        return f"{self.region_code} 计分规则"
