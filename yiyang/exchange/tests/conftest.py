import pytest

from yiyang.core.audit import Actor
from yiyang.exchange import services
from yiyang.exchange.models import READABLE


@pytest.fixture
def link(county_officer):
    """Link an app as the home county's officer; returns (app, secret)."""

    def _link(**fields):
        data = {"name": "魏都区养老机构软件", "kind": "platform", "region": "411002000000",
                "read_resources": tuple(READABLE), "write_resources": ("residences", "beds"), **fields}  # fmt: skip
        return services.register_app(Actor(user=county_officer), services.AppInput(**data))

    return _link


@pytest.fixture
def region_app(link):
    return link()


@pytest.fixture
def facility_app(link, facility):
    return link(name="花园康养中心管理软件", kind="facility", facility_code=facility.code)


@pytest.fixture
def platform_admin(regions, make_user):
    from yiyang.core.roles import Role

    return make_user(Role.PLATFORM_ADMIN, username="platform-admin")


def me_answer(peer, **fields):
    """What the upper platform's `GET /me` answers for a link set up as docs/exchange.md says."""
    return {"key_id": peer.key_id, "name": "魏都区颐养平台", "region_code": "411002000000", "facility_code": None,
            "read_resources": [], "write_resources": ["sync"], "window_seconds": 300, "rate_per_minute": 600,
            **fields}  # fmt: skip
