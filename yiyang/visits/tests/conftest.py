from datetime import date

import pytest

from conftest import make_id_number
from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.visits import services
from yiyang.visits.choices import VisitorKind


def born(years: int, today: date = date(2026, 6, 15)) -> date:
    """The birth date of someone who turns `years` on `today`."""
    return today.replace(year=today.year - years)


@pytest.fixture
def officer_actor(county_officer):
    return Actor(user=county_officer)


@pytest.fixture
def grid_worker(make_user):
    return make_user(Role.COMMUNITY_WORKER, region_code="411002001000", username="grid-xida")


@pytest.fixture
def neighbour_worker(make_user):
    return make_user(Role.COMMUNITY_WORKER, region_code="411003000000", username="grid-jianan")


@pytest.fixture
def visitor(officer_actor, grid_worker):
    return services.register_visitor(officer_actor, {"kind": VisitorKind.GRID_WORKER, "name": "王网格",
                                                    "region_code": "411002001000", "user": grid_worker})  # fmt: skip


@pytest.fixture
def colleague(officer_actor, make_user):
    user = make_user(Role.COMMUNITY_WORKER, region_code="411002001000", username="grid-xida-2")
    return services.register_visitor(officer_actor, {"kind": VisitorKind.COMMUNITY_WORKER, "name": "赵社工",
                                                    "region_code": "411002001001", "user": user})  # fmt: skip


@pytest.fixture
def lonely_elder(make_elder):
    """An elder of 82 living alone in 花园社区: high risk."""
    return make_elder(name="孙独居", id_number=make_id_number(birth=born(82, date.today())), living_situation="alone")


@pytest.fixture
def target(officer_actor, lonely_elder, visitor):
    services.enrol_from_registry(officer_actor, "411002000000")
    from yiyang.visits.models import VisitTarget

    return VisitTarget.objects.get(elder=lonely_elder)
