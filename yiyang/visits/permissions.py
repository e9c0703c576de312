"""What each role may do with visits: the bureau keeps the rules, the targets and the visitors and
follows up findings; visitors (grid and community workers, caregivers, paired cadres) record visits to
the elders assigned to them; viewers and auditors read."""

from yiyang.core.roles import Role

_READ = {
    "visits.view_visittarget",
    "visits.view_visit",
    "visits.view_referral",
    "visits.view_campaign",
    "visits.view_tierrule",
    "visits.view_countedmethods",
    "visits.view_visitphoto",
}
# A visitor sees only the elders assigned to them, through the phone app (its download filters on the
# visitor as well as the scope), and records visits to them; the officer's pages are not theirs.
_VISIT = {"visits.record_visit", "visits.view_visitphoto", "visits.add_visitphoto"}

GRANTS = {
    Role.OFFICER: _READ
    | _VISIT
    | {
        "visits.change_tierrule",
        "visits.change_countedmethods",
        "visits.view_visitor",
        "visits.change_visitor",
        "visits.view_sensitive_visitor",
        "visits.change_visittarget",
        "visits.view_sensitive_visit",
        "visits.add_referral",
        "visits.add_campaign",
        "visits.view_visitconflict",
        "visits.resolve_visitconflict",
    },
    Role.VIEWER: _READ,
    Role.AUDITOR: _READ,
    # The hotline operator reads an elder's recent visits on the alarm card, and the visit's referral
    # that opened an alarm.
    Role.OPERATOR: {"visits.view_visit", "visits.view_referral"},
    Role.COMMUNITY_WORKER: _VISIT,
    Role.CAREGIVER: _VISIT,
    Role.CADRE: _VISIT,
}

PERMISSIONS = {
    "visits.record_visit": "在手机上记录探访（仅限分配给本人的老人）",
    "visits.change_visittarget": "纳入、退出探访对象，分配探访人",
    "visits.resolve_visitconflict": "处理探访记录冲突",
}
