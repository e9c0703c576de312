"""The change feed: every save and delete of a shared row in id order, with tombstones and exits, scoped
to the app, paged by a cursor that neither skips nor repeats rows written in the same instant."""

from datetime import date
from types import SimpleNamespace

from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.exchange import feed
from yiyang.exchange.models import Change
from yiyang.facilities import services as facility_services
from yiyang.facilities.models import Residence

from .helpers import signed_get


def _read_all(app, secret, cursor=0, limit=1000, resources=""):
    seen, pages = [], 0
    while True:
        query = f"/api/v1/exchange/feed?cursor={cursor}&limit={limit}" + (
            f"&resources={resources}" if resources else ""
        )
        body = signed_get(app, secret, query).json()
        seen += body["changes"]
        cursor, pages = body["next_cursor"], pages + 1
        if not body["more"]:
            return seen, cursor, pages


def test_saves_discharges_and_deletes_appear_in_order_with_exits_and_tombstones(region_app, elder, facility):
    app, secret = region_app
    start = Change.objects.count()
    officer = Actor(user=app.user)
    residence = facility_services.admit(officer, facility.pk, elder.pk, date(2026, 1, 2))
    facility_services.discharge(officer, residence.pk, timezone.localdate())
    Residence.objects.filter(pk=residence.pk).get().delete()
    changes, _, _ = _read_all(app, secret, resources="residences")
    ops = [(c["resource"], c["id"], c["op"]) for c in changes]
    assert ops == [("residences", str(residence.pk), "upsert"), ("residences", str(residence.pk), "exit"),
                   ("residences", str(residence.pk), "delete")]  # fmt: skip
    assert changes[-1]["data"] is None
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    assert Change.objects.count() == start + 3


def test_an_elders_row_is_sent_masked(region_app, elder):
    app, secret = region_app
    changes, _, _ = _read_all(app, secret, resources="elders")
    (mine,) = [c for c in changes if c["id"] == str(elder.pk)]
    assert mine["data"]["name"] == elder.name
    assert mine["data"]["id_number"] != elder.id_number and "*" in mine["data"]["id_number"]
    assert elder.phone not in str(mine["data"])


def test_rows_written_in_the_same_instant_are_paged_without_skips_or_repeats(region_app, make_elder):
    app, secret = region_app
    elders = [make_elder(name=f"同刻{i}") for i in range(23)]
    Change.objects.filter(resource="elders").update(at=timezone.now())  # every change shares one instant
    changes, cursor, pages = _read_all(app, secret, limit=5, resources="elders")
    ids = [c["id"] for c in changes]
    assert sorted(ids) == sorted(str(e.pk) for e in elders) and len(ids) == len(set(ids))
    assert pages == 5
    # Nothing new: the cursor stays and the page is empty.
    again, same, _ = _read_all(app, secret, cursor=cursor, resources="elders")
    assert again == [] and same == cursor


def test_an_app_sees_only_its_region(region_app, elder, neighbour_elder):
    app, secret = region_app
    changes, _, _ = _read_all(app, secret, resources="elders")
    assert str(elder.pk) in {c["id"] for c in changes}
    assert str(neighbour_elder.pk) not in {c["id"] for c in changes}


def test_a_facility_app_sees_only_its_own_facility(link, facility, neighbour_facility, make_elder, county_officer):
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    officer = Actor(user=county_officer)
    mine, other = make_elder(name="住本院"), make_elder(name="住别院")
    second = facility_services.register_facility(officer, {
        "code": "411002-0002", "name": "春晖养老院", "facility_type": "institution", "operation_model": "private",
        "region_code": "411002001002", "address": "春晖路 2 号", "beds_total": 10,
    })  # fmt: skip
    facility_services.admit(officer, facility.pk, mine.pk, date(2026, 1, 2))
    facility_services.admit(officer, second.pk, other.pk, date(2026, 1, 2))
    changes, _, _ = _read_all(app, secret, resources="residences,facilities")
    facilities = {c["data"]["facility_id"] for c in changes if c["resource"] == "residences"}
    assert facilities == {facility.pk}
    assert str(second.pk) not in {c["id"] for c in changes if c["resource"] == "facilities"}


def test_on_sqlite_every_committed_change_is_safe(db):
    obj = SimpleNamespace(pk=1, region_code="411002001001", county_code="411002", facility_id=None)
    change = feed.record(feed.RESOURCES["elders"], obj, "upsert")
    assert feed.safe_bound() >= change.id


def test_a_feed_page_costs_the_same_queries_for_few_and_many_rows(region_app, make_elder, facility):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    app, secret = region_app

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert signed_get(app, secret, "/api/v1/exchange/feed?resources=elders,facilities").status_code == 200
        # The rate count opens a new minute with an insert: left out, so a minute's turn cannot flake this.
        return len([q for q in captured if "ratewindow" not in q["sql"] and "SAVEPOINT" not in q["sql"]])

    make_elder(name="甲")
    queries()  # the first request fills the per-process caches (content types, the app's account)
    few = queries()
    for i in range(15):
        make_elder(name=f"乙{i}")
    assert queries() == few


def test_out_of_range_cursors_and_limits_answer_without_a_server_error(region_app, elder):
    app, secret = region_app
    for query in ("cursor=-5&limit=0", f"cursor={2**70}&limit={2**70}", "cursor=0&limit=-1"):
        response = signed_get(app, secret, f"/api/v1/exchange/feed?{query}&resources=elders")
        assert response.status_code == 200, (query, response.content)
    assert signed_get(app, secret, "/api/v1/exchange/feed?cursor=abc").status_code == 422


def test_an_elder_moving_county_leaves_an_exit_in_the_old_countys_feed(link, elder, city_officer):
    from yiyang.elders import services as elder_services

    old_county, old_secret = link()
    from yiyang.exchange import services
    from yiyang.exchange.models import READABLE

    new_county, new_secret = services.register_app(Actor(user=city_officer), services.AppInput(
        name="建安区平台", kind="platform", region="411003000000", read_resources=tuple(READABLE)))  # fmt: skip
    _, cursor, _ = _read_all(old_county, old_secret, resources="elders")
    elder_services.update_elder(Actor(user=city_officer), elder.pk, {"region_code": "411003100201"})
    seen, _, _ = _read_all(old_county, old_secret, cursor=cursor, resources="elders")
    assert [(c["id"], c["op"]) for c in seen] == [(str(elder.pk), "exit")]
    assert seen[0]["data"] is None  # the row is out of the old county's scope now: only its tombstone
    moved, _, _ = _read_all(new_county, new_secret, resources="elders")
    assert (str(elder.pk), "upsert") in {(c["id"], c["op"]) for c in moved}
