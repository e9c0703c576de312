"""Age-friendly home renovation (居家适老化改造): versioned item catalogs, each region's policy (catalog,
caps per category, yearly target), yearly budgets with their commitment ledger, the organisations that
assess, build and accept, the households' applications with their plan lines, photos, acceptance checks,
the immutable step history and the subsidy payments.

Every row that belongs to a household carries the elder's community (`region_code`) and county, so that
the bureau, the family and the three organisations read the same application through the one scoping
mechanism; an organisation reaches an application through its `Party` row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import DecisionStep, ImmutableEntry
from yiyang.core.masking import Kind, Sensitive
from yiyang.core.owned import RegionOwned
from yiyang.core.photos import PhotoPath
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.elders import categories
from yiyang.elders.models import Elder
from yiyang.providers.models import Provider

# The special categories (yiyang.elders.categories codes) a household may be subsidised for; a region's
# policy sets a cap for each of them it funds.
ELIGIBLE_CATEGORIES = ("tekun", "dibao", "disabled", "advanced_age", "severe_disability")


class Tier(models.TextChoices):
    BASIC = "basic", "基础类"
    OPTIONAL = "optional", "可选类"


class Catalog(models.Model):
    """One version of an item list: the 2020 national list, the 2023 urban guide, or a region's own
    variant of one of them. Reference data, readable by every signed-in user; no personal data."""

    code = models.SlugField("目录编码", max_length=40, unique=True)
    name = models.CharField("目录名称", max_length=100)
    document = models.CharField("依据文件", max_length=120, blank=True)
    version = models.PositiveSmallIntegerField("版本", default=1)
    region_code = models.CharField("适用区划代码", max_length=12, blank=True, help_text="空 = 全国通用")
    based_on = models.ForeignKey(
        "self", verbose_name="所依据的目录", null=True, blank=True, on_delete=models.PROTECT, related_name="variants"
    )
    is_complete = models.BooleanField("条目齐全", default=True, help_text="否 = 只录入了已核实的部分条目")
    note = models.TextField("说明（来源与核实情况）", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "适老化改造目录"
        ordering = ["region_code", "code", "version"]

    def __str__(self):
        return f"{self.name}（第 {self.version} 版）"


class CatalogItem(models.Model):
    catalog = models.ForeignKey(Catalog, verbose_name="目录", on_delete=models.PROTECT, related_name="items")
    number = models.PositiveSmallIntegerField("序号")
    group = models.CharField("类别", max_length=20)
    name = models.CharField("项目名称", max_length=60)
    tier = models.CharField("类型", max_length=8, choices=Tier.choices)
    unit = models.CharField("单位", max_length=10, default="项")
    reference_price = models.PositiveIntegerField("参考单价（分）", default=0)
    # A region's variant may leave an optional item out and limit the subsidy of an item; the national
    # lists offer every item with no limit of their own (the household's cap still holds).
    offered = models.BooleanField("本地提供", default=True)
    subsidy_cap = models.PositiveIntegerField("单项补贴上限（分）", null=True, blank=True, help_text="空 = 不单独限额")
    # False where the name, order or tier could not be checked against the source document
    # (docs/renovation.md lists what stays open).
    verified = models.BooleanField("已核实", default=False)
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "改造项目"
        ordering = ["catalog", "number"]
        constraints = [models.UniqueConstraint(fields=["catalog", "number"], name="renovation_item_number")]

    def __str__(self):
        return f"{self.number}. {self.name}"


class Policy(RegionOwned):
    """A region's renovation policy for a year: the catalog it uses, the subsidy cap per category (fen)
    and the number of households it must complete. A household is under the nearest policy above it."""

    region_label = "适用区划代码"
    year = models.PositiveSmallIntegerField("年度")
    catalog = models.ForeignKey(Catalog, verbose_name="改造目录", on_delete=models.PROTECT, related_name="+")
    caps = models.JSONField("每户补贴上限（分，按类别）", default=dict)
    target = models.PositiveIntegerField("年度目标（户）", default=0)
    document = models.CharField("政策文件", max_length=120, blank=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "适老化改造政策"
        ordering = ["-year", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "region_code", "year"], name="renovation_policy_once")
        ]

    def __str__(self):
        return f"{self.region_code} {self.year} 年改造政策"

    def cap_for(self, category: str) -> int | None:
        value = self.caps.get(category)
        return None if value in (None, "") else int(value)


class FundSource(models.TextChoices):
    CENTRAL = "central", "中央资金"
    PROVINCE = "province", "省级资金"
    CITY = "city", "市级资金"
    COUNTY = "county", "县级资金"
    LOTTERY = "lottery", "福彩公益金"


class Budget(RegionOwned):
    """A county's funds for a year from one source. What is committed is the sum of its ledger entries;
    approvals take this row's lock (select_for_update) before they sum and commit, so that no
    interleaving commits more than `amount`. `seq` numbers the commitments: the queue order."""

    region_label = "县（区）区划代码"
    year = models.PositiveSmallIntegerField("年度")
    source = models.CharField("资金来源", max_length=10, choices=FundSource.choices)
    amount = models.PositiveBigIntegerField("预算金额（分）")
    seq = models.PositiveIntegerField("已登记的占用笔数", default=0)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "适老化改造资金"
        ordering = ["-year", "region_code", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "region_code", "year", "source"], name="renovation_budget_once"
            )
        ]

    def __str__(self):
        return f"{self.year} 年{self.get_source_display()}"


class OrgRole(models.TextChoices):
    ASSESS = "assess", "评估设计机构"
    CONSTRUCT = "construct", "施工单位"
    ACCEPT = "accept", "验收机构"


class Org(models.Model):
    """A provider of the registry taking one role in a county's renovation work."""

    provider = models.ForeignKey(Provider, verbose_name="服务商", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=10, choices=OrgRole.choices)
    region_code = models.CharField("服务区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", provider="provider_id")

    class Meta:
        verbose_name = verbose_name_plural = "适老化改造机构"
        ordering = ["county_code", "role", "provider_id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "provider", "role"], name="renovation_org_role_once")
        ]

    def __str__(self):
        return f"{self.provider}（{self.get_role_display()}）"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "已申请（待街道初审）"
    STREET_APPROVED = "street_approved", "街道已初审（待县级审核）"
    COUNTY_APPROVED = "county_approved", "县级已审核（待评估）"
    ASSESSED = "assessed", "已评估（待确认方案）"
    CONFIRMED = "confirmed", "方案已确认（待施工）"
    IN_CONSTRUCTION = "in_construction", "施工中"
    COMPLETED = "completed", "已完工（待验收）"
    REWORK = "rework", "验收未通过（整改中）"
    ACCEPTED = "accepted", "已验收"
    SUBSIDY_APPROVED = "subsidy_approved", "补贴已核定"
    PAID = "paid", "补贴已拨付"
    CLOSED = "closed", "已结案"
    REFUSED = "refused", "未通过"


WAITING_STATES = (Status.SUBMITTED, Status.STREET_APPROVED)
# Works accepted: the household counts as completed against the yearly target.
DONE_STATES = (Status.ACCEPTED, Status.SUBSIDY_APPROVED, Status.PAID, Status.CLOSED)
# The county has committed funds for these households.
COMMITTED_STATES = (
    Status.COUNTY_APPROVED,
    Status.ASSESSED,
    Status.CONFIRMED,
    Status.IN_CONSTRUCTION,
    Status.COMPLETED,
    Status.REWORK,
    *DONE_STATES,
)


class ApplicantKind(models.TextChoices):
    FAMILY = "family", "老人或家属申请"
    COMMUNITY = "community", "社区工作者代为申请"
    REFERRAL = "referral", "探访关爱转介"


class Application(RegionOwned):
    """One household's application, from submission to the closed file."""

    region_label = "老人所属社区（村）代码"
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    address = models.CharField("改造住址", max_length=200)
    household_key = models.CharField("住户标识（规范化住址）", max_length=240)
    category = models.CharField("补贴类别", max_length=20)
    applicant_kind = models.CharField("申请方式", max_length=10, choices=ApplicantKind.choices)
    applicant_name = models.CharField("申请人", max_length=50)
    referral_ref = models.CharField("转介编号", max_length=64, blank=True, help_text="探访记录或转办单的编号")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    version = models.PositiveIntegerField("版本", default=1)
    submitted_at = models.DateTimeField("申请时间", default=timezone.now)
    cap = models.PositiveIntegerField("补贴上限（分）")
    policy = models.ForeignKey(Policy, verbose_name="适用政策", on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(
        Provider, verbose_name="评估设计机构", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contractor = models.ForeignKey(
        Provider, verbose_name="施工单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acceptor = models.ForeignKey(
        Provider, verbose_name="验收机构", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    budget = models.ForeignKey(
        Budget, verbose_name="占用资金", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_total = models.PositiveIntegerField("方案总价（分）", default=0)
    subsidy = models.PositiveIntegerField("补贴金额（分）", default=0)
    self_pay = models.PositiveIntegerField("自付金额（分）", default=0)
    confirmed_by = models.CharField("方案确认人", max_length=50, blank=True)
    rework_rounds = models.PositiveSmallIntegerField("整改次数", default=0)
    refusal_reason = models.CharField("未通过原因", max_length=1000, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="elder_id", provider="parties__provider_id")
    sensitive = Sensitive({"address": Kind.ADDRESS}, "renovation.view_sensitive_application", label="改造住址")

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "适老化改造申请"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "year", "status"], name="renovation_app_region"),
            models.Index(fields=["county_code", "status", "submitted_at"], name="renovation_app_queue"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(subsidy__lte=models.F("cap")), name="renovation_subsidy_within_cap"),
        ]

    def __str__(self):
        return f"{self.elder.name} {self.year} 年适老化改造"

    @property
    def number(self) -> str:
        return f"SLH{self.county_code}{self.pk:06d}"

    @property
    def category_label(self) -> str:
        found = categories.BY_CODE.get(self.category)
        return found.label if found else self.category


class Party(models.Model):
    """The organisation of one role on an application: how an organisation reaches the rows it works on."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="parties")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=10, choices=OrgRole.choices)
    county_code = models.CharField("县（区）代码", max_length=6)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", provider="provider_id")

    class Meta:
        verbose_name = verbose_name_plural = "改造参与机构"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "application", "role"], name="renovation_party_role_once")
        ]

    def __str__(self):
        return f"{self.application_id} {self.role} {self.provider_id}"


class ClaimKind(models.TextChoices):
    ADDRESS = "address", "住址"
    ELDER = "elder", "老人"


class HouseholdClaim(models.Model):
    """One household, one subsidy: a narrow table keyed by the normalised address and by the elder's ID
    number, province-wide, so that the rule holds under concurrent submissions (the primary key decides)
    and can be distributed by its own key. Released only when an application is refused."""

    key = models.CharField("住户键", max_length=260, primary_key=True)
    kind = models.CharField("类型", max_length=8, choices=ClaimKind.choices)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "一户一补登记"

    def __str__(self):
        return self.key


class ApplicationStep(DecisionStep):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("环节", max_length=20)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id",
                      provider="application__parties__provider_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "改造办理记录"
        ordering = ["at", "id"]


class EntryKind(models.TextChoices):
    COMMIT = "commit", "审核占用"
    ADJUST = "adjust", "按确认方案调整"


class BudgetEntry(ImmutableEntry):
    """A commitment of a budget (positive) or its adjustment (negative), numbered in the budget's queue."""

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="budget_entries")
    region_code = models.CharField("老人所属社区（村）代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    seq = models.PositiveIntegerField("序号")
    kind = models.CharField("类型", max_length=8, choices=EntryKind.choices)
    amount = models.BigIntegerField("金额（分）")
    idempotency_key = models.CharField(max_length=80)
    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField("办理人", max_length=150, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "改造资金占用流水"
        ordering = ["budget", "seq", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="renovation_budget_entry_once"),
            models.UniqueConstraint(fields=["budget", "seq"], name="renovation_budget_entry_seq"),
        ]

    def __str__(self):
        return f"{self.idempotency_key} {self.amount}"


class PlanLine(models.Model):
    """One catalog item on an application: what the assessor found, whether it is in the plan, its price,
    and where the works and the acceptance stand."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(CatalogItem, verbose_name="改造项目", on_delete=models.PROTECT, related_name="+")
    county_code = models.CharField("县（区）代码", max_length=6)
    needed = models.BooleanField("评估需要", default=True)
    in_plan = models.BooleanField("纳入方案", default=True)
    quantity = models.DecimalField("数量", max_digits=8, decimal_places=2, default=1)
    unit_price = models.PositiveIntegerField("单价（分）", default=0)
    amount = models.PositiveIntegerField("金额（分）", default=0)
    note = models.CharField("评估说明", max_length=300, blank=True)
    rework = models.BooleanField("待整改", default=False)
    passed = models.BooleanField("验收通过", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id",
                      provider="application__parties__provider_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "改造方案明细"
        ordering = ["application", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "application", "item"], name="renovation_line_item_once")
        ]

    def __str__(self):
        return f"{self.application_id} {self.item_id}"


class Stage(models.TextChoices):
    ASSESS = "assess", "评估现场"
    BEFORE = "before", "施工前"
    AFTER = "after", "施工后"
    ACCEPT = "accept", "验收"


class LinePhoto(models.Model):
    line = models.ForeignKey(PlanLine, on_delete=models.CASCADE, related_name="photos")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="photos")
    county_code = models.CharField("县（区）代码", max_length=6)
    stage = models.CharField("环节", max_length=8, choices=Stage.choices)
    file = models.FileField(upload_to=PhotoPath("renovation"))
    extension = models.CharField(max_length=5)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id",
                      provider="application__parties__provider_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "改造照片"
        ordering = ["line", "stage", "uploaded_at", "id"]

    def __str__(self):
        return f"{self.line_id} {self.stage}"


class Check(ImmutableEntry):
    """The acceptance organisation's verdict on one plan line in one round; a failed line goes back to
    the contractor and is checked again in the next round."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="checks")
    line = models.ForeignKey(PlanLine, on_delete=models.PROTECT, related_name="checks")
    county_code = models.CharField("县（区）代码", max_length=6)
    contractor = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField("验收轮次")
    passed = models.BooleanField("通过")
    note = models.CharField("验收意见", max_length=300, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    by_name = models.CharField("验收人", max_length=150, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id",
                      provider="application__parties__provider_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "逐项验收记录"
        ordering = ["application", "round", "line"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "line", "round"], name="renovation_check_once_a_round")
        ]

    def __str__(self):
        return f"{self.line_id} 第{self.round}轮 {'通过' if self.passed else '不通过'}"


class Complaint(ImmutableEntry):
    """A complaint by the household or the bureau about an assigned organisation (usually the contractor):
    counted in the organisation's complaint rate."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="complaints")
    provider = models.ForeignKey(Provider, verbose_name="被投诉机构", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=10, choices=OrgRole.choices)
    county_code = models.CharField("县（区）代码", max_length=6)
    text = models.CharField("投诉内容", max_length=500)
    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField("投诉人", max_length=150, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id",
                      provider="application__parties__provider_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "改造投诉"
        ordering = ["application", "at", "id"]

    def __str__(self):
        return f"{self.application_id} {self.provider_id}"


class Payment(ImmutableEntry):
    """The subsidy paid for one household. The key (one per application) makes a second payment
    impossible, whatever clicks or retries arrive."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="payments")
    payee = models.ForeignKey(Provider, verbose_name="收款单位", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("老人所属社区（村）代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    amount = models.PositiveBigIntegerField("拨付金额（分）")
    idempotency_key = models.CharField(max_length=80)
    paid_at = models.DateTimeField("拨付时间", default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "改造补贴拨付流水"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="renovation_payment_once")
        ]

    def __str__(self):
        return f"{self.idempotency_key} {self.amount}"
