from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.scoping import ScopedManager, ScopeSpec


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


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
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    processed = models.PositiveIntegerField("已处理行数", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    error_count = models.PositiveIntegerField("错误行数", default=0)
    errors = models.JSONField("错误明细", default=list, blank=True)
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
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
