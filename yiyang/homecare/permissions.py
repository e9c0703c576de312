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

GRANTS = {
    Role.OFFICER: _MEALS_READ
    | _ORDER_BOOK
    | _TIMEBANK_KEEP
    | {
        "homecare.view_serviceitem",
        "homecare.add_serviceitem",
        "homecare.change_serviceitem",
        "homecare.view_orderphoto",
        "homecare.assign_order",
        "homecare.view_voucherentry",
        "homecare.add_voucherentry",
    },
    Role.VIEWER: _MEALS_READ,
    Role.COMMUNITY_WORKER: _MEALS_READ | _ORDER_BOOK | _TIMEBANK_KEEP | {"homecare.view_serviceitem"},
    Role.CADRE: _MEALS_READ,
    Role.AUDITOR: _MEALS_READ,
    # The hotline operator reads an elder's recent orders on the alarm card.
    Role.OPERATOR: {"homecare.view_order"},
    # A provider takes on and dispatches the orders it is given (its people: the providers app).
    Role.PROVIDER_MANAGER: {
        "homecare.view_order",
        "homecare.view_orderphoto",
        "homecare.accept_order",
        "homecare.dispatch_order",
    },
    # A caregiver serves their own orders.
    Role.CAREGIVER: {
        "homecare.view_order",
        "homecare.serve_order",
        "homecare.view_orderphoto",
    },
    Role.FAMILY: _ORDER_BOOK
    | {
        "homecare.rate_order",
        "homecare.view_orderphoto",
        "homecare.view_voucherentry",
        "homecare.confirm_volunteerservice",
    },
}
