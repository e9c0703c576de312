"""What each role may do with the facility registry and its residents."""

from yiyang.core.roles import Role

_FACILITY_READ = {"facilities.view_facility", "facilities.view_residence"}
_RESIDENTS_KEEP = {"facilities.add_residence", "facilities.change_residence"}

GRANTS = {
    Role.OFFICER: _FACILITY_READ
    | _RESIDENTS_KEEP
    | {
        "facilities.add_facility",
        "facilities.change_facility",
        "facilities.export_facility",
        "facilities.import_facility",
    },
    Role.VIEWER: _FACILITY_READ | {"facilities.export_facility"},
    Role.COMMUNITY_WORKER: {"facilities.view_facility"},
    Role.CADRE: {"facilities.view_facility"},
    # A facility keeps its own record and its residents.
    Role.FACILITY_MANAGER: _FACILITY_READ | _RESIDENTS_KEEP | {"facilities.change_facility"},
}
