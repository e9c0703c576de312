import pytest

from yiyang.care.models import Device, EscalationPolicy, Vendor
from yiyang.core.roles import Role
from yiyang.elders.models import ElderContact
from yiyang.providers.models import Provider, Staff


@pytest.fixture
def vendor(regions):
    return Vendor.objects.create(code="anxin", name="安心科技", region_code="411002000000", county_code="411002",
                                 secret="s3cret-key", window_seconds=300, merge_seconds=600)  # fmt: skip


@pytest.fixture
def watch_vendor(regions):
    return Vendor.objects.create(code="watchcloud", name="手表云", region_code="411002000000", county_code="411002",
                                 adapter="watch_cloud", secret_id="sid", secret="skey")  # fmt: skip


@pytest.fixture
def home_elder(elder):
    elder.lat, elder.lng = 34.03, 113.85
    elder.save(update_fields=["lat", "lng"])
    ElderContact.objects.create(elder=elder, county_code="411002", name="张小华", relation="child",
                                phone="13911112222", is_guardian=True)  # fmt: skip
    return elder


@pytest.fixture
def button(vendor, home_elder):
    return Device.objects.create(vendor=vendor, external_id="BTN-1", kind="sos_button", elder=home_elder,
                                 region_code=home_elder.region_code, county_code="411002", installed_where="卧室床头")  # fmt: skip


@pytest.fixture
def smoke(vendor, home_elder):
    return Device.objects.create(vendor=vendor, external_id="SMK-1", kind="smoke", elder=home_elder,
                                 region_code=home_elder.region_code, county_code="411002", installed_where="厨房")  # fmt: skip


@pytest.fixture
def watch(watch_vendor, home_elder):
    return Device.objects.create(vendor=watch_vendor, external_id="860000000000001", kind="watch", elder=home_elder,
                                 region_code=home_elder.region_code, county_code="411002")  # fmt: skip


@pytest.fixture
def provider(regions):
    return Provider.objects.create(name="安康居家服务公司", region_code="411002001000", county_code="411002",
                                   service_regions=["411002000000"])  # fmt: skip


@pytest.fixture
def responder(provider):
    return Staff.objects.create(provider=provider, region_code="411002001001", county_code="411002", name="王响应",
                                role="responder", phone="13700001111", lat=34.031, lng=113.851)  # fmt: skip


@pytest.fixture
def far_responder(provider):
    return Staff.objects.create(provider=provider, region_code="411002001001", county_code="411002", name="赵远",
                                role="responder", phone="13700002222", lat=34.2, lng=113.9)  # fmt: skip


@pytest.fixture
def responder_user(make_user, responder):
    return make_user(Role.CAREGIVER, region_code="411002000000", scope_id=responder.pk)


@pytest.fixture
def operator(make_user, regions):
    return make_user(Role.OPERATOR, region_code="411002000000", username="weidu-operator")


@pytest.fixture
def other_operator(make_user, regions):
    return make_user(Role.OPERATOR, region_code="411002000000", username="weidu-operator-2")


@pytest.fixture
def neighbour_operator(make_user, regions):
    return make_user(Role.OPERATOR, region_code="411003000000", username="jianan-operator")


@pytest.fixture
def family(make_user, home_elder):
    return make_user(Role.FAMILY, region_code=home_elder.region_code, scope_id=home_elder.pk)


@pytest.fixture
def policies(regions):
    rows = [
        EscalationPolicy(region_code="411002000000", county_code="411002", state="new", after_seconds=60,
                         action="escalate", level=1, notify="supervisor"),
        EscalationPolicy(region_code="411002000000", county_code="411002", state="new", after_seconds=180,
                         action="escalate", level=2, notify="supervisor"),
        EscalationPolicy(region_code="411002000000", county_code="411002", state="dispatched", after_seconds=1200,
                         action="call_emergency", emergency_number="120"),
    ]  # fmt: skip
    return EscalationPolicy.objects.bulk_create(rows)
