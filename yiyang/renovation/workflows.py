"""The renovation application's state machine, declared once as data for core's workflow mechanism.

submitted → street review → county review (assigns the three organisations, commits funds) → assessed
(plan proposed) → plan confirmed → in construction → completed → acceptance: passed, or rework and back
to completed → subsidy approved → paid → closed; refused from either review with a reason. The family
may send a plan back for a new one. Steps that belong to one of the assigned organisations are also
checked against the application's parties (`services.acting_as`): the right alone does not make the
contractor the acceptor."""

from yiyang.core.regioncodes import Level
from yiyang.core.workflow import StepLog, Transition, Workflow, register

from .models import Application, ApplicationStep, OrgRole, Stage, Status

S = Status
REVIEW, APPROVE, PAY = "renovation.review_application", "renovation.approve_application", "renovation.pay_application"
ASSESS, CONFIRM = "renovation.assess_application", "renovation.confirm_application"
CONSTRUCT, ACCEPT = "renovation.construct_application", "renovation.accept_application"

# The organisation role whose party alone may take each of these steps.
PARTY_STEPS = {
    "assess": OrgRole.ASSESS,
    "start": OrgRole.CONSTRUCT,
    "complete": OrgRole.CONSTRUCT,
    "accept": OrgRole.ACCEPT,
    "rework": OrgRole.ACCEPT,
}


def photos_complete(application: Application, **_) -> str | None:
    """Completion needs a before and an after photo of every item in the plan; after a failed check, an
    after photo taken since."""
    lines = list(application.lines.filter(in_plan=True).prefetch_related("photos"))
    if not lines:
        return "方案中没有改造项目"
    last_check = application.checks.order_by("-at").values_list("at", flat=True).first()
    for line in lines:
        stages = {p.stage: p.uploaded_at for p in sorted(line.photos.all(), key=lambda p: p.uploaded_at)}
        if Stage.BEFORE not in stages or Stage.AFTER not in stages:
            return f"“{line.item.name}”缺少施工前或施工后照片"
        if line.rework and last_check and stages[Stage.AFTER] <= last_check:
            return f"“{line.item.name}”验收未通过，请上传整改后的照片"
    return None


APPLICATION = Workflow(
    name="renovation.application",
    model=Application,
    version="version",
    hide_refused=True,
    steps=StepLog(ApplicationStep, "application"),
    refused_message=lambda a, t: f"申请当前状态为“{a.get_status_display()}”，不能{t.label}",
    transitions=(
        Transition("street_approve", "街道初审通过", S.SUBMITTED, S.STREET_APPROVED, REVIEW),
        Transition(
            "street_refuse", "街道初审不通过", S.SUBMITTED, S.REFUSED, REVIEW, note_required="请写明不通过的原因"
        ),  # fmt: skip
        Transition(
            "county_approve",
            "县级审核通过并指派机构",
            S.STREET_APPROVED,
            S.COUNTY_APPROVED,
            APPROVE,
            level=Level.COUNTY,
        ),  # fmt: skip
        Transition(
            "county_refuse",
            "县级审核不通过",
            S.STREET_APPROVED,
            S.REFUSED,
            APPROVE,
            level=Level.COUNTY,
            note_required="请写明不通过的原因",
        ),  # fmt: skip
        Transition("assess", "提交评估方案", S.COUNTY_APPROVED, S.ASSESSED, ASSESS),
        Transition("confirm", "确认改造方案", S.ASSESSED, S.CONFIRMED, CONFIRM),
        Transition(
            "reject_plan",
            "退回方案重新评估",
            S.ASSESSED,
            S.COUNTY_APPROVED,
            CONFIRM,
            note_required="请写明需要修改的地方",
        ),  # fmt: skip
        Transition("start", "开始施工", S.CONFIRMED, S.IN_CONSTRUCTION, CONSTRUCT),
        Transition(
            "complete", "完工报验", (S.IN_CONSTRUCTION, S.REWORK), S.COMPLETED, CONSTRUCT, guards=(photos_complete,)
        ),  # fmt: skip
        Transition("accept", "验收通过", S.COMPLETED, S.ACCEPTED, ACCEPT),
        Transition("rework", "验收不通过，退回整改", S.COMPLETED, S.REWORK, ACCEPT),
        Transition("approve_subsidy", "核定补贴", S.ACCEPTED, S.SUBSIDY_APPROVED, APPROVE, level=Level.COUNTY),
        Transition("pay", "拨付补贴", S.SUBSIDY_APPROVED, S.PAID, PAY, level=Level.COUNTY),
        Transition("close", "结案归档", S.PAID, S.CLOSED, APPROVE),
    ),
)

register(APPLICATION)
