"""What each role may do in supervision (民政系统监管), one block per area: what officers, read-only roles,
cadres, facilities and providers may do. The workforce (staff, certificates, training) is declared by
the providers app, which keeps that registry."""

from yiyang.core.roles import Role

_SUPERVISION_READ = {
    "supervision.view_checklist",
    "supervision.view_inspection",
    "supervision.view_hazard",
    "supervision.view_hazardstep",
    "supervision.view_photo",
}
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
_SUPERVISION_VIEWER = _SUPERVISION_READ | _RATINGS_READ | _SUBSIDY_READ
_SUPERVISION_OFFICER = (
    _SUPERVISION_READ
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
    | _RATINGS_FACILITY
    | _SUBSIDY_READ
    | {"supervision.rectify_hazard", "supervision.submit_subsidyclaim"}
)

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
    # A cadre's full phone (for the printed board, too) is an audited reveal by the bureau.
    "supervision.view_sensitive_cadre",
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

GRANTS = {
    Role.OFFICER: _SUPERVISION_OFFICER | _ESCROW_OFFICER | _PAIRING_OFFICER | _COMPLAINTS_OFFICER,
    Role.VIEWER: _SUPERVISION_VIEWER | _ESCROW_READ | _PAIRING_READ | _COMPLAINTS_READ | {"supervision.export_hazard"},
    Role.CADRE: _SUPERVISION_READ | _SUBSIDY_READ | _PAIRING_CADRE,
    Role.FACILITY_MANAGER: _SUPERVISION_FACILITY | _ESCROW_FACILITY | _PAIRING_FACILITY | _COMPLAINTS_SUBJECT,
    Role.PROVIDER_MANAGER: _COMPLAINTS_SUBJECT,
}
