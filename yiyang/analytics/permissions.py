"""What each role may do with indicators, targets and monthly reports."""

from yiyang.core.roles import Role

# Every role bound to a region reads the figures of its region; officers set targets and order reports.
_ANALYTICS_READ = {"analytics.view_target", "analytics.view_monthlyreport", "analytics.view_indicatorsnapshot"}

GRANTS = {
    Role.OFFICER: _ANALYTICS_READ | {"analytics.change_target", "analytics.add_monthlyreport"},
    Role.VIEWER: _ANALYTICS_READ,
    Role.COMMUNITY_WORKER: _ANALYTICS_READ,
    Role.CADRE: _ANALYTICS_READ,
    Role.AUDITOR: _ANALYTICS_READ,
}
