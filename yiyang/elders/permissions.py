"""What each role may do with the elder registry."""

from yiyang.core.roles import Role

PERMISSIONS = {
    "elders.view_elder": "查看老年人档案",
    "elders.view_sensitive_elder": "查看老年人的完整身份证号、电话和住址（记入审计日志）",
    "elders.export_elder": "导出老年人名册",
    "elders.import_elder": "导入老年人名册",
}

# Counts per region (dashboards) for every role bound to a region.
_ROLLUP_READ = {"elders.view_elderrollup", "elders.view_eldercategoryrollup"}
_ELDER_READ = {"elders.view_elder", "elders.view_assessment"}
_ELDER_KEEP = {"elders.add_elder", "elders.change_elder", "elders.view_sensitive_elder", "elders.add_assessment"}

GRANTS = {
    Role.OFFICER: _ROLLUP_READ | _ELDER_READ | _ELDER_KEEP | {"elders.export_elder", "elders.import_elder"},
    Role.VIEWER: _ROLLUP_READ | _ELDER_READ | {"elders.export_elder"},
    Role.COMMUNITY_WORKER: _ROLLUP_READ | _ELDER_READ | _ELDER_KEEP,
    Role.CADRE: _ROLLUP_READ,
    Role.AUDITOR: _ROLLUP_READ,
    Role.FACILITY_MANAGER: _ELDER_READ | {"elders.view_sensitive_elder", "elders.add_assessment"},
    Role.FAMILY: _ELDER_READ | {"elders.view_sensitive_elder"},
    # The 12349 operator reads the card of the elder who calls or whose device raised an alarm, and
    # calls the elder and the contacts back (every full number shown is audited).
    Role.OPERATOR: _ELDER_READ | {"elders.view_sensitive_elder"},
}
