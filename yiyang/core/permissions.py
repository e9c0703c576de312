"""What each role may do with core's own data: the audit log is read by auditors (within their region)."""

from .roles import Role

PERMISSIONS = {"core.view_auditentry": "查询审计日志"}

GRANTS = {Role.AUDITOR: {"core.view_auditentry"}}
