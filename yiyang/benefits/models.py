"""Elderly allowances (老年人补贴): programs and their bands per county, applications and their review,
recipients, the monthly payroll with its lines and the bank's results, the ledger of payments, stop lists
(deaths, moves), recovery cases with their own ledger, and the yearly verification of eligibility.

Every scoped row carries its county code, and every unique constraint includes it (DESIGN.md §7). Rows of
one elder carry the elder's community (`region_code`), so that the county, the street, the community and
the family reach the same rows through the one scoping mechanism.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.ledger import DecisionStep, ImmutableEntry
from yiyang.core.masking import Kind, Sensitive
from yiyang.core.owned import RegionOwned
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.elders.models import Elder

# --- Programs as data -------------------------------------------------------------------------------


class ProgramKind(models.TextChoices):
    OLD_AGE = "old_age", "高龄津贴"
    SERVICE = "service", "经济困难老年人服务补贴"
    CARE = "care", "失能老年人护理补贴"


class FacilityRule(models.TextChoices):
    ANY = "any", "居家或入住机构均可"
    HOME_ONLY = "home_only", "仅限居家（入住机构的停发）"


class StartRule(models.TextChoices):
    AFTER_BIRTHDAY = "after_birthday", "达到年龄的次月起发放"
    AFTER_APPROVAL = "after_approval", "审批通过的次月起发放"


class Program(RegionOwned):
    """One allowance of one county, with its eligibility rules, its start rule and its end rules as
    data. `placeholder` marks amounts the bureau has not confirmed yet: pages show them as such."""

    region_label = "适用区划代码"
    code = models.SlugField("项目编码", max_length=40)
    name = models.CharField("项目名称", max_length=60)
    kind = models.CharField("类别", max_length=10, choices=ProgramKind.choices)
    min_age = models.PositiveSmallIntegerField("最低年龄（周岁）", default=80)
    # Bits of yiyang.elders.categories; 0: no category required. One of the bits suffices.
    categories_any = models.PositiveIntegerField("须属于的特殊类别（任一）", default=0)
    min_capability_level = models.PositiveSmallIntegerField("最低失能等级", null=True, blank=True)
    facility_rule = models.CharField("入住机构", max_length=10, choices=FacilityRule.choices, default=FacilityRule.ANY)
    start_rule = models.CharField("起发规则", max_length=16, choices=StartRule.choices,
                                  default=StartRule.AFTER_BIRTHDAY)  # fmt: skip
    notice_days = models.PositiveSmallIntegerField("公示天数", default=7)
    verify_every_months = models.PositiveSmallIntegerField("资格认证周期（月）", default=12)
    suspend_after_days = models.PositiveSmallIntegerField("认证逾期通知后暂停（天）", default=30)
    placeholder = models.BooleanField("金额待民政部门确认", default=True)
    policy = models.CharField("政策依据", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "补贴项目"
        ordering = ["region_code", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["county_code", "code"], name="benefits_program_code")]

    def __str__(self):
        return self.name


class Band(models.Model):
    """An amount of a program for an age range or a capability level: the province's floor plus the
    county's top-up, in fen."""

    program = models.ForeignKey(Program, verbose_name="补贴项目", on_delete=models.CASCADE, related_name="bands")
    county_code = models.CharField("县（区）代码", max_length=6)
    label = models.CharField("档次", max_length=40)
    min_age = models.PositiveSmallIntegerField("起始年龄", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("截止年龄", null=True, blank=True)
    capability_level = models.PositiveSmallIntegerField("失能等级", null=True, blank=True)
    floor_fen = models.PositiveIntegerField("省定标准（分/月）")
    top_up_fen = models.PositiveIntegerField("县级提标（分/月）", default=0)

    objects = ScopedManager()
    scope = ScopeSpec(region="program__region_code")

    class Meta:
        verbose_name = verbose_name_plural = "补贴档次"
        ordering = ["program", "min_age", "capability_level", "id"]

    def __str__(self):
        return f"{self.program.name} {self.label}"

    @property
    def amount_fen(self) -> int:
        return self.floor_fen + self.top_up_fen


# --- Applications and their review ---------------------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "待社区初审"
    COMMUNITY_PASSED = "community_passed", "待街道审核"
    STREET_PASSED = "street_passed", "待公示"
    IN_NOTICE = "in_notice", "公示中"
    OBJECTED = "objected", "公示有异议"
    APPROVED = "approved", "已审批"
    REFUSED = "refused", "未通过"


class ApplicationSource(models.TextChoices):
    ONLINE = "online", "网上申请"
    CANDIDATE = "candidate", "系统比对主动发现"
    COUNTER = "counter", "窗口代办"
    REFERRAL = "referral", "探访转介"


class Application(RegionOwned):
    region_label = "老人所属社区代码"
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, verbose_name="补贴项目", on_delete=models.PROTECT, related_name="applications")
    status = models.CharField("状态", max_length=20, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)  # fmt: skip
    source = models.CharField("来源", max_length=10, choices=ApplicationSource.choices,
                              default=ApplicationSource.ONLINE)  # fmt: skip
    applicant_name = models.CharField("申请人", max_length=50)
    applicant_relation = models.CharField("与老人关系", max_length=20, default="本人")
    applicant_phone = models.CharField("申请人电话", max_length=20, blank=True)
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    account_holder = models.CharField("账户户名", max_length=50, blank=True)
    notice_ends = models.DateField("公示截止日期", null=True, blank=True)
    decided_on = models.DateField("审批日期", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip
    created_at = models.DateTimeField("申请时间", default=timezone.now)

    scope = ScopeSpec(region="region_code", facility="elder__facility_id", elder="elder_id")
    sensitive = Sensitive({"applicant_phone": Kind.PHONE, "bank_account": Kind.BANK_ACCOUNT},
                          "benefits.view_sensitive_application", label="申请人电话和银行账号")  # fmt: skip

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "补贴申请"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["county_code", "status"], name="benefits_application_status")]

    def __str__(self):
        return f"{self.elder.name} {self.program.name}"


class ApplicationStep(DecisionStep):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("环节", max_length=30)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "补贴申请办理记录"
        ordering = ["at", "id"]


class DocumentKind(models.TextChoices):
    ID_CARD = "id_card", "身份证"
    HOUSEHOLD = "household", "户口簿"
    BANK_CARD = "bank_card", "银行卡（存折）"
    ASSESSMENT = "assessment", "能力评估结论"
    HARDSHIP = "hardship", "经济困难证明"
    OTHER = "other", "其他材料"


class ApplicationDocument(models.Model):
    """A document uploaded with an application (a scan or a photo); read through the application's scope."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("材料类别", max_length=12, choices=DocumentKind.choices)
    file = models.FileField("文件", upload_to="benefits/documents/%Y/%m/")
    filename = models.CharField("原文件名", max_length=120)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="application__region_code", elder="application__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"
        ordering = ["id"]

    def __str__(self):
        return self.filename


# --- Recipients ------------------------------------------------------------------------------------------


class RecipientStatus(models.TextChoices):
    ACTIVE = "active", "正常发放"
    SUSPENDED = "suspended", "暂停发放"
    STOPPED = "stopped", "已停发"


class StopReason(models.TextChoices):
    DEATH = "death", "死亡"
    MOVED = "moved", "迁出本地"
    FACILITY = "facility", "入住养老机构"
    VOLUNTARY = "voluntary", "本人申请停发"
    INELIGIBLE = "ineligible", "经核查不符合条件"


class Recipient(RegionOwned):
    """An elder receiving one program. `start_month` is the first month owed; `stop_month` the first
    month no longer owed (None while it runs); `next_month` the first month not yet put on a payroll, so
    that a payroll rerun finds nothing left to add and months missed while suspended are paid later."""

    region_label = "老人所属社区代码"
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, verbose_name="补贴项目", on_delete=models.PROTECT, related_name="recipients")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField("状态", max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.ACTIVE)
    start_month = models.DateField("起发月份")
    stop_month = models.DateField("停发月份", null=True, blank=True, help_text="自该月起不再发放")
    stop_reason = models.CharField("停发原因", max_length=12, choices=StopReason.choices, blank=True)
    next_month = models.DateField("下一个待造册月份")
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    account_holder = models.CharField("账户户名", max_length=50, blank=True)
    verified_until = models.DateField("资格认证有效期至", null=True, blank=True)
    created_at = models.DateTimeField("纳入时间", default=timezone.now)

    scope = ScopeSpec(region="region_code", facility="elder__facility_id", elder="elder_id")
    sensitive = Sensitive({"bank_account": Kind.BANK_ACCOUNT}, "benefits.view_sensitive_recipient",
                          label="完整银行账号")  # fmt: skip

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "补贴对象"
        ordering = ["region_code", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "program", "elder"],
                                               name="benefits_recipient_once")]  # fmt: skip
        indexes = [models.Index(fields=["county_code", "status", "next_month"], name="benefits_recipient_due")]

    def __str__(self):
        return f"{self.elder.name} {self.program.name}"


class RecipientStep(DecisionStep):
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("环节", max_length=30)
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)

    objects = ScopedManager()
    scope = ScopeSpec(region="recipient__region_code", elder="recipient__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "补贴对象变更记录"
        ordering = ["at", "id"]


# --- Bank file formats as data ---------------------------------------------------------------------------

# The fields a bank file may carry, by key; a format lists the keys it wants, in its order.
FILE_FIELDS = {
    "line_no": "序号",
    "account": "账号",
    "holder": "户名",
    "amount": "金额",
    "id_number": "身份证号码",
    "month": "发放月份",
    "program": "项目",
    "result": "处理结果",
    "reason": "失败原因",
}


class BankFormat(RegionOwned):
    """How one paying bank wants its payroll file and writes its result file. The payroll file is
    delimited text in the bank's encoding, with a totals line (marker, count, amount) at its head or foot;
    the result file is a .csv or .xlsx read through core's tabular reader, with the same totals line."""

    region_label = "适用区划代码"
    code = models.SlugField("格式编码", max_length=40)
    name = models.CharField("银行及格式名称", max_length=80)
    encoding = models.CharField("文件编码", max_length=10, choices=[("gbk", "GBK"), ("utf-8", "UTF-8")], default="gbk")
    delimiter = models.CharField("分隔符", max_length=2, default=",")
    with_header = models.BooleanField("含表头行", default=True)
    columns = models.JSONField("代发文件列", help_text="字段键的列表，见 FILE_FIELDS")
    amount_in_yuan = models.BooleanField("金额以元为单位（两位小数）", default=True)
    totals = models.CharField("汇总行位置", max_length=6, choices=[("head", "文件首行"), ("foot", "文件末行")],
                              default="foot")  # fmt: skip
    totals_marker = models.CharField("汇总行标记", max_length=10, default="汇总")
    success_values = models.JSONField("表示成功的处理结果", default=list)
    placeholder = models.BooleanField("格式待开户银行确认", default=True)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "代发文件格式"
        constraints = [models.UniqueConstraint(fields=["county_code", "code"], name="benefits_bankformat_code")]

    def __str__(self):
        return self.name


# --- Payroll ---------------------------------------------------------------------------------------------


class PayrollStatus(models.TextChoices):
    DRAFT = "draft", "待复核"
    CHECKED = "checked", "待审批"
    APPROVED = "approved", "已审批待导出"
    EXPORTED = "exported", "已导出待回盘"
    SETTLED = "settled", "已回盘"


class Payroll(RegionOwned):
    """The month's payroll of one county: one line per recipient and month owed."""

    region_label = "县（区）代码（12位）"
    month = models.DateField("发放月份")
    status = models.CharField("状态", max_length=10, choices=PayrollStatus.choices, default=PayrollStatus.DRAFT)
    bank_format = models.ForeignKey(BankFormat, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lines_count = models.PositiveIntegerField("笔数", default=0)
    total_fen = models.PositiveBigIntegerField("金额（分）", default=0)
    exported_at = models.DateTimeField("导出时间", null=True, blank=True)
    settled_at = models.DateTimeField("回盘时间", null=True, blank=True)
    created_at = models.DateTimeField("生成时间", default=timezone.now)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "月度发放名册"
        ordering = ["-month", "region_code"]
        constraints = [models.UniqueConstraint(fields=["county_code", "month"], name="benefits_payroll_month")]

    def __str__(self):
        return f"{self.month:%Y年%m月}发放名册"


class PayrollStep(DecisionStep):
    payroll = models.ForeignKey(Payroll, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("环节", max_length=30)
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)

    objects = ScopedManager()
    scope = ScopeSpec(region="payroll__region_code")

    class Meta:
        verbose_name = verbose_name_plural = "发放名册办理记录"
        ordering = ["at", "id"]


class LineStatus(models.TextChoices):
    PENDING = "pending", "待发放"
    PAID = "paid", "发放成功"
    FAILED = "failed", "发放失败（待重发）"


class PayrollLine(models.Model):
    """One month owed to one recipient, on the payroll of the month it was first put on (arrears of months
    missed while suspended ride on a later payroll). The constraint makes a second line for the same
    recipient and month impossible, whatever runs at once."""

    payroll = models.ForeignKey(Payroll, on_delete=models.CASCADE, related_name="lines")
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="lines")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    band = models.ForeignKey(Band, null=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    month = models.DateField("所属月份")
    line_no = models.PositiveIntegerField("序号", default=0)
    amount = models.PositiveIntegerField("金额（分）")
    holder = models.CharField("户名", max_length=50)
    bank_account = models.CharField("银行账号", max_length=32)
    status = models.CharField("发放结果", max_length=8, choices=LineStatus.choices, default=LineStatus.PENDING)
    fail_reason = models.CharField("失败原因", max_length=200, blank=True)
    retries = models.PositiveSmallIntegerField("重发次数", default=0)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="recipient__elder_id")
    sensitive = Sensitive({"bank_account": Kind.BANK_ACCOUNT}, "benefits.view_sensitive_recipient",
                          label="完整银行账号")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "发放明细"
        ordering = ["payroll", "line_no", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "recipient", "month"],
                                               name="benefits_line_once")]  # fmt: skip
        indexes = [models.Index(fields=["payroll", "status"], name="benefits_line_status")]

    def __str__(self):
        return f"{self.holder} {self.month:%Y-%m}"


class Payment(ImmutableEntry):
    """The ledger of money paid out: one entry per line the bank confirmed, keyed by the line."""

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="payments")
    line = models.ForeignKey(PayrollLine, null=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    month = models.DateField("所属月份")
    paid_month = models.DateField("发放月份")
    amount = models.PositiveIntegerField("金额（分）")
    idempotency_key = models.CharField(max_length=80)
    at = models.DateTimeField("入账时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="recipient__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "补贴发放流水"
        ordering = ["month", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="benefits_payment_once")]

    def __str__(self):
        return f"{self.idempotency_key} {self.amount}"


# --- Stop lists and recovery -------------------------------------------------------------------------------


class StopKind(models.TextChoices):
    DEATH = "death", "死亡名单"
    MOVE = "move", "迁出名单"


class StopBatch(RegionOwned):
    """One uploaded list of deaths (公安、卫健、殡葬) or moves, compared against the recipients."""

    region_label = "县（区）代码（12位）"
    kind = models.CharField("名单类别", max_length=6, choices=StopKind.choices)
    source = models.CharField("数据来源", max_length=30)
    filename = models.CharField("文件名", max_length=120)
    rows = models.PositiveIntegerField("行数", default=0)
    matched = models.PositiveIntegerField("比中并停发", default=0)
    mismatched = models.PositiveIntegerField("姓名不符待核", default=0)
    unmatched = models.PositiveIntegerField("未比中", default=0)
    refused = models.JSONField("未导入的行", default=list)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField("导入时间", default=timezone.now)

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "停发比对批次"
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename}"


class MatchResult(models.TextChoices):
    STOPPED = "stopped", "比中，已停发"
    NAME_MISMATCH = "name_mismatch", "身份证号比中但姓名不符，待人工核实"
    NOT_RECIPIENT = "not_recipient", "非补贴对象"
    ALREADY = "already", "此前已停发"
    EARLIER = "earlier", "此前已停发，停发月份按名单提前"


class StopRecord(models.Model):
    batch = models.ForeignKey(StopBatch, on_delete=models.CASCADE, related_name="records")
    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    row_number = models.PositiveIntegerField("行号")
    id_number = models.CharField("公民身份号码", max_length=18)
    name = models.CharField("姓名", max_length=50)
    event_date = models.DateField("死亡（迁出）日期")
    result = models.CharField("比对结果", max_length=14, choices=MatchResult.choices)
    recipient = models.ForeignKey(Recipient, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")
    sensitive = Sensitive({"id_number": Kind.ID_NUMBER}, "benefits.view_sensitive_recipient")

    class Meta:
        verbose_name = verbose_name_plural = "停发比对明细"
        ordering = ["batch", "row_number"]

    def __str__(self):
        return self.name


class RecoveryStatus(models.TextChoices):
    OPEN = "open", "待追回"
    RECOVERED = "recovered", "已追回"


class RecoveryCase(RegionOwned):
    """Money paid for months after the allowance should have stopped; its balance is the sum of its
    ledger (amounts found due, minus repayments)."""

    region_label = "老人所属社区代码"
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="recoveries")
    reason = models.CharField("原因", max_length=200)
    status = models.CharField("状态", max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    due_fen = models.PositiveIntegerField("应追回（分）", default=0)
    repaid_fen = models.PositiveIntegerField("已追回（分）", default=0)
    opened_at = models.DateTimeField("立案时间", default=timezone.now)

    scope = ScopeSpec(region="region_code", elder="recipient__elder_id")

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "多发追回案件"
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "recipient"], name="benefits_recovery_once")]

    def __str__(self):
        return f"{self.recipient} 追回"

    @property
    def balance_fen(self) -> int:
        return self.due_fen - self.repaid_fen


class RecoveryEntryKind(models.TextChoices):
    DUE = "due", "发现多发"
    REPAID = "repaid", "退回"


class RecoveryEntry(ImmutableEntry):
    """The recovery ledger: a 'due' entry per payment made for a month after the stop (keyed by that
    payment, so a second comparison finds nothing new), a 'repaid' entry per repayment."""

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="entries")
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("类别", max_length=6, choices=RecoveryEntryKind.choices)
    amount = models.PositiveIntegerField("金额（分）")
    month = models.DateField("所属月份", null=True)
    note = models.CharField("说明", max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=80)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField("时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="case__region_code", elder="case__recipient__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "追回流水"
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="benefits_recovery_entry_once")]  # fmt: skip

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


# --- Yearly verification ---------------------------------------------------------------------------------


class VerificationStatus(models.TextChoices):
    DUE = "due", "待认证"
    NOTIFIED = "notified", "已催告"
    VERIFIED = "verified", "已认证"
    SUSPENDED = "suspended", "逾期暂停"


class VerificationMethod(models.TextChoices):
    IN_PERSON = "in_person", "现场认证"
    VIDEO = "video", "视频认证"
    VISIT = "visit", "入户探访记录"


class Verification(RegionOwned):
    """A recipient's verification of one year: due by `due_on`; after a notice, suspension at
    `notice_ends`; a later verification reinstates."""

    region_label = "老人所属社区代码"
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="verifications")
    year = models.PositiveSmallIntegerField("认证年度")
    due_on = models.DateField("认证截止日期")
    status = models.CharField("状态", max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.DUE)
    notice_ends = models.DateField("催告期满", null=True, blank=True)
    method = models.CharField("认证方式", max_length=10, choices=VerificationMethod.choices, blank=True)
    evidence = models.CharField(
        "认证依据", max_length=200, blank=True, help_text="视频记录编号、探访记录编号或经办说明"
    )
    verified_on = models.DateField("认证日期", null=True, blank=True)

    scope = ScopeSpec(region="region_code", elder="recipient__elder_id")

    class Meta(RegionOwned.Meta):
        verbose_name = verbose_name_plural = "资格认证"
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "recipient", "year"],
                                               name="benefits_verification_year")]  # fmt: skip

    def __str__(self):
        return f"{self.recipient} {self.year}年认证"


class VerificationStep(DecisionStep):
    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("环节", max_length=30)
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)

    objects = ScopedManager()
    scope = ScopeSpec(region="verification__region_code", elder="verification__recipient__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "资格认证办理记录"
        ordering = ["at", "id"]
