"""What each role may do in emergency help: the alarm queue and its handling, devices and their events,
vendors, escalation policies and notifications."""

from yiyang.core.roles import Role

PERMISSIONS = {
    "care.view_alarm": "查看报警",
    "care.handle_alarm": "接警、回拨、派人、结案",
    "care.add_alarm": "登记热线或人工报警",
    "care.respond_alarm": "作为响应人员接受、到场、处置报警",
    "care.view_sensitive_alarm": "查看报警来电号码和通知号码（记入审计日志）",
    "care.bind_deviceevent": "处理待绑定的设备事件",
    "care.import_device": "从厂商设备清单批量导入报警设备",
}

_ALARM_READ = {"care.view_alarm", "care.view_alarmstep"}
_DEVICES_READ = {"care.view_device", "care.view_maintenanceticket", "care.view_inactivityrule"}
# The hotline's work: the queue, the card, calls, dispatch, endings; devices and their signals.
_OPERATE = (
    _ALARM_READ
    | _DEVICES_READ
    | {
        "care.handle_alarm",
        "care.add_alarm",
        "care.view_sensitive_alarm",
        "care.view_deviceevent",
        "care.bind_deviceevent",
        "care.view_notification",
    }
)

GRANTS = {
    Role.OPERATOR: _OPERATE,
    # The bureau supervises the hotline (escalations reach it) and keeps vendors, devices and policies.
    Role.OFFICER: _OPERATE
    | {
        "care.view_vendor",
        "care.change_vendor",
        "care.add_device",
        "care.change_device",
        "care.import_device",
        "care.view_escalationpolicy",
        "care.change_escalationpolicy",
        "care.change_inactivityrule",
    },
    Role.VIEWER: _ALARM_READ | _DEVICES_READ,
    # The grid worker visits and keeps devices charged; sees the alarms of the area.
    Role.COMMUNITY_WORKER: _ALARM_READ | _DEVICES_READ,
    # A responder (a provider's person) sees the alarms offered to them and acts on them.
    Role.CAREGIVER: _ALARM_READ | {"care.respond_alarm"},
    # The family follows the alarms of their elder.
    Role.FAMILY: _ALARM_READ | {"care.view_device"},
}
