from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.scoping import ScopedManager, ScopeSpec


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    PREVIEWING = "previewing", "预览中"
    PREVIEWED = "previewed", "待确认"
    RUNNING = "running", "导入中"
    INTERRUPTED = "interrupted", "中断"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


# A worker holds a job while it previews or imports it; these states need a live worker.
WORKING = (JobStatus.PREVIEWING, JobStatus.RUNNING)
FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class ImportJob(models.Model):
    """One uploaded file being imported in the background.

    A job belongs to the region of the uploader's membership that allowed the import: the officers of that
    region who may import the same kind of data see it (and its error report), nobody of a neighbouring one.
    """

    kind = models.CharField("数据类型", max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField("文件名", max_length=200)
    stored_path = models.CharField("暂存路径", max_length=300, blank=True)
    status = models.CharField("状态", max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # Counts of committed work: each chunk's rows and these counts are written in one transaction.
    total_rows = models.PositiveIntegerField("总行数", null=True, blank=True)
    processed = models.PositiveIntegerField("已处理行数", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("未变", default=0, db_default=0)
    error_count = models.PositiveIntegerField("错误行数", default=0)
    # The spreadsheet row number of the last row of the last committed chunk: a resumed import starts after it.
    cursor = models.PositiveIntegerField("已提交至行号", default=0, db_default=0)
    # New columns have database defaults too, so that rows carried over from the old `exchange` table
    # (migration 0002) need no value. Row errors of jobs from before ImportRowError; newer jobs keep theirs in that table.
    errors = models.JSONField("错误明细", default=list, blank=True)
    preview = models.JSONField("预览结果", default=dict, blank=True, null=True)
    auto_confirm = models.BooleanField("预览后直接导入", default=False, db_default=False)
    # The region's column mapping (ColumnMapping) as the preview used it: the import reads the file the same way.
    mapping = models.JSONField("表头对应", default=dict, blank=True, db_default={})
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The run that holds the job: a chunk commits only while its run still holds it, so a run that was
    # given up for dead can never write beside the one that resumed it.
    run_token = models.CharField("运行标识", max_length=32, blank=True, default="", db_default="")
    task_id = models.CharField("任务标识", max_length=64, blank=True, default="", db_default="")
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("运行次数", default=0, db_default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField("上传时间", default=timezone.now)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # '' for a platform administrator's upload (then only administrators see the job). A database default
    # too, so that rows carried over from the old `exchange` table (migration 0002) need no value.
    region_code = models.CharField("所属区划代码", max_length=12, blank=True, default="", db_default="")

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "导入任务"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["region_code", "kind"], name="import_job_region_kind")]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        if not self.total_rows:
            return None
        return min(100, self.processed * 100 // self.total_rows)


class ImportRowError(models.Model):
    """One refused cell of an import job's file, with what a clerk needs to find and fix it."""

    job = models.ForeignKey(ImportJob, verbose_name="导入任务", on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField("行号")
    serial = models.CharField("序号", max_length=50, blank=True)
    name = models.CharField("姓名或名称", max_length=100, blank=True)
    identifier = models.CharField("证件号码或编码（已屏蔽）", max_length=40, blank=True)
    column = models.CharField("列", max_length=50)
    value = models.CharField("读取的值", max_length=200, blank=True)
    reason = models.CharField("原因", max_length=300)

    class Meta:
        verbose_name = verbose_name_plural = "导入错误"
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="import_row_error_job_row")]

    def __str__(self):
        return f"第 {self.row} 行 {self.column}：{self.reason}"


class ColumnMapping(models.Model):
    """A header a region's files use that no synonym knows, mapped by a clerk to a column of one kind of import
    (or ignored, `field` ''); used for that region's later files of the same kind automatically."""

    region_code = models.CharField("所属区划代码", max_length=12, blank=True)
    kind = models.CharField("数据类型", max_length=20)
    header = models.CharField("表头（规范化）", max_length=100)
    shown = models.CharField("表头", max_length=100)
    field = models.CharField("对应列", max_length=40, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField("设置时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "导入表头对应"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "kind", "header"], name="import_mapping_region_header")
        ]

    def __str__(self):
        return f"{self.shown} → {self.field or '忽略'}"
