"""Steps of the two-platform test (test_two_platforms.py), each run as its own process against one platform's
database: `python -m yiyang.exchange.tests.platform_steps STEP ARGS...`, with that platform's environment."""

import json
import os
import sys
from datetime import date, timedelta


def _seed(officer_region: str):
    from conftest import TREE
    from yiyang.accounts.services import create_user
    from yiyang.core.audit import Actor
    from yiyang.regions.models import Region

    Region.objects.bulk_create(
        [Region(code=c, name=n, level=lvl, parent_code=p, lat=34.03, lng=113.85) for c, n, lvl, p in TREE]
    )
    officer = create_user("officer", "Pass-word-123", memberships=[{"role": "officer", "region_code": officer_region}])
    return Actor(user=officer)


def city(duplicate_id_number: str):
    """The city's platform: its officer links the county's platform (right `sync`) and has registered one
    elder whose ID number the county registers too."""
    from yiyang.elders import services as elder_services
    from yiyang.exchange import services
    from yiyang.homecare.models import ServiceItem

    actor = _seed("411000000000")
    data = services.AppInput(
        name="魏都区颐养平台", kind="platform", region="411002000000", write_resources=("sync",), rate_per_minute=600
    )
    app, secret = services.register_app(actor, data)
    elder_services.register_elder(
        actor, {"name": "市级登记的老人", "id_number": duplicate_id_number, "region_code": "411002002001"}
    )
    # The city's service menu, which flows down to the county.
    ServiceItem.objects.create(region_code="411000000000", county_code="411000", code="C01", name="助浴",
                               category="daily_living", unit="visit", price=6000, subsidies={"tekun": 100})  # fmt: skip
    print(json.dumps({"key_id": app.key_id, "secret": secret}))


def county(base_url: str, key_id: str, secret: str):
    from yiyang.accounts.services import create_user
    from yiyang.core.audit import Actor
    from yiyang.exchange import peers

    _seed("411002000000")
    # Pointing the push at another server is the platform administrator's act (decision 0026).
    admin = create_user("admin", "Pass-word-123", memberships=[{"role": "platform_admin", "region_code": ""}])
    peers.add_peer(Actor(user=admin), {
        "name": "许昌市颐养平台", "region": "411002000000", "base_url": base_url, "key_id": key_id, "secret": secret,
        "resources": ["facilities", "elders", "assessments", "residences"],
    })  # fmt: skip


def write(start: str, count: str, duplicate_id_number: str):
    """The county's staff at work: elders registered, assessed, some changed, one admitted to a facility."""
    from django.contrib.auth import get_user_model

    from conftest import full_scores
    from yiyang.core import idnumber
    from yiyang.core.audit import Actor
    from yiyang.elders import services as elder_services
    from yiyang.facilities import services as facility_services
    from yiyang.facilities.models import Facility

    actor = Actor(user=get_user_model().objects.get(username="officer"))
    facility = Facility.objects.filter(code="411002-0001").first() or facility_services.register_facility(actor, {
        "code": "411002-0001", "name": "花园康养中心", "facility_type": "institution", "operation_model": "public",
        "region_code": "411002001001", "address": "花园路 1 号", "beds_total": 50,
    })  # fmt: skip
    for i in range(int(start), int(start) + int(count)):
        birth = date(1940, 1, 1) + timedelta(days=i // 50)
        number = duplicate_id_number if i == 205 else idnumber.make("411002", birth, i % 50, "F")
        elder = elder_services.register_elder(
            actor, {"name": f"县级老人{i}", "id_number": number, "region_code": "411002001001", "phone": "13700001111"}
        )
        elder_services.record_assessment(actor, elder.pk, {"assessed_on": date(2026, 3, 1), "reason": "first",
                                                           "assessor_1": "王敏", "assessor_2": "李强",
                                                           "scores": full_scores()})  # fmt: skip
        if i % 7 == 0:
            elder_services.update_elder(actor, elder.pk, {"phone": f"1390000{i:04d}"})
        if i == 210:
            facility_services.admit(actor, facility.pk, elder.pk, date(2026, 4, 1), "1-101")


STEPS = {"city": city, "county": county, "write": write}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyang.settings")
    import django

    django.setup()
    STEPS[sys.argv[1]](*sys.argv[2:])
