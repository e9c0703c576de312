"""What each role may do in home renovation: the street and the county review and approve, keep the
policy, the budgets and the organisations, and pay; the assessment, construction and acceptance
organisations act on the applications they were assigned (a provider manager, through the application's
party rows); the family and the community worker apply and confirm the plan; viewers and auditors read."""

from yiyang.core.roles import Role

_READ = {
    "renovation.view_application",
    "renovation.view_complaint",
    "renovation.view_applicationstep",
    "renovation.view_planline",
    "renovation.view_linephoto",
    "renovation.view_check",
}
_BUREAU_READ = _READ | {
    "renovation.view_policy",
    "renovation.view_budget",
    "renovation.view_budgetentry",
    "renovation.view_payment",
    "renovation.view_org",
}

GRANTS = {
    Role.OFFICER: _BUREAU_READ
    | {
        "renovation.add_application",
        "renovation.complain_application",
        "renovation.review_application",
        "renovation.approve_application",
        "renovation.pay_application",
        "renovation.view_sensitive_application",
        "renovation.change_policy",
        "renovation.change_budget",
        "renovation.change_org",
    },
    Role.VIEWER: _BUREAU_READ,
    Role.AUDITOR: _BUREAU_READ,
    # The grid worker applies for households of the community and helps an elder confirm the plan.
    Role.COMMUNITY_WORKER: _READ
    | {
        "renovation.add_application",
        "renovation.confirm_application",
        "renovation.complain_application",
        "renovation.view_sensitive_application",
    },
    Role.FAMILY: _READ
    | {"renovation.add_application", "renovation.confirm_application", "renovation.complain_application"},
    # The organisations see the address to visit the home (each reveal audited).
    Role.PROVIDER_MANAGER: _READ
    | {
        "renovation.view_org",
        "renovation.assess_application",
        "renovation.construct_application",
        "renovation.accept_application",
        "renovation.add_linephoto",
        "renovation.view_sensitive_application",
    },
}

PERMISSIONS = {
    "renovation.review_application": "街道初审适老化改造申请",
    "renovation.approve_application": "县级审核申请、指派机构，核定补贴",
    "renovation.assess_application": "入户评估并提出改造方案（指派的评估设计机构）",
    "renovation.confirm_application": "确认改造方案（老人、家属或社区工作者）",
    "renovation.construct_application": "施工并上传施工前后照片（指派的施工单位）",
    "renovation.accept_application": "逐项验收（指派的验收机构）",
    "renovation.pay_application": "拨付改造补贴",
    "renovation.complain_application": "投诉评估、施工或验收机构",
    "renovation.view_sensitive_application": "查看改造住址全文（记入审计日志）",
}
