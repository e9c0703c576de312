"""Roles, what each may do, and what kind of scope each is bound to.

Permissions are declared here as data, in one place (deny by default): a role that is not granted a
permission cannot do the action anywhere, and the scoping mechanism (core.scoping) then limits the
granted ones to the rows inside the membership's scope.
Permission names follow Django's "<app_label>.<action>_<model_name>".
"""

from django.db import models


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", "平台管理员"
    OFFICER = "officer", "民政干部"
    VIEWER = "viewer", "民政查看员"
    FACILITY_MANAGER = "facility_manager", "机构管理员"
    PROVIDER_MANAGER = "provider_manager", "服务商管理员"
    CAREGIVER = "caregiver", "服务人员"
    COMMUNITY_WORKER = "community_worker", "网格员/助老员"
    CADRE = "cadre", "包联干部"
    FAMILY = "family", "老人或家属"
    AUDITOR = "auditor", "审计员"


class ScopeKind(models.TextChoices):
    ALL = "all", "全平台"
    REGION = "region", "行政区划"
    FACILITY = "facility", "养老服务机构"
    PROVIDER = "provider", "服务商"
    CAREGIVER = "caregiver", "服务人员本人"
    ELDER = "elder", "老年人本人"


SCOPE_KIND = {
    Role.PLATFORM_ADMIN: ScopeKind.ALL,
    Role.OFFICER: ScopeKind.REGION,
    Role.VIEWER: ScopeKind.REGION,
    Role.COMMUNITY_WORKER: ScopeKind.REGION,
    Role.CADRE: ScopeKind.REGION,
    Role.AUDITOR: ScopeKind.REGION,
    Role.FACILITY_MANAGER: ScopeKind.FACILITY,
    Role.PROVIDER_MANAGER: ScopeKind.PROVIDER,
    Role.CAREGIVER: ScopeKind.CAREGIVER,
    Role.FAMILY: ScopeKind.ELDER,
}

_REGION_READ = {
    "regions.view_region",
    "servicemap.view_communitycoverage",
    "servicemap.view_coveragerule",
    "elders.view_elderrollup",
    "elders.view_eldercategoryrollup",
    "analytics.view_target",
    "analytics.view_monthlyreport",
    "analytics.view_indicatorsnapshot",
    "homecare.view_mealrecord",
}
_ELDER_READ = {"elders.view_elder", "elders.view_assessment"}

# Supervision (民政系统监管), one block per area: what officers, read-only roles and facilities may do.
_SUPERVISION_READ = {
    "supervision.view_checklist",
    "supervision.view_inspection",
    "supervision.view_hazard",
    "supervision.view_hazardstep",
    "supervision.view_photo",
}
# Workforce (人才队伍): staff, certificates, training. A facility manages its own staff; officers
# manage every facility's and provider's staff in their region.
_WORKFORCE_READ = {
    "providers.view_staff",
    "providers.view_certificate",
    "providers.view_trainingclass",
    "providers.view_attendance",
}
_WORKFORCE_MANAGE = _WORKFORCE_READ | {
    "providers.add_staff",
    "providers.change_staff",
    "providers.add_certificate",
    "providers.add_trainingclass",
    "providers.change_trainingclass",
}
# Seeing a staff member's full phone number (always on request, written to the audit log): the
# bureau and the employing facility, not read-only roles.
_WORKFORCE_SENSITIVE = {"providers.view_sensitive_staff"}
# Ratings (等级评定, GB/T 37276-2018): facilities apply and may withdraw; only officers review,
# score, decide and publish.
_RATINGS_READ = {
    "supervision.view_ratingapplication",
    "supervision.view_ratingstep",
}
_RATINGS_FACILITY = _RATINGS_READ | {
    "supervision.add_ratingapplication",
    "supervision.withdraw_ratingapplication",
}
_RATINGS_OFFICER = _RATINGS_FACILITY | {
    "supervision.review_ratingapplication",
    "supervision.score_ratingapplication",
    "supervision.decide_ratingapplication",
    "supervision.publish_ratingapplication",
}
# Operation subsidies (运营补贴): officers calculate, review (county), approve and pay (city); the
# facility applies for its own.
_SUBSIDY_READ = {
    "supervision.view_subsidyratetable",
    "supervision.view_subsidyclaim",
    "supervision.view_subsidyline",
    "supervision.view_subsidystep",
    "supervision.view_subsidypayment",
}
_SUPERVISION_VIEWER = _SUPERVISION_READ | _WORKFORCE_READ | _RATINGS_READ | _SUBSIDY_READ
_SUPERVISION_OFFICER = (
    _SUPERVISION_READ
    | _WORKFORCE_MANAGE
    | _WORKFORCE_SENSITIVE
    | _RATINGS_OFFICER
    | _SUBSIDY_READ
    | {
        "supervision.add_checklist",
        "supervision.add_inspection",
        "supervision.change_inspection",
        "supervision.verify_hazard",
        "supervision.export_hazard",
        "supervision.add_subsidyratetable",
        "supervision.add_subsidyclaim",
        "supervision.review_subsidyclaim",
        "supervision.approve_subsidyclaim",
        "supervision.pay_subsidyclaim",
    }
)
_SUPERVISION_FACILITY = (
    _SUPERVISION_READ
    | _WORKFORCE_MANAGE
    | _WORKFORCE_SENSITIVE
    | _RATINGS_FACILITY
    | _SUBSIDY_READ
    | {"supervision.rectify_hazard", "supervision.submit_subsidyclaim"}
)

_FACILITY_READ = {"facilities.view_facility", "facilities.view_residence"}

# Prepaid-fee escrow (预收费第三方存管): the facility keeps its account and resident ledgers; the bureau
# reads them, sees the net-fixed-asset alerts and acknowledges them.
_ESCROW_READ = {
    "supervision.view_escrowaccount",
    "supervision.view_escrowentry",
    "supervision.view_escrowalert",
    "supervision.view_facilityclosure",
}
_ESCROW_OFFICER = _ESCROW_READ | {
    "supervision.add_escrowaccount",
    "supervision.change_escrowaccount",
    "supervision.view_sensitive_escrowaccount",
    "supervision.acknowledge_escrowalert",
}
_ESCROW_FACILITY = _ESCROW_READ | {
    "supervision.add_escrowaccount",
    "supervision.change_escrowaccount",
    "supervision.view_sensitive_escrowaccount",
    "supervision.add_escrowentry",
    "supervision.add_facilityclosure",
}

# Cadre pairing (万人助中心): the bureau registers cadres and pairings and sets the scoring scheme; a
# cadre records their own visits and reads their own pairings (narrowed to self in the services);
# a facility reads the board it posts on its wall.
_PAIRING_READ = {
    "supervision.view_cadre",
    "supervision.view_pairing",
    "supervision.view_cadrevisit",
    "supervision.view_scoringscheme",
}
_PAIRING_OFFICER = _PAIRING_READ | {
    "supervision.add_cadre",
    "supervision.change_cadre",
    "supervision.add_pairing",
    "supervision.change_pairing",
    "supervision.add_cadrevisit",
    "supervision.change_scoringscheme",
}
_PAIRING_CADRE = {
    "supervision.view_cadre",
    "supervision.view_pairing",
    "supervision.view_cadrevisit",
    "supervision.add_cadrevisit",
}
_PAIRING_FACILITY = {"supervision.view_pairing", "supervision.view_cadrevisit"}

# Complaints and the 12345 hotline (投诉): the bureau registers and steers them; the facility (or the
# provider) complained about reads and answers its own, with the complainant's contact masked.
_COMPLAINTS_READ = {"supervision.view_complaint", "supervision.view_complaintstep"}
_COMPLAINTS_OFFICER = _COMPLAINTS_READ | {
    "supervision.add_complaint",
    "supervision.handle_complaint",
    "supervision.reply_complaint",
    "supervision.view_sensitive_complaint",
}
_COMPLAINTS_SUBJECT = _COMPLAINTS_READ | {"supervision.reply_complaint"}

GRANTS: dict[str, frozenset[str]] = {
    Role.PLATFORM_ADMIN: frozenset({"*"}),
    Role.OFFICER: frozenset(
        _REGION_READ
        | _ELDER_READ
        | _FACILITY_READ
        | _SUPERVISION_OFFICER
        | _ESCROW_OFFICER
        | _PAIRING_OFFICER
        | _COMPLAINTS_OFFICER
        | {
            "regions.change_region",
            "regions.import_region",
            "servicemap.change_coveragerule",
            "analytics.change_target",
            "analytics.add_monthlyreport",
            "homecare.view_serviceitem",
            "homecare.add_serviceitem",
            "homecare.change_serviceitem",
            "providers.view_provider",
            "providers.add_provider",
            "providers.change_provider",
            "providers.view_staff",
            "providers.view_attendance",
            "homecare.view_order",
            "homecare.view_orderphoto",
            "homecare.add_order",
            "homecare.assign_order",
            "homecare.cancel_order",
            "homecare.view_voucherentry",
            "homecare.add_voucherentry",
            "homecare.view_volunteer",
            "homecare.add_volunteer",
            "homecare.change_volunteer",
            "homecare.view_volunteerservice",
            "homecare.confirm_volunteerservice",
            "homecare.view_timeentry",
            "elders.add_elder",
            "elders.change_elder",
            "elders.view_sensitive_elder",
            "elders.export_elder",
            "elders.import_elder",
            "elders.add_assessment",
            "facilities.add_facility",
            "facilities.change_facility",
            "facilities.export_facility",
            "facilities.import_facility",
            "facilities.add_residence",
            "facilities.change_residence",
        }
    ),
    Role.VIEWER: frozenset(
        _REGION_READ
        | _ELDER_READ
        | _FACILITY_READ
        | _SUPERVISION_VIEWER
        | _ESCROW_READ
        | _PAIRING_READ
        | _COMPLAINTS_READ
        | {"elders.export_elder", "facilities.export_facility", "supervision.export_hazard"}
    ),
    Role.COMMUNITY_WORKER: frozenset(
        _REGION_READ
        | _ELDER_READ
        | {"elders.add_elder", "elders.change_elder", "elders.view_sensitive_elder", "elders.add_assessment"}
        | {"homecare.view_serviceitem", "homecare.view_order", "homecare.add_order", "homecare.cancel_order"}
        | {"homecare.view_volunteer", "homecare.add_volunteer", "homecare.change_volunteer", "homecare.view_timeentry"}
        | {"homecare.view_volunteerservice", "homecare.confirm_volunteerservice"}
        | {"facilities.view_facility"}
    ),
    Role.CADRE: frozenset(
        _REGION_READ | _SUPERVISION_READ | _SUBSIDY_READ | _PAIRING_CADRE | {"facilities.view_facility"}
    ),
    Role.AUDITOR: frozenset(_REGION_READ | {"core.view_auditentry"}),
    Role.FACILITY_MANAGER: frozenset(
        _ELDER_READ
        | _FACILITY_READ
        | _SUPERVISION_FACILITY
        | _ESCROW_FACILITY
        | _PAIRING_FACILITY
        | _COMPLAINTS_SUBJECT
        | {
            "elders.view_sensitive_elder",
            "elders.add_assessment",
            "facilities.change_facility",
            "facilities.add_residence",
            "facilities.change_residence",
        }
    ),
    Role.PROVIDER_MANAGER: frozenset(
        {
            "providers.view_provider",
            "providers.change_provider",
            "providers.view_staff",
            "providers.add_caregiver",
            "providers.change_caregiver",
            "providers.view_attendance",
            "providers.add_attendance",
            "homecare.view_order",
            "homecare.view_orderphoto",
            "homecare.accept_order",
            "homecare.dispatch_order",
        }
        | _COMPLAINTS_SUBJECT
    ),
    Role.CAREGIVER: frozenset(
        {"homecare.view_order", "homecare.serve_order", "providers.view_staff", "homecare.view_orderphoto"}
        | {"providers.view_attendance"}
    ),
    Role.FAMILY: frozenset(
        _ELDER_READ
        | {"elders.view_sensitive_elder", "homecare.view_order", "homecare.add_order", "homecare.rate_order"}
        | {"homecare.view_orderphoto"}
        | {"homecare.cancel_order", "homecare.view_voucherentry", "homecare.confirm_volunteerservice"}
    ),
}


def grants(role: str, permission: str) -> bool:
    granted = GRANTS.get(role, frozenset())
    return "*" in granted or permission in granted
