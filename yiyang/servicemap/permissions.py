"""What each role may do with service coverage (服务圈)."""

from yiyang.core.roles import Role

_COVERAGE_READ = {"servicemap.view_communitycoverage", "servicemap.view_coveragerule"}

GRANTS = {
    Role.OFFICER: _COVERAGE_READ | {"servicemap.change_coveragerule"},
    Role.VIEWER: _COVERAGE_READ,
    Role.COMMUNITY_WORKER: _COVERAGE_READ,
    Role.CADRE: _COVERAGE_READ,
    Role.AUDITOR: _COVERAGE_READ,
}
