"""The state machines of supervision, declared as data for core's workflow mechanism: complaints,
rating applications, operation-subsidy claims, inspections and the hazards they find, the prepaid-fee
escrow alerts and the facility closure procedure."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.utils import timezone

from yiyang.core.regioncodes import Level
from yiyang.core.workflow import Refusal, StepLog, Transition, Workflow, register

from .models import (
    AlertStatus,
    ClaimStatus,
    ClosureStatus,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    EscrowAlert,
    FacilityClosure,
    Hazard,
    HazardStatus,
    HazardStep,
    Inspection,
    InspectionStatus,
    RatingAction,
    RatingApplication,
    RatingStatus,
    RatingStep,
    SubsidyClaim,
    SubsidyStep,
)

# --- Complaints: the bureau steers, the bureau or the subject of the complaint answers ----------------

C = ComplaintStatus
COMPLAINT = Workflow(
    name="supervision.complaint",
    model=Complaint,
    steps=StepLog(ComplaintStep, "complaint"),
    refused_message=lambda c, t: f"投诉当前状态为“{c.get_status_display()}”，不能变为“{C(t.target).label}”",
    # Each transition is named after the state it leads to: the API and the pages ask for a target state.
    transitions=(
        Transition("handling", "受理办理", (C.RECEIVED, C.REOPENED), C.HANDLING, "supervision.handle_complaint"),
        Transition("replied", "答复", C.HANDLING, C.REPLIED, "supervision.reply_complaint"),
        Transition("closed", "办结", C.REPLIED, C.CLOSED, "supervision.handle_complaint"),
        Transition(
            "reopened",
            "重新办理",
            (C.REPLIED, C.CLOSED),
            C.REOPENED,
            "supervision.handle_complaint",
            note_required="重新办理时请写明原因",
        ),  # fmt: skip
    ),
)

# --- Rating applications ---------------------------------------------------------------------------


def notice_running(application: RatingApplication, today: date | None = None) -> bool:
    """Whether the application is on notice and its last notice day has not yet passed."""
    today = today or timezone.localdate()
    return (
        application.status == RatingStatus.NOTICE
        and application.notice_ends_on is not None
        and today <= application.notice_ends_on
    )


def _notice_over(application: RatingApplication, today: date | None = None, **_) -> Refusal | None:
    if notice_running(application, today):
        return Refusal(f"公示期至 {application.notice_ends_on:%Y-%m-%d}，公示期满后才能公布",
                       {"notice_ends_on": "公示期未满"}, code="notice_running")  # fmt: skip
    return None


R = RatingStatus
A = RatingAction


def _rating(action: RatingAction, source, target: str, right: str, **options) -> Transition:
    # The step's action is the transition's name; the label is the action's.
    return Transition(action.value, action.label, source, target, f"supervision.{right}_ratingapplication", **options)


RATING = Workflow(
    name="supervision.ratingapplication",
    model=RatingApplication,
    steps=StepLog(RatingStep, "application"),
    refused_message=lambda a, t: f"申请当前状态为“{a.get_status_display()}”，不能办理“{t.label}”",
    transitions=(
        _rating(A.ACCEPTED, R.APPLIED, R.ACCEPTED, "review"),
        _rating(A.REJECTED, R.APPLIED, R.REJECTED, "review"),
        # A sheet may be saved in parts, and is scored again after an objection.
        _rating(A.SCORED, (R.ACCEPTED, R.SCORED), R.SCORED, "score"),
        _rating(A.DECIDED, R.SCORED, R.DECIDED, "decide"),
        _rating(A.NOT_RATED, R.SCORED, R.REJECTED, "decide"),
        _rating(A.NOTICE, R.DECIDED, R.NOTICE, "publish"),
        _rating(A.OBJECTION, R.NOTICE, R.SCORED, "decide", note_required="请写明异议内容"),
        _rating(A.PUBLISHED, R.NOTICE, R.PUBLISHED, "publish", guards=(_notice_over,)),
        _rating(A.WITHDRAWN, (R.APPLIED, R.ACCEPTED, R.SCORED), R.WITHDRAWN, "withdraw"),
    ),
)

# --- Operation-subsidy claims: facility applies, county reviews, city approves and pays --------------

K = ClaimStatus
RETURN_NOTE = "退回时请写明原因"
CLAIM = Workflow(
    name="supervision.subsidyclaim",
    model=SubsidyClaim,
    steps=StepLog(SubsidyStep, "claim"),
    refused_message=lambda claim, t: f"该申报当前为“{claim.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition("submit", "机构申报", K.CALCULATED, K.SUBMITTED, "supervision.submit_subsidyclaim"),
        Transition("county_approve", "县级审核通过", K.SUBMITTED, K.COUNTY_APPROVED, "supervision.review_subsidyclaim",
                   level=Level.COUNTY),
        Transition("county_return", "县级退回", K.SUBMITTED, K.CALCULATED, "supervision.review_subsidyclaim",
                   level=Level.COUNTY, note_required=RETURN_NOTE),
        Transition("city_approve", "市级审批通过", K.COUNTY_APPROVED, K.CITY_APPROVED,
                   "supervision.approve_subsidyclaim", level=Level.CITY),
        Transition("city_return", "市级退回", K.COUNTY_APPROVED, K.CALCULATED, "supervision.approve_subsidyclaim",
                   level=Level.CITY, note_required=RETURN_NOTE),
        Transition("pay", "拨付", K.CITY_APPROVED, K.PAID, "supervision.pay_subsidyclaim", level=Level.CITY),
    ),
)  # fmt: skip

# --- One-step workflows -----------------------------------------------------------------------------


def one_step(name: str, model, step: Transition, refused: str | Callable[[Any], str], **options) -> Workflow:
    """A workflow of a single transition (a row moves once, one way). `refused` is the message for a
    row already past it: a text, or a function of the row."""
    message = refused if callable(refused) else (lambda row: refused)
    return Workflow(name=name, model=model, transitions=(step,), refused_message=lambda row, t: message(row),
                    **options)  # fmt: skip


# --- Inspections and hazards ----------------------------------------------------------------------

INSPECTION = one_step(
    "supervision.inspection", Inspection,
    Transition("record", "录入检查结果", InspectionStatus.PLANNED, InspectionStatus.DONE, "supervision.change_inspection"),
    lambda i: f"这次检查的状态为“{i.get_status_display()}”，结果已录入",
    # A user who may see an inspection but not carry it out is answered as if it did not exist.
    hide_refused=True,
)  # fmt: skip

H = HazardStatus
HAZARD = Workflow(
    name="supervision.hazard",
    model=Hazard,
    steps=StepLog(HazardStep, "hazard"),
    refused_message=lambda h, t: f"该隐患当前状态为“{h.get_status_display()}”，不能办理这一步",
    # Named after the steps of the hazard's history (StepAction).
    transitions=(
        Transition("submitted", "提交整改材料", H.OPEN, H.SUBMITTED, "supervision.rectify_hazard"),
        Transition("closed", "核验通过销号", H.SUBMITTED, H.CLOSED, "supervision.verify_hazard"),
        Transition("returned", "退回重新整改", H.SUBMITTED, H.OPEN, "supervision.verify_hazard",
                   note_required="退回时请写明原因"),
    ),
)  # fmt: skip

# --- Prepaid-fee escrow: the bureau acknowledges an alert; a closure completes once all is refunded --

ESCROW_ALERT = one_step(
    "supervision.escrowalert", EscrowAlert,
    Transition("acknowledge", "知悉", AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, "supervision.acknowledge_escrowalert"),
    "该预警已处理",
)  # fmt: skip

CLOSURE = one_step(
    "supervision.facilityclosure", FacilityClosure,
    # Part of the closure refund (services.escrow.refund_for_closure), when no resident holds a
    # balance any more: never a button of its own.
    Transition("complete", "退费完成", ClosureStatus.ANNOUNCED, ClosureStatus.COMPLETED, None),
    "停业退费已完成",
)  # fmt: skip

register(COMPLAINT, RATING, CLAIM, INSPECTION, HAZARD, ESCROW_ALERT, CLOSURE)
