"""Thresholds of supervision rules, each with the document it comes from.

Read at call time (so a deployment, or a test, can change them): an environment variable of the same
name wins, then a Django setting of that name, then the default written here. Regional rules that
differ between counties (the cadre scoring scheme) are rows of a per-region model instead.
"""

import os

from django.conf import settings

DEFAULTS: dict[str, object] = {
    # Rectification ledger (local rules, no national standard): days to rectify a general and a major
    # hazard when the inspector sets no deadline, and how many days past the deadline an unclosed
    # hazard goes from the city up to the province.
    "HAZARD_GENERAL_DAYS": 15,
    "HAZARD_MAJOR_DAYS": 30,
    "HAZARD_ESCALATE_TO_PROVINCE_AFTER_DAYS": 15,
    # 《养老机构预收费管理办法》(民政部等, late 2024; docs/standards.md §9, some numbers unconfirmed):
    # service fees prepaid for at most 12 months, a deposit of at most 12 × the monthly fee.
    "ESCROW_SERVICE_FEE_MAX_MONTHS": 12,
    "ESCROW_DEPOSIT_MAX_MONTHS": 12,
    # The same document caps membership fees at "a multiple" of the monthly fee without a national
    # figure; 12 is a placeholder until the province publishes its own.
    "ESCROW_MEMBERSHIP_MAX_MONTHS": 12,
    # Institutions that may not charge membership fees at all (same document): 公建公营, 公建民营 and
    # those the government helped build (配建 facilities handed over to the government).
    "ESCROW_NO_MEMBERSHIP_OPERATION_MODELS": ("public", "public_private", "built_with_housing"),
    # Same document: a closing institution gives 30 days' notice and refunds every balance.
    "ESCROW_CLOSURE_NOTICE_DAYS": 30,
    # 12345 政务服务便民热线 rules (国办发〔2020〕53号) leave the reply time to local rules; 15 days is
    # the common 信访 reply term (《信访工作条例》第三十二条: 15 days to decide on acceptance).
    "COMPLAINT_REPLY_DAYS": 15,
    # 万人助企/助老 pairing (上墙、入网、计分): local rules; a region without its own scheme uses these.
    "PAIRING_POINTS_PER_VISIT": 2,
    "PAIRING_POINTS_PER_SOLVED": 3,
    "PAIRING_MONTHLY_CAP": 20,
}


def value(name: str):
    """The configured value of `name`: environment first, then settings, then the default."""
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw is None:
        return getattr(settings, name, default)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return type(default)(raw)
