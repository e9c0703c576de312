"""What an upper platform publishes down (metadata.py): versioned sets, applied whole or not at all."""

import pytest

from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.exchange import metadata, peers
from yiyang.exchange.models import Peer
from yiyang.homecare.models import ServiceItem

from .helpers import signed_get

pytestmark = pytest.mark.django_db
COUNTY = "411002000000"


def _item(code="C01", **values):
    row = {"region_code": "411000000000", "code": code, "name": "助浴", "category": "daily_living", "unit": "visit",
           "price": 6000, "duration_minutes": 60, "min_minutes": 30, "required_skill": None,
           "subsidies": {"tekun": 100}, "is_active": True}  # fmt: skip
    return {**row, **values}


def _set(*rows):
    return {"name": "service_items", "version": metadata._digest(list(rows)), "rows": list(rows)}


def test_a_published_set_is_added_changed_and_switched_off_whole(regions):
    actor = Actor.system()
    own = ServiceItem.objects.create(region_code=COUNTY, county_code="411002", code="X9", name="县里自己的",
                                     category="daily_living", unit="visit", price=100)  # fmt: skip
    assert metadata.apply_set(actor, COUNTY, _set(_item(), _item("C02", name="理发"))) == {
        "added": 2, "changed": 0, "removed": 0}  # fmt: skip
    assert metadata.apply_set(actor, COUNTY, _set(_item(price=6500), _item("C02", name="理发"))) == {
        "added": 0, "changed": 1, "removed": 0}  # fmt: skip
    assert ServiceItem.objects.get(code="C01").price == 6500
    # Gone from the set: switched off, not deleted (orders may name it); the county's own row is untouched.
    assert metadata.apply_set(actor, COUNTY, _set(_item(price=6500)))["removed"] == 1
    assert ServiceItem.objects.get(code="C02").is_active is False
    own.refresh_from_db()
    assert own.is_active and own.name == "县里自己的"


def test_a_bad_row_refuses_the_whole_set_with_its_field(regions):
    actor = Actor.system()
    with pytest.raises(FieldErrors) as refused:
        metadata.apply_set(actor, COUNTY, _set(_item("C05"), _item("C06", category="massage")))
    assert "rows.1.category" in refused.value.fields
    assert not ServiceItem.objects.filter(code="C05").exists()  # nothing half-written
    with pytest.raises(FieldErrors) as outside:
        metadata.apply_set(actor, COUNTY, _set(_item(region_code="410100000000")))
    assert "rows.0.region_code" in outside.value.fields


def test_the_upper_platform_publishes_only_the_regions_above_and_only_what_changed(link, regions):
    app, secret = link(name="魏都区颐养平台", write_resources=("sync",), read_resources=())
    ServiceItem.objects.create(region_code="411000000000", county_code="411000", code="C01", name="助浴",
                               category="daily_living", unit="visit", price=6000)  # fmt: skip
    ServiceItem.objects.create(region_code=COUNTY, county_code="411002", code="X9", name="县里自己的",
                               category="daily_living", unit="visit", price=100)  # fmt: skip
    answer = signed_get(app, secret, "/api/v1/exchange/metadata")
    assert answer.status_code == 200
    items = next(s for s in answer.json()["sets"] if s["name"] == "service_items")
    assert [r["code"] for r in items["rows"]] == ["C01"]
    have = ",".join(f"{s['name']}:{s['version']}" for s in answer.json()["sets"])
    assert signed_get(app, secret, f"/api/v1/exchange/metadata?have={have}").json() == {"sets": []}
    reader, reader_secret = link(name="只读系统", kind="vendor", write_resources=(), read_resources=("elders",))
    assert signed_get(reader, reader_secret, "/api/v1/exchange/metadata").status_code == 403


def test_the_lower_platform_pulls_and_keeps_the_versions_it_applied(platform_admin, regions):
    peer = peers.add_peer(Actor(user=platform_admin), {
        "name": "许昌市颐养平台", "region": COUNTY, "base_url": "https://city.example.gov.cn", "key_id": "yx_0123456789abcdef",
        "secret": "ab" * 32, "resources": ["elders"]})  # fmt: skip
    good, bad = _set(_item()), {**_set(_item("C07", unit="bucket")), "name": "service_items"}
    peers.pull_metadata(peer, get=lambda p, target: (200, {"sets": [good]}))
    assert Peer.objects.get().metadata_versions == {"service_items": good["version"]}
    asked = []
    peers.pull_metadata(peer, get=lambda p, target: asked.append(target) or (200, {"sets": [bad]}), force=True)
    peer.refresh_from_db()
    assert asked == [f"/api/v1/exchange/metadata?have=service_items:{good['version']}"]
    # The bad set is named and not applied; the version stays the one applied before.
    assert "rows.0.unit" in peer.metadata_error and peer.metadata_versions == {"service_items": good["version"]}
    assert not ServiceItem.objects.filter(code="C07").exists()


def test_a_set_naming_one_row_twice_or_malformed_is_refused_and_the_pull_goes_on(platform_admin, regions):
    actor = Actor.system()
    with pytest.raises(FieldErrors) as twice:
        metadata.apply_set(actor, COUNTY, _set(_item(), _item()))
    assert "rows.1.code" in twice.value.fields
    peer = peers.add_peer(Actor(user=platform_admin), {
        "name": "许昌市颐养平台", "region": COUNTY, "base_url": "https://city.example.gov.cn", "key_id": "yx_0123456789abcdef",
        "secret": "ab" * 32, "resources": ["elders"]})  # fmt: skip
    peers.pull_metadata(peer, get=lambda p, target: (200, {"sets": [{"name": "service_items"}, "x", {"rows": 5}]}))
    peer.refresh_from_db()
    assert peer.metadata_error and peer.metadata_versions == {}


def test_an_unchanged_target_is_not_saved_again(regions):
    actor = Actor.system()
    row = {"region_code": "411000000000", "year": 2026, "indicator": "visit_rate", "value": "95.50", "direction": "gte",
           "note": ""}  # fmt: skip
    targets = {"name": "targets", "version": "1", "rows": [row]}
    assert metadata.apply_set(actor, COUNTY, targets)["added"] == 1
    assert metadata.apply_set(actor, COUNTY, {**targets, "version": "2"}) == {"added": 0, "changed": 0, "removed": 0}
