"""Who may manage linked systems, and what the apps' own accounts may read from the feed."""

from yiyang.core.roles import Role

PERMISSIONS = {
    "exchange.view_exchangeapp": "查看互联应用及其状态",
    "exchange.add_exchangeapp": "登记互联应用",
    "exchange.change_exchangeapp": "更换互联应用密钥、停用互联应用",
    "exchange.view_change": "读取变更订阅（互联应用的账号）",
    "exchange.view_peer": "查看上级平台及推送状态",
    "exchange.add_peer": "登记上级平台、修改其地址和密钥（推送含完整身份证号码：平台管理员）",
    "exchange.change_peer": "验证连接、暂停、恢复、全量补推上级平台的推送",
    "exchange.view_syncconflict": "查看下级平台推送的同步冲突",
    "exchange.change_syncconflict": "重试或忽略同步冲突",
    "exchange.export_national": "按全国养老服务信息系统格式导出已审核月份的数据",
    "exchange.view_reportingperiod": "查看报送期",
    "exchange.submit_reportingperiod": "开启并上报本县（区）的报送期",
    "exchange.approve_reportingperiod": "审核、退回、锁定、重新打开下级的报送期（市级及以上）",
}

GRANTS = {
    # A county's officers link the systems of their region and watch them; viewers only watch.
    Role.OFFICER: {
        "exchange.view_exchangeapp",
        "exchange.add_exchangeapp",
        "exchange.change_exchangeapp",
        "exchange.view_change",
        "exchange.view_peer",
        # Not `exchange.add_peer`: pointing the push (full ID numbers) at another server is the platform
        # administrator's act (decision 0026); officers watch, verify, pause and resend.
        "exchange.change_peer",
        "exchange.view_syncconflict",
        "exchange.change_syncconflict",
        "exchange.view_reportingperiod",
        "exchange.submit_reportingperiod",
        # Held by every officer; the workflow lets only a city or province membership use it.
        "exchange.approve_reportingperiod",
        "exchange.export_national",
    },
    Role.VIEWER: {
        "exchange.view_exchangeapp",
        "exchange.view_change",
        "exchange.view_peer",
        "exchange.view_syncconflict",
        "exchange.view_reportingperiod",
    },
    # An app bound to one facility acts through a facility manager's membership of that facility.
    Role.FACILITY_MANAGER: {"exchange.view_change"},
}
