"""The state machines of home care, declared as data for core's workflow mechanism: the service order
and the time bank's volunteer service record."""

from yiyang.core.workflow import Transition, Workflow, register

from .models import Order, OrderStatus, VolunteerService

S = OrderStatus
# Every state but the ends and the on-site ones may still be cancelled.
CANCELLABLE = (S.CREATED, S.ASSIGNED, S.DECLINED, S.EXPIRED, S.ACCEPTED, S.DISPATCHED)

ORDER = Workflow(
    name="homecare.order",
    model=Order,
    hide_refused=True,
    version="version",
    refused_message=lambda order, t: (
        f"订单当前状态为“{order.get_status_display()}”，不能变为“{OrderStatus(t.target).label}”"
    ),
    transitions=(
        Transition("assign", "派单", (S.CREATED, S.DECLINED, S.EXPIRED), S.ASSIGNED, "homecare.assign_order"),
        Transition("accept", "接单", S.ASSIGNED, S.ACCEPTED, "homecare.accept_order"),
        Transition("decline", "拒单", S.ASSIGNED, S.DECLINED, "homecare.accept_order"),
        # Orders left unanswered go back to the board: the platform's scheduled work, never a button.
        Transition("expire", "超时退回", S.ASSIGNED, S.EXPIRED, None),
        # A dispatched order may be sent to another caregiver.
        Transition("dispatch", "派给服务人员", (S.ACCEPTED, S.DISPATCHED), S.DISPATCHED, "homecare.dispatch_order"),
        Transition("check_in", "签到", S.DISPATCHED, S.IN_SERVICE, "homecare.serve_order"),
        Transition("check_out", "签退", S.IN_SERVICE, S.COMPLETED, "homecare.serve_order"),
        Transition("rate", "评价", S.COMPLETED, S.RATED, "homecare.rate_order"),
        Transition("complain", "投诉", (S.COMPLETED, S.RATED), S.DISPUTED, "homecare.rate_order"),
        Transition("resolve", "处理投诉", S.DISPUTED, S.RESOLVED, "homecare.assign_order"),
        Transition("cancel", "取消", CANCELLABLE, S.CANCELLED, "homecare.cancel_order"),
    ),
)

# --- The time bank: the served family or a community worker confirms the hours a volunteer reports -----

V = VolunteerService.State
VOLUNTEER_SERVICE = Workflow(
    name="homecare.volunteerservice",
    model=VolunteerService,
    field="state",
    # A user who may see the record but not confirm it is answered as if it did not exist.
    hide_refused=True,
    refused_message=lambda service, t: "该记录已确认或已退回",
    transitions=(
        Transition("confirm", "确认", V.PENDING, V.CONFIRMED, "homecare.confirm_volunteerservice"),
        Transition("reject", "退回", V.PENDING, V.REJECTED, "homecare.confirm_volunteerservice"),
    ),
)

register(ORDER, VOLUNTEER_SERVICE)
