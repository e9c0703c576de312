from datetime import timedelta

import pytest
from django.utils import timezone

from yiyang.core.roles import Role
from yiyang.homecare.models import ServiceItem
from yiyang.providers.models import Provider, Staff


@pytest.fixture
def bath(regions):
    return ServiceItem.objects.create(
        region_code="411002000000", county_code="411002", code="bath", name="助浴", category="daily_living",
        unit="visit", price=8000, duration_minutes=60, min_minutes=30, required_skill=4, subsidies={"tekun": 100,
        "dibao": 50},
    )  # fmt: skip


@pytest.fixture
def provider(regions):
    return Provider.objects.create(name="安康居家服务公司", region_code="411002001000", county_code="411002",
                                   service_regions=["411002000000"], service_items=["bath"])  # fmt: skip


@pytest.fixture
def other_provider(regions):
    return Provider.objects.create(name="建安服务社", region_code="411003100000", county_code="411003",
                                   service_regions=["411003000000"], service_items=["bath"])  # fmt: skip


@pytest.fixture
def caregiver(provider):
    return Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer", county_code="411002", name="刘护理", phone="13900001111",
                                    skill_level=3)  # fmt: skip


@pytest.fixture
def provider_manager(make_user, provider):
    return make_user(Role.PROVIDER_MANAGER, region_code=provider.region_code, scope_id=provider.pk)


@pytest.fixture
def caregiver_user(make_user, caregiver):
    return make_user(Role.CAREGIVER, region_code="411002000000", scope_id=caregiver.pk)


@pytest.fixture
def family(make_user, elder):
    return make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk)


@pytest.fixture
def tomorrow():
    return timezone.now() + timedelta(days=1)
