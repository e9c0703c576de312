"""What needs a user's attention across the supervision areas, counted within their scope: the
landing page of 民政监管 and the figures behind its cards."""

from dataclasses import dataclass

from django.utils import timezone

from yiyang.core.scoping import has_permission

from ..models import (
    PENDING_STATES,
    AlertStatus,
    ClaimStatus,
    Complaint,
    ComplaintStatus,
    EscrowAlert,
    Hazard,
    HazardStatus,
    InspectionStatus,
    RatingApplication,
    SubsidyClaim,
)
from ..models.ratings import OPEN_RATING_STATES
from . import complaints, inspections, ratings


@dataclass(frozen=True)
class Card:
    title: str
    url_name: str
    figures: list[tuple[str, int]]  # (label, count); a count above zero is something to do


def cards(user) -> list[Card]:
    """One card per area the user may open, with the counts that call for action."""
    today = timezone.localdate()
    found = []
    if has_permission(user, "supervision.view_hazard"):
        hazards = Hazard.objects.visible_to(user)
        found.append(Card("隐患整改台账", "supervision:ledger", [
            ("待整改", hazards.filter(status=HazardStatus.OPEN).count()),
            ("待核验", hazards.filter(status=HazardStatus.SUBMITTED).count()),
            ("逾期未销号", hazards.filter(status__in=PENDING_STATES, deadline__lt=today).count()),
        ]))  # fmt: skip
    if has_permission(user, "supervision.view_inspection"):
        planned = inspections.inspections_visible(user).filter(status=InspectionStatus.PLANNED)
        found.append(Card("监督检查", "supervision:inspections", [
            ("今天及以前待检查", planned.filter(planned_on__lte=today).count()),
            ("已安排", planned.count()),
        ]))  # fmt: skip
    if has_permission(user, "supervision.view_subsidyclaim"):
        claims = SubsidyClaim.objects.visible_to(user)
        found.append(Card("运营补贴", "supervision:claims", [
            ("待机构申报", claims.filter(status=ClaimStatus.CALCULATED).count()),
            ("待县级审核", claims.filter(status=ClaimStatus.SUBMITTED).count()),
            ("待市级审批", claims.filter(status=ClaimStatus.COUNTY_APPROVED).count()),
            ("待拨付", claims.filter(status=ClaimStatus.CITY_APPROVED).count()),
        ]))  # fmt: skip
    if has_permission(user, "supervision.view_ratingapplication"):
        found.append(Card("等级评定", "supervision:ratings", [
            ("办理中的申请", RatingApplication.objects.visible_to(user).filter(status__in=OPEN_RATING_STATES).count()),
            ("即将到期的等级", ratings.expiring(user, today).count()),
        ]))  # fmt: skip
    if has_permission(user, "supervision.view_escrowalert"):
        found.append(Card("预收费监管", "supervision:escrow", [
            ("未处理预警", EscrowAlert.objects.visible_to(user).filter(status=AlertStatus.OPEN).count()),
        ]))  # fmt: skip
    if has_permission(user, "supervision.view_complaint"):
        open_complaints = Complaint.objects.visible_to(user).exclude(status=ComplaintStatus.CLOSED)
        found.append(Card("投诉处理", "supervision:complaints", [
            ("未办结", open_complaints.count()),
            ("逾期未答复", Complaint.objects.visible_to(user).filter(complaints.overdue_q(today)).count()),
        ]))  # fmt: skip
    if has_permission(user, "providers.view_staff"):
        found.append(Card("人才队伍", "supervision:workforce", []))
    if has_permission(user, "supervision.view_pairing"):
        found.append(Card("干部包联", "supervision:pairing", []))
    return found
