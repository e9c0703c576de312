"""The alarm's state machine, declared once as data for core's workflow mechanism.

new → acknowledged → verifying → dispatched → on_scene → resolved → closed, or one of the endings
false alarm, test, duplicate, device fault. Every transition writes an immutable timeline step; of two
operators acknowledging at once, the second finds the state moved and is refused (409)."""

from yiyang.core.workflow import StepLog, Transition, Workflow, register

from .models import Alarm, AlarmState, AlarmStep

S = AlarmState
OPEN = (S.NEW, S.ACKNOWLEDGED, S.VERIFYING, S.DISPATCHED, S.ON_SCENE)
HANDLE = "care.handle_alarm"
RESPOND = "care.respond_alarm"

ALARM = Workflow(
    name="care.alarm",
    model=Alarm,
    field="state",
    version="version",
    hide_refused=True,
    steps=StepLog(AlarmStep, "alarm"),
    refused_message=lambda alarm, t: f"报警当前状态为“{alarm.get_state_display()}”，不能{t.label}",
    transitions=(
        Transition("acknowledge", "接警", S.NEW, S.ACKNOWLEDGED, HANDLE),
        Transition("verify", "开始回拨核实", S.ACKNOWLEDGED, S.VERIFYING, HANDLE),
        # A dispatched alarm may be sent to another responder (naming the version it replaces).
        Transition("dispatch", "派人", (S.NEW, S.ACKNOWLEDGED, S.VERIFYING, S.DISPATCHED), S.DISPATCHED, HANDLE),
        # Smoke and gas skip the call-back, and a policy may dispatch by itself: the platform's own work.
        Transition("auto_dispatch", "自动派人", (S.NEW, S.ACKNOWLEDGED, S.VERIFYING), S.DISPATCHED, None),
        Transition("accept", "接受任务", S.DISPATCHED, S.DISPATCHED, RESPOND),
        Transition("decline", "拒绝任务", S.DISPATCHED, S.VERIFYING, RESPOND, note_required="请说明拒绝原因"),
        Transition("arrive", "到场", S.DISPATCHED, S.ON_SCENE, RESPOND),
        Transition("resolve", "处置完毕", S.ON_SCENE, S.RESOLVED, RESPOND, note_required="请填写处置情况"),
        # Settled on the phone: the elder answered and needs nobody at the door.
        Transition(
            "resolve_by_phone",
            "电话处置完毕",
            (S.ACKNOWLEDGED, S.VERIFYING),
            S.RESOLVED,
            HANDLE,
            note_required="请填写处置情况",
        ),  # fmt: skip
        Transition("close", "结案", S.RESOLVED, S.CLOSED, HANDLE),
        Transition("false_alarm", "确认误报", OPEN, S.FALSE_ALARM, HANDLE, note_required="请说明误报原因"),
        Transition("test", "标记为测试", OPEN, S.TEST, HANDLE),
        Transition("duplicate", "标记为重复报警", OPEN, S.DUPLICATE, HANDLE, note_required="请注明重复的报警编号"),
        Transition("device_fault", "标记为设备故障", OPEN, S.DEVICE_FAULT, HANDLE, note_required="请说明故障情况"),
    ),
)

register(ALARM)
