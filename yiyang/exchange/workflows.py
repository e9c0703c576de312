"""The reporting period's state machine, declared once as data for core's workflow mechanism.

open → submitted (the county) → approved (the city) → locked (the city or province); the city may send a
submission back, and reopen an approved or locked period with a reason. The county cannot approve its
own data: approving needs a membership at city level or above."""

from yiyang.core.regioncodes import Level
from yiyang.core.workflow import StepLog, Transition, Workflow, register

from .models import PeriodStatus, PeriodStep, ReportingPeriod

S = PeriodStatus
SUBMIT, APPROVE = "exchange.submit_reportingperiod", "exchange.approve_reportingperiod"

PERIOD = Workflow(
    name="exchange.period",
    model=ReportingPeriod,
    field="status",
    version="version",
    steps=StepLog(PeriodStep, "period"),
    refused_message=lambda p, t: f"报送期当前为“{p.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition("submit", "上报", S.OPEN, S.SUBMITTED, SUBMIT, level=Level.COUNTY),
        Transition(
            "send_back", "退回修改", S.SUBMITTED, S.OPEN, APPROVE, level=Level.CITY, note_required="请说明退回原因"
        ),  # fmt: skip
        Transition("approve", "审核通过", S.SUBMITTED, S.APPROVED, APPROVE, level=Level.CITY),
        Transition("lock", "锁定", S.APPROVED, S.LOCKED, APPROVE, level=Level.CITY),
        Transition(
            "reopen",
            "重新打开",
            (S.APPROVED, S.LOCKED),
            S.OPEN,
            APPROVE,
            level=Level.CITY,
            note_required="请填写重新打开的原因",
        ),  # fmt: skip
    ),
)

register(PERIOD)
