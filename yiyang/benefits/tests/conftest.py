from datetime import date

import pytest

from conftest import make_id_number
from yiyang.benefits import services
from yiyang.benefits.models import Program, Recipient
from yiyang.core.audit import Actor
from yiyang.core.roles import Role

COUNTY = "411002000000"
ACCOUNT = "6228480012345678901"


def born(years: int, months_ago: int = 6) -> date:
    """Someone who turned `years` about `months_ago` months before today."""
    today = date.today()
    month = today.month - months_ago
    year = today.year - years + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 10)


@pytest.fixture
def programs(regions):
    return {p.code: p for p in services.seed_programs(COUNTY)}


@pytest.fixture
def old_age(programs) -> Program:
    return programs["old_age"]


@pytest.fixture
def officer(county_officer):
    return Actor(user=county_officer)


@pytest.fixture
def checker(make_user):
    return Actor(user=make_user(Role.OFFICER, region_code=COUNTY, username="weidu-checker"))


@pytest.fixture
def community_worker(make_user):
    return make_user(Role.COMMUNITY_WORKER, region_code="411002001001", username="huayuan-worker")


@pytest.fixture
def old_elder(make_elder):
    return make_elder(name="王长寿", id_number=make_id_number(birth=born(85)))


@pytest.fixture
def family(make_user, old_elder):
    return make_user(Role.FAMILY, region_code=old_elder.region_code, scope_id=old_elder.pk, username="wang-family")


def enrol(officer, elder, program, start: date, account: str = ACCOUNT) -> Recipient:
    """A recipient as the review chain leaves one, without walking it (for payroll tests)."""
    return Recipient.objects.create(elder=elder, program=program, region_code=elder.region_code,
                                    county_code=elder.county_code, start_month=start, next_month=start,
                                    bank_name="农业银行", bank_account=account, account_holder=elder.name)  # fmt: skip
