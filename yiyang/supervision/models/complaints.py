"""Complaints and the 12345 hotline (投诉): about a facility or a home-care provider, with a reply
deadline and a state machine whose every step is recorded with who, when and why."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import DecisionStep
from yiyang.core.masking import Kind, Sensitive
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility
from yiyang.providers.models import Provider

__all__ = ["Channel", "Complaint", "ComplaintStatus", "ComplaintStep"]


class Channel(models.TextChoices):
    HOTLINE = "hotline_12345", "12345热线"
    PHONE = "phone", "电话"
    WALK_IN = "walk_in", "来访"
    ONLINE = "online", "网上"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "已登记"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "已答复"
    CLOSED = "closed", "已办结"
    REOPENED = "reopened", "重新办理"


class Complaint(models.Model):
    """A complaint about one facility or one home-care provider. The name and the region are the
    facility's or the provider's, copied from its row."""

    facility = models.ForeignKey(Facility, verbose_name="被投诉机构", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")  # fmt: skip
    provider = models.ForeignKey(Provider, verbose_name="被投诉服务商", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")  # fmt: skip
    subject_name = models.CharField("被投诉对象", max_length=100)
    region_code = models.CharField("被投诉对象所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    channel = models.CharField("渠道", max_length=15, choices=Channel.choices)
    ticket_number = models.CharField("热线工单号", max_length=40, blank=True)
    complainant_name = models.CharField("投诉人", max_length=50)
    complainant_phone = models.CharField("投诉人电话", max_length=20)
    content = models.TextField("投诉内容")
    received_on = models.DateField("登记日期")
    deadline = models.DateField("答复期限")
    status = models.CharField("状态", max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED)
    reply = models.TextField("答复内容", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", provider="provider_id")
    sensitive = Sensitive({"complainant_name": Kind.NAME, "complainant_phone": Kind.PHONE},
                          "supervision.view_sensitive_complaint", label="投诉人联系方式")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "投诉"
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(facility__isnull=False, provider__isnull=True)
                | Q(facility__isnull=True, provider__isnull=False),
                name="complaint_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["region_code", "status", "deadline"], name="complaint_region_status"),
            models.Index(fields=["facility", "status"], name="complaint_facility_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject_name}"

    def is_overdue(self, today=None) -> bool:
        """Past the deadline without a reply (a reopened complaint counts again)."""
        waiting = self.status in (ComplaintStatus.RECEIVED, ComplaintStatus.HANDLING, ComplaintStatus.REOPENED)
        return waiting and self.deadline < (today or timezone.localdate())


class ComplaintStep(DecisionStep):
    """One step of a complaint: from which state to which, by whom, when and why. Never changed."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="steps")
    from_status = models.CharField("原状态", max_length=10, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=ComplaintStatus.choices)

    objects = ScopedManager()
    scope = ScopeSpec(
        region="complaint__region_code", facility="complaint__facility_id", provider="complaint__provider_id"
    )

    class Meta:
        verbose_name = verbose_name_plural = "投诉办理记录"
        ordering = ["at", "id"]
