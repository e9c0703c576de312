"""Who may manage linked systems, and what the apps' own accounts may read from the feed."""

from yiyang.core.roles import Role

PERMISSIONS = {
    "exchange.view_exchangeapp": "查看互联应用及其状态",
    "exchange.add_exchangeapp": "登记互联应用",
    "exchange.change_exchangeapp": "更换互联应用密钥、停用互联应用",
    "exchange.view_change": "读取变更订阅（互联应用的账号）",
}

GRANTS = {
    # A county's officers link the systems of their region and watch them; viewers only watch.
    Role.OFFICER: {
        "exchange.view_exchangeapp",
        "exchange.add_exchangeapp",
        "exchange.change_exchangeapp",
        "exchange.view_change",
    },
    Role.VIEWER: {"exchange.view_exchangeapp", "exchange.view_change"},
    # An app bound to one facility acts through a facility manager's membership of that facility.
    Role.FACILITY_MANAGER: {"exchange.view_change"},
}
