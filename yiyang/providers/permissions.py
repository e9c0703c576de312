"""What each role may do with the registry of providers and their people: service organisations, staff
of facilities and providers (caregivers, nurses, responders, assessors, contractors), certificates and
training."""

from yiyang.core.roles import Role

# The workforce (人才队伍) as supervision reads it: a facility keeps its own staff, officers every
# facility's and provider's staff in their region.
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
# A person's full phone number, always on request and written to the audit log: the bureau, the
# employer and the person themself (the scope narrows each to its own people), never read-only roles.
_PHONES = {"providers.view_sensitive_staff"}
# A provider's record and its caregivers with their training, as home care reads them.
_PROVIDER_READ = {"providers.view_provider", "providers.view_staff", "providers.view_attendance"}

GRANTS = {
    Role.OFFICER: _WORKFORCE_MANAGE
    | _PHONES
    | _PROVIDER_READ
    | {"providers.add_provider", "providers.change_provider"},
    Role.VIEWER: _WORKFORCE_READ,
    Role.FACILITY_MANAGER: _WORKFORCE_MANAGE | _PHONES,
    # A provider keeps its own record and its caregivers (a separate right from officers' add_staff, so
    # that the bureau does not edit a provider's caregiver list).
    Role.PROVIDER_MANAGER: _PROVIDER_READ
    | _PHONES
    | {
        "providers.change_provider",
        "providers.add_caregiver",
        "providers.change_caregiver",
        "providers.add_attendance",
    },
    # A caregiver reads their own record and training.
    Role.CAREGIVER: {"providers.view_staff", "providers.view_attendance", "providers.view_sensitive_staff"},
}
