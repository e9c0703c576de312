"""What each role may do with home-care services: orders, providers, meals, vouchers, the time bank."""

from yiyang.core.roles import Role

# Meal records per region, for every role bound to a region (dashboards).
_MEALS_READ = {"homecare.view_mealrecord"}
# Booking and cancelling an order for an elder: the bureau, the community worker and the family.
_ORDER_BOOK = {"homecare.view_order", "homecare.add_order", "homecare.cancel_order"}
# The time bank (时间银行): volunteers, their services and the hours they earn.
_TIMEBANK_KEEP = {
    "homecare.view_volunteer",
    "homecare.add_volunteer",
    "homecare.change_volunteer",
    "homecare.view_volunteerservice",
    "homecare.confirm_volunteerservice",
    "homecare.view_timeentry",
}
# Provider and caregiver records. These names move with the providers app.
_PROVIDER_READ = {"homecare.view_provider", "homecare.view_caregiver", "homecare.view_caregivertraining"}

GRANTS = {
    Role.OFFICER: _MEALS_READ
    | _ORDER_BOOK
    | _TIMEBANK_KEEP
    | _PROVIDER_READ
    | {
        "homecare.view_serviceitem",
        "homecare.add_serviceitem",
        "homecare.change_serviceitem",
        "homecare.add_provider",
        "homecare.change_provider",
        "homecare.view_sensitive_caregiver",
        "homecare.view_orderphoto",
        "homecare.assign_order",
        "homecare.view_voucherentry",
        "homecare.add_voucherentry",
    },
    Role.VIEWER: _MEALS_READ,
    Role.COMMUNITY_WORKER: _MEALS_READ | _ORDER_BOOK | _TIMEBANK_KEEP | {"homecare.view_serviceitem"},
    Role.CADRE: _MEALS_READ,
    Role.AUDITOR: _MEALS_READ,
    # A provider keeps its own record and caregivers, and takes on and dispatches the orders it is given.
    Role.PROVIDER_MANAGER: _PROVIDER_READ
    | {
        "homecare.change_provider",
        "homecare.view_sensitive_caregiver",
        "homecare.add_caregiver",
        "homecare.change_caregiver",
        "homecare.add_caregivertraining",
        "homecare.view_order",
        "homecare.view_orderphoto",
        "homecare.accept_order",
        "homecare.dispatch_order",
    },
    # A caregiver serves their own orders and reads their own record and training.
    Role.CAREGIVER: {
        "homecare.view_order",
        "homecare.serve_order",
        "homecare.view_orderphoto",
        "homecare.view_caregiver",
        "homecare.view_sensitive_caregiver",
        "homecare.view_caregivertraining",
    },
    Role.FAMILY: _ORDER_BOOK
    | {
        "homecare.rate_order",
        "homecare.view_orderphoto",
        "homecare.view_voucherentry",
        "homecare.confirm_volunteerservice",
    },
}
