"""What each role may do with allowances: the county bureau keeps the programs, approves applications,
runs, checks, approves and exports the payroll, imports the bank's results and the stop lists, and
follows recovery cases; the street reviews; the community worker takes applications, does the first
review and verifies recipients; the family applies and follows its own elder; viewers and auditors read."""

from yiyang.core.roles import Role

_READ = {
    "benefits.view_program",
    "benefits.view_band",
    "benefits.view_application",
    "benefits.view_applicationstep",
    "benefits.view_applicationdocument",
    "benefits.view_recipient",
    "benefits.view_recipientstep",
    "benefits.view_payroll",
    "benefits.view_payrollstep",
    "benefits.view_payrollline",
    "benefits.view_payment",
    "benefits.view_stopbatch",
    "benefits.view_stoprecord",
    "benefits.view_recoverycase",
    "benefits.view_recoveryentry",
    "benefits.view_verification",
    "benefits.view_verificationstep",
    "benefits.view_bankformat",
}
_APPLY = {"benefits.add_application", "benefits.add_applicationdocument"}

GRANTS = {
    Role.OFFICER: _READ
    | _APPLY
    | {
        "benefits.change_program",
        "benefits.review_community_application",
        "benefits.review_street_application",
        "benefits.approve_application",
        "benefits.object_application",
        "benefits.view_sensitive_application",
        "benefits.change_recipient",
        "benefits.view_sensitive_recipient",
        "benefits.run_payroll",
        "benefits.check_payroll",
        "benefits.approve_payroll",
        "benefits.export_payroll",
        "benefits.settle_payroll",
        "benefits.add_stopbatch",
        "benefits.change_recoverycase",
        "benefits.verify_verification",
        "benefits.change_verification",
    },
    Role.VIEWER: _READ,
    Role.AUDITOR: _READ,
    # The community worker takes applications at the door, reviews first, records objections heard
    # during the notice and verifies the recipients of the community.
    Role.COMMUNITY_WORKER: {
        "benefits.view_program",
        "benefits.view_band",
        "benefits.view_application",
        "benefits.view_applicationstep",
        "benefits.view_applicationdocument",
        "benefits.view_recipient",
        "benefits.view_verification",
        "benefits.review_community_application",
        "benefits.object_application",
        "benefits.verify_verification",
    }
    | _APPLY,
    # The elder or the family applies online and follows the application, the allowance and its payments.
    Role.FAMILY: {
        "benefits.view_program",
        "benefits.view_band",
        "benefits.view_application",
        "benefits.view_applicationstep",
        "benefits.view_applicationdocument",
        "benefits.view_recipient",
        "benefits.view_payment",
        "benefits.view_verification",
    }
    | _APPLY,
}

PERMISSIONS = {
    "benefits.add_application": "提交补贴申请（本人、家属或代办）",
    "benefits.review_community_application": "社区初审补贴申请",
    "benefits.review_street_application": "街道（乡镇）审核补贴申请、组织公示",
    "benefits.approve_application": "县级审批补贴申请",
    "benefits.object_application": "登记公示期间的异议",
    "benefits.view_sensitive_application": "查看申请人电话和完整银行账号（记入审计日志）",
    "benefits.view_sensitive_recipient": "查看补贴对象完整银行账号（记入审计日志）",
    "benefits.change_recipient": "修改补贴对象的发放账户、暂停、恢复、停发",
    "benefits.run_payroll": "生成月度发放名册",
    "benefits.check_payroll": "复核月度发放名册",
    "benefits.approve_payroll": "审批月度发放名册",
    "benefits.export_payroll": "导出银行代发文件（含完整账号，记入审计日志）",
    "benefits.settle_payroll": "导入银行回盘文件",
    "benefits.add_stopbatch": "导入死亡、迁出名单并比对停发",
    "benefits.change_recoverycase": "登记多发资金退回",
    "benefits.verify_verification": "办理年度资格认证",
    "benefits.change_verification": "生成认证任务、催告、逾期暂停",
}
