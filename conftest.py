"""Shared test fixtures: a small region tree, users of every role, elders and facilities."""

import itertools
from datetime import date

import pytest

from yiyang.accounts.services import create_user
from yiyang.core import idnumber
from yiyang.core.regioncodes import county_of
from yiyang.core.roles import Role
from yiyang.regions.models import Region

# 河南省 > 许昌市 > 魏都区 (411002) and 建安区 (411003, the neighbour) > streets > communities;
# 郑州市 > 金水区 (410105) for a user of another city.
TREE = [
    ("410000000000", "河南省", 1, None),
    ("411000000000", "许昌市", 2, "410000000000"),
    ("411002000000", "魏都区", 3, "411000000000"),
    ("411002001000", "西大街道", 4, "411002000000"),
    ("411002001001", "花园社区", 5, "411002001000"),
    ("411002001002", "春晖社区", 5, "411002001000"),
    ("411002002000", "南关街道", 4, "411002000000"),
    ("411002002001", "金桥社区", 5, "411002002000"),
    ("411003000000", "建安区", 3, "411000000000"),
    ("411003100000", "灵井镇", 4, "411003000000"),
    ("411003100201", "霍庄村", 5, "411003100000"),
    ("410100000000", "郑州市", 2, "410000000000"),
    ("410105000000", "金水区", 3, "410100000000"),
    ("410105001000", "经八路街道", 4, "410105000000"),
    ("410105001001", "黄河社区", 5, "410105001000"),
]


@pytest.fixture
def regions(db):
    Region.objects.bulk_create(
        [Region(code=c, name=n, level=lvl, parent_code=p, lat=34.03, lng=113.85) for c, n, lvl, p in TREE]
    )
    return {c: n for c, n, _, _ in TREE}


_sequence = itertools.count(1)


def make_id_number(region_code: str = "411002001001", birth: date = date(1945, 3, 8), sex: str = "F") -> str:
    return idnumber.make(county_of(region_code), birth, next(_sequence) % 100, sex)


@pytest.fixture
def make_user(db):
    def _make(role: str, *, region_code: str = "", scope_id=None, username=None, **kwargs):
        username = username or f"{role}-{next(_sequence)}"
        return create_user(
            username,
            "Pass-word-123",
            memberships=[{"role": role, "region_code": region_code, "scope_id": scope_id}],
            **kwargs,
        )

    return _make


@pytest.fixture
def county_officer(regions, make_user):
    return make_user(Role.OFFICER, region_code="411002000000", username="weidu-officer")


@pytest.fixture
def neighbour_officer(regions, make_user):
    return make_user(Role.OFFICER, region_code="411003000000", username="jianan-officer")


@pytest.fixture
def city_officer(regions, make_user):
    return make_user(Role.OFFICER, region_code="411000000000", username="xuchang-officer")


@pytest.fixture
def other_city_officer(regions, make_user):
    return make_user(Role.OFFICER, region_code="410100000000", username="zhengzhou-officer")


@pytest.fixture
def facility(regions):
    from yiyang.facilities.models import Facility

    return Facility.objects.create(
        code="411002-0001", name="花园康养中心", facility_type="institution", operation_model="private",
        region_code="411002001001", county_code="411002", address="西大街 1 号", beds_total=100, beds_nursing=60,
        beds_occupied=10,
    )  # fmt: skip


@pytest.fixture
def neighbour_facility(regions):
    from yiyang.facilities.models import Facility

    return Facility.objects.create(
        code="411003-0001", name="灵井敬老院", facility_type="support_home", operation_model="public",
        region_code="411003100201", county_code="411003", address="灵井镇", beds_total=50,
    )  # fmt: skip


@pytest.fixture
def make_elder(regions):
    from yiyang.core.audit import Actor
    from yiyang.elders import services

    admin = create_user(f"root-{next(_sequence)}", "Pass-word-123", is_superuser=True)

    def _make(region_code="411002001001", **fields):
        data = {"name": "张华山", "id_number": make_id_number(region_code), "region_code": region_code,
                "phone": "13800001111", "address": "西大街道花园社区 3 号楼 201", **fields}  # fmt: skip
        return services.register_elder(Actor(user=admin), data)

    return _make


@pytest.fixture
def elder(make_elder):
    return make_elder()


@pytest.fixture
def neighbour_elder(make_elder):
    return make_elder("411003100201", name="李秀英")


@pytest.fixture
def facility_manager(make_user, facility):
    return make_user(Role.FACILITY_MANAGER, region_code=facility.region_code, scope_id=facility.pk)


@pytest.fixture
def other_facility_manager(make_user, neighbour_facility):
    return make_user(Role.FACILITY_MANAGER, region_code=neighbour_facility.region_code, scope_id=neighbour_facility.pk)


def full_scores(value_for=lambda item: item.max_score) -> dict:
    from yiyang.elders import assessment

    return {item.code: value_for(item) for item in assessment.ITEMS}


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF answer (printed documents are checked by what they say)."""
    import io

    from pypdf import PdfReader

    assert content.startswith(b"%PDF-"), content[:100]
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
