"""The state machines of allowances, declared once as data for core's workflow mechanism.

Application: submitted → (community) community_passed → (street) street_passed → (notice) in_notice →
(county) approved; refused with a reason from any open state; an objection during the notice stops it
until the street resolves it (notice again, or refusal). Approval waits for the notice period's end.
Payroll: draft → checked → approved → exported → settled, or back to draft from checked.
Recipient: active ⇄ suspended, either → stopped. Verification: due → notified → suspended; any of them →
verified.
"""

from django.utils import timezone

from yiyang.core.regioncodes import Level
from yiyang.core.workflow import StepLog, Transition, Workflow, register

from .models import (
    Application,
    ApplicationStatus,
    ApplicationStep,
    Payroll,
    PayrollStatus,
    PayrollStep,
    Recipient,
    RecipientStatus,
    RecipientStep,
    Verification,
    VerificationStatus,
    VerificationStep,
)

A = ApplicationStatus
OPEN = (A.SUBMITTED, A.COMMUNITY_PASSED, A.STREET_PASSED, A.IN_NOTICE, A.OBJECTED)
COMMUNITY, STREET, COUNTY = (
    "benefits.review_community_application",
    "benefits.review_street_application",
    "benefits.approve_application",
)


def notice_over(application, today=None, **context):
    today = today or timezone.localdate()
    if application.notice_ends and today <= application.notice_ends:
        return f"公示期至 {application.notice_ends:%Y-%m-%d}，期满后方可审批"
    return None


APPLICATION = Workflow(
    name="benefits.application",
    model=Application,
    version="version",
    steps=StepLog(ApplicationStep, "application"),
    refused_message=lambda a, t: f"申请当前状态为“{a.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition("community_pass", "社区初审通过", A.SUBMITTED, A.COMMUNITY_PASSED, COMMUNITY),
        Transition("street_pass", "街道审核通过", A.COMMUNITY_PASSED, A.STREET_PASSED, STREET),
        Transition("start_notice", "开始公示", A.STREET_PASSED, A.IN_NOTICE, STREET),
        Transition(
            "object", "登记异议", A.IN_NOTICE, A.OBJECTED, "benefits.object_application", note_required="请填写异议内容"
        ),  # fmt: skip
        Transition(
            "renotice", "异议不成立，重新公示", A.OBJECTED, A.IN_NOTICE, STREET, note_required="请说明异议核查情况"
        ),  # fmt: skip
        Transition(
            "approve", "县级审批通过", A.IN_NOTICE, A.APPROVED, COUNTY, level=Level.COUNTY, guards=(notice_over,)
        ),  # fmt: skip
        Transition(
            "refuse_community", "社区初审不通过", A.SUBMITTED, A.REFUSED, COMMUNITY, note_required="请填写不通过的理由"
        ),  # fmt: skip
        Transition("refuse", "审核不通过", OPEN[1:], A.REFUSED, STREET, note_required="请填写不通过的理由"),
    ),
)

P = PayrollStatus


def not_the_checker(payroll, by=None, **context):
    """Four eyes on the money: the officer who checked a payroll does not also approve it."""
    if by is None or by.db_user is None:
        return None
    checked = payroll.steps.filter(action="check").order_by("-at", "-id").first()
    if checked is not None and checked.by_id == by.db_user.pk:
        return "复核人不能同时审批同一份名册，请由另一位干部审批"
    return None


PAYROLL = Workflow(
    name="benefits.payroll",
    model=Payroll,
    steps=StepLog(PayrollStep, "payroll"),
    hide_refused=False,
    refused_message=lambda p, t: f"发放名册当前状态为“{p.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition("check", "复核通过", P.DRAFT, P.CHECKED, "benefits.check_payroll"),
        Transition(
            "send_back", "退回修改", P.CHECKED, P.DRAFT, "benefits.check_payroll", note_required="请填写退回原因"
        ),
        Transition(
            "approve",
            "审批通过",
            P.CHECKED,
            P.APPROVED,
            "benefits.approve_payroll",
            level=Level.COUNTY,
            guards=(not_the_checker,),
        ),  # fmt: skip
        # A settled payroll with failed lines goes out again for them (the retry list).
        Transition(
            "export", "导出代发文件", (P.APPROVED, P.EXPORTED, P.SETTLED), P.EXPORTED, "benefits.export_payroll"
        ),
        # Follows from the bank's result file once every line has a result.
        Transition("settle", "回盘完成", P.EXPORTED, P.SETTLED, None),
    ),
)

R = RecipientStatus
RECIPIENT = Workflow(
    name="benefits.recipient",
    model=Recipient,
    steps=StepLog(RecipientStep, "recipient"),
    refused_message=lambda r, t: f"补贴对象当前状态为“{r.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition(
            "suspend", "暂停发放", R.ACTIVE, R.SUSPENDED, "benefits.change_recipient", note_required="请填写暂停原因"
        ),  # fmt: skip
        Transition("reinstate", "恢复发放", R.SUSPENDED, R.ACTIVE, "benefits.change_recipient"),
        Transition(
            "stop",
            "停发",
            (R.ACTIVE, R.SUSPENDED),
            R.STOPPED,
            "benefits.change_recipient",
            note_required="请填写停发原因",
        ),  # fmt: skip
        # The platform's own: an overdue verification suspends, a stop list stops, a verification reinstates.
        Transition("auto_suspend", "认证逾期暂停", R.ACTIVE, R.SUSPENDED, None),
        Transition("auto_stop", "比对停发", (R.ACTIVE, R.SUSPENDED), R.STOPPED, None),
        # A list dates a stop made by hand earlier: the stop month moves back to what the rule gives.
        Transition("auto_restop", "按名单提前停发月份", R.STOPPED, R.STOPPED, None),
        Transition("auto_reinstate", "认证后恢复", R.SUSPENDED, R.ACTIVE, None),
    ),
)

V = VerificationStatus
VERIFICATION = Workflow(
    name="benefits.verification",
    model=Verification,
    steps=StepLog(VerificationStep, "verification"),
    refused_message=lambda v, t: f"认证当前状态为“{v.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition("verify", "确认认证", (V.DUE, V.NOTIFIED, V.SUSPENDED), V.VERIFIED, "benefits.verify_verification"),
        Transition("notify", "逾期催告", V.DUE, V.NOTIFIED, "benefits.change_verification"),
        Transition("suspend", "逾期暂停发放", V.NOTIFIED, V.SUSPENDED, "benefits.change_verification"),
    ),
)

register(APPLICATION, PAYROLL, RECIPIENT, VERIFICATION)
