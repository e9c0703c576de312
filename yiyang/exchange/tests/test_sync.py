"""A lower platform's pushes, applied here (sync.py), and this platform's pushes upwards (peers.py)."""

from datetime import date

import pytest
from django.test import Client

from conftest import full_scores, make_id_number
from yiyang.core import masking
from yiyang.core.audit import Actor
from yiyang.elders import services as elder_services
from yiyang.elders.models import Assessment, Elder
from yiyang.exchange import peers
from yiyang.exchange.models import ConflictStatus, ExternalRecord, Peer, SyncConflict, SyncState

from .conftest import me_answer
from .helpers import signed_post

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/exchange/sync"


@pytest.fixture
def county_platform(link):
    """The city's link for a county's own Yiyang, allowed to push."""
    return link(name="魏都区颐养平台", kind="platform", write_resources=("sync",), read_resources=())


def _elder_row(pk=501, **values):
    row = {"id": pk, "name": "张桂兰", "id_number": make_id_number(), "sex": "F", "birth_date": "1945-03-08",
           "ethnicity": "汉族", "phone": "13700001111", "phone_alt": "", "address": "花园社区 3 号楼",
           "region_code": "411002001001", "county_code": "411002", "lat": None, "lng": None,
           "living_situation": "alone", "categories": 0, "health_notes": "", "status": "active",
           "status_date": None, "facility_id": 99, "capability_level": None}  # fmt: skip
    return {**row, **values}


def _assessment_row(pk=801, elder_id=501):
    return {"id": pk, "elder_id": elder_id, "assessed_on": "2026-03-01", "reason": "first", "assessor_1": "王敏",
            "assessor_2": "李强", "scores": full_scores(), "risk_events": {}, "coma": False, "dementia": False,
            "mental_disorder": False, "total": 1, "final_level": 4}  # fmt: skip


def _push(app, secret, changes, *, through=None):
    body = {"changes": changes, "through": through if through is not None else max((c["seq"] for c in changes), default=0),
            "head": 100, "pending": 0}  # fmt: skip
    return signed_post(app, secret, SYNC, body)


def _change(seq, resource, data, op="upsert"):
    return {"seq": seq, "resource": resource, "id": str(data["id"]), "op": op, "data": data}


def test_a_pushed_elder_and_assessment_are_applied_once(county_platform, regions):
    app, secret = county_platform
    row = _elder_row()
    changes = [_change(7, "elders", row), _change(9, "assessments", _assessment_row())]
    answer = _push(app, secret, changes)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"applied_through": 9, "applied": 2, "parked": 0, "skipped": 0}
    elder = Elder.objects.get(id_number=row["id_number"])
    # The county's own ids and derived fields are not copied: the city keeps its own (facility, level).
    assert elder.pk != 501 and elder.facility_id is None and elder.phone == "13700001111"
    assessment = Assessment.objects.get(elder=elder)
    assert assessment.total == 90 and elder.__class__.objects.get(pk=elder.pk).capability_level == 0
    # The same batch again (its answer was lost): skipped, nothing doubled.
    again = _push(app, secret, changes)
    assert again.json() == {"applied_through": 9, "applied": 0, "parked": 0, "skipped": 2}
    assert Elder.objects.filter(id_number=row["id_number"]).count() == 1 and Assessment.objects.count() == 1
    # A later change of the elder updates the same row.
    _push(app, secret, [_change(12, "elders", {**row, "phone": "13700002222", "status": "deceased",
                                               "status_date": "2026-05-01"}, op="exit")])  # fmt: skip
    elder.refresh_from_db()
    assert (elder.phone, elder.status) == ("13700002222", "deceased")
    assert SyncState.objects.get(app=app).applied_seq == 12


def test_the_same_id_number_in_two_counties_is_parked_never_merged(county_platform, elder, county_officer):
    app, secret = county_platform
    row = _elder_row(id_number=elder.id_number, name="张桂兰（另一县）", region_code="411002002001")
    answer = _push(app, secret, [_change(3, "elders", row), _change(4, "assessments", _assessment_row())])
    assert answer.json()["parked"] == 2
    elder.refresh_from_db()
    assert elder.name != row["name"] and Elder.objects.count() == 1
    duplicate, waiting = SyncConflict.objects.order_by("seq")
    assert (duplicate.code, waiting.code) == ("duplicate_id_number", "waiting")
    # A later change of the waiting row joins its conflict instead of being applied out of order.
    _push(app, secret, [_change(5, "elders", {**row, "phone": "13900003333"})])
    duplicate.refresh_from_db()
    assert duplicate.seq == 5 and duplicate.data["phone"] == "13900003333"
    assert SyncConflict.objects.filter(status=ConflictStatus.OPEN).count() == 2

    client = Client()
    client.force_login(county_officer)
    page = client.get("/exchange/conflicts/").content.decode()
    assert "duplicate_id_number" in page and elder.id_number not in page
    assert masking.mask_id_number(elder.id_number) in page
    # Retrying while the number is still registered is refused with the reason; dismissing needs one.
    assert "411002001001" not in duplicate.message  # says that the number is registered, never where
    client.post(f"/exchange/conflicts/{duplicate.pk}/retry/")
    duplicate.refresh_from_db()
    assert duplicate.status == ConflictStatus.OPEN
    client.post(f"/exchange/conflicts/{duplicate.pk}/dismiss/", {"note": ""})
    duplicate.refresh_from_db()
    assert duplicate.status == ConflictStatus.OPEN
    client.post(f"/exchange/conflicts/{duplicate.pk}/dismiss/", {"note": "经核实为同一人，以本地登记为准"})
    duplicate.refresh_from_db()
    assert duplicate.status == ConflictStatus.DISMISSED and duplicate.resolved_by == county_officer


def test_a_row_waiting_for_another_is_applied_on_retry(county_platform, regions, county_officer):
    app, secret = county_platform
    _push(app, secret, [_change(2, "assessments", _assessment_row())])
    (waiting,) = SyncConflict.objects.all()
    assert waiting.code == "waiting" and Assessment.objects.count() == 0
    _push(app, secret, [_change(3, "elders", _elder_row())])
    client = Client()
    client.force_login(county_officer)
    client.post(f"/exchange/conflicts/{waiting.pk}/retry/")
    waiting.refresh_from_db()
    assert waiting.status == ConflictStatus.RESOLVED and Assessment.objects.count() == 1


def test_a_push_needs_the_sync_right_and_a_well_formed_batch(link, county_platform, regions):
    other, other_secret = link()  # a region app without the right
    assert _push(other, other_secret, [_change(1, "elders", _elder_row())]).status_code == 403
    app, secret = county_platform
    bad = _push(app, secret, [_change(5, "elders", _elder_row()), _change(4, "orders", _elder_row(pk=2))], through=5)
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"changes.1.seq", "changes.1.resource"}
    assert not Elder.objects.exists() and not SyncState.objects.filter(applied_seq__gt=0).exists()


def test_only_a_platform_app_may_hold_the_sync_right(link):
    from yiyang.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as refused:
        link(kind="vendor", write_resources=("sync",))
    assert "write_resources" in refused.value.fields


# --- The sending side --------------------------------------------------------------------------------


PEER = {"name": "许昌市颐养平台", "region": "411002000000", "base_url": "https://city.example.gov.cn/",
        "key_id": "yx_0123456789abcdef", "secret": "ab" * 32, "resources": ["elders", "assessments"]}  # fmt: skip


@pytest.fixture
def peer(platform_admin):
    """A link verified as the upper platform answers when set up as docs/exchange.md says."""
    peer = peers.add_peer(Actor(user=platform_admin), PEER)
    assert peers.verify(peer, get=lambda p, target: (200, me_answer(p))) == ""
    return peer


def test_a_batch_carries_full_values_and_each_row_once(peer, county_officer, regions):
    actor = Actor(user=county_officer)
    data = {"name": "李秀英", "id_number": make_id_number(), "region_code": "411002001001", "phone": "13800001234"}
    elder = elder_services.register_elder(actor, data)
    elder_services.update_elder(actor, elder.pk, {"phone": "13800005678"})
    elder_services.record_assessment(actor, elder.pk, {"assessed_on": date(2026, 3, 1), "reason": "first",
                                                       "assessor_1": "王敏", "assessor_2": "李强",
                                                       "scores": full_scores()})  # fmt: skip
    body = peers.next_batch(peer)
    assert [c["resource"] for c in body["changes"]] == ["elders", "assessments"]
    sent = body["changes"][0]["data"]
    # Full values (the upper platform registers by ID number) and the row's latest state.
    assert sent["id_number"] == elder.id_number and sent["phone"] == "13800005678"
    assert body["through"] >= body["changes"][-1]["seq"] and body["pending"] == 0


def test_an_elder_is_pushed_with_its_contact_list_and_the_city_keeps_it_in_step(peer, county_officer, county_platform):
    from yiyang.elders.models import ElderContact

    actor = Actor(user=county_officer)
    daughter = {"name": "王芳", "relation": "child", "phone": "13911112222", "is_guardian": True}
    elder = elder_services.register_elder(
        actor, {"name": "李秀英", "id_number": make_id_number(), "region_code": "411002001001"},
        [daughter, {"name": "赵强", "relation": "neighbour", "phone": "13922223333"}],
    )  # fmt: skip
    (change,) = peers.next_batch(peer)["changes"]
    sent = change["data"]["contacts"]
    assert [(c["name"], c["phone"], c["is_guardian"]) for c in sent] == [("王芳", "13911112222", True),
                                                                       ("赵强", "13922223333", False)]  # fmt: skip
    app, secret = county_platform
    # One database plays both sides here: the city receives the row as another person's.
    row = {**change["data"], "id": elder.pk, "id_number": make_id_number()}
    assert _push(app, secret, [_change(1, "elders", row)]).json()["applied"] == 1
    city_elder = ExternalRecord.objects.get(resource="elders").object_id
    assert list(ElderContact.objects.filter(elder_id=city_elder).values_list("name", flat=True)) == ["王芳", "赵强"]
    # A later list replaces it; a sender that sends no list leaves it as it is.
    _push(app, secret, [_change(2, "elders", {**row, "contacts": [daughter]})])
    _push(
        app,
        secret,
        [_change(3, "elders", {k: v for k, v in row.items() if k != "contacts"} | {"phone": "13700009999"})],
    )
    assert list(ElderContact.objects.filter(elder_id=city_elder).values_list("name", flat=True)) == ["王芳"]
    bad = _push(app, secret, [_change(4, "elders", {**row, "contacts": [{"name": "王芳", "phone": "12"}]})])
    assert bad.json()["parked"] == 1
    assert SyncConflict.objects.get().code == "invalid" and "contacts.0.phone" in SyncConflict.objects.get().message


def test_the_cursor_moves_only_to_what_the_upper_platform_confirms(peer, county_officer, regions):
    actor = Actor(user=county_officer)
    elder_services.register_elder(
        actor, {"name": "李秀英", "id_number": make_id_number(), "region_code": "411002001001"}
    )
    down = peers.push_once(peer, post=lambda p, body: (502, {"message": "Bad Gateway"}))
    peer.refresh_from_db()
    assert down.error and peer.cursor == 0 and peer.failures == 1 and peer.next_attempt_at is not None
    assert peer not in peers.due_peers()  # it waits out its pause
    sent = {}

    def accept(p, body):
        import json

        sent.update(json.loads(body))
        return 200, {"applied_through": sent["through"], "applied": 1, "parked": 0, "skipped": 0}

    peers.push_once(peer, post=accept)
    peer.refresh_from_db()
    assert peer.cursor == sent["through"] > 0 and peer.failures == 0 and peer.last_error == ""
    assert peers.backlog(peer)["count"] == 0


def test_the_administrator_links_an_upper_platform_and_its_secret_is_kept_encrypted(
    platform_admin, county_officer, regions, monkeypatch
):
    asked = []
    monkeypatch.setattr(peers, "_get", lambda p, target: asked.append(target) or (200, me_answer(p)))
    form = {"name": "许昌市颐养平台", "region": "411002000000", "base_url": "https://city.example.gov.cn",
            "key_id": "yx_0123456789abcdef", "secret": "cd" * 32, "resources": ["elders"]}  # fmt: skip
    # A county officer watches and pauses the push but cannot point it (full ID numbers) at a server.
    officer = Client()
    officer.force_login(county_officer)
    assert officer.post("/exchange/peers/", form).status_code == 403
    assert "登记上级平台</h2>" not in officer.get("/exchange/peers/").content.decode()
    client = Client()
    client.force_login(platform_admin)
    refused = client.post("/exchange/peers/", {**form, "secret": "short"})
    assert "64 位密钥" in refused.content.decode() and not Peer.objects.exists()
    client.post("/exchange/peers/", form)
    peer = Peer.objects.get()
    assert "cd" * 32 not in peer.secret_encrypted and peers.decrypt(peer.secret_encrypted) == "cd" * 32
    # Saved, then verified at once by a signed GET /me.
    assert asked == [peers.ME_PATH] and peer.verified_at and peer.verified_as == "魏都区颐养平台"
    page = client.get("/exchange/peers/").content.decode()
    assert "许昌市颐养平台" in page and "cd" * 32 not in page and "连接已验证" in page
    assert ExternalRecord.objects.count() == 0


@pytest.mark.parametrize(
    "status, answer, says",
    [
        (401, {"code": "signature", "message": "签名不符"}, "应用编号或密钥有误"),
        (401, {"code": "timestamp", "message": "时间超出范围"}, "时钟"),
        (200, {"write_resources": ["elders"]}, "同步推送"),
        (200, {"region_code": "411003000000"}, "不包含本平台推送的区划 411002000000"),
        (200, {"key_id": "yx_ffffffffffffffff"}, "应用编号与填写的不一致"),
        (200, {"facility_code": "411002-0001"}, "机构"),
        (502, {"message": "Bad Gateway"}, "HTTP 502"),
    ],
)
def test_an_unverified_link_pushes_nothing_and_says_why(platform_admin, county_officer, regions, status, answer, says):
    peer = peers.add_peer(Actor(user=platform_admin), PEER)
    elder_services.register_elder(
        Actor(user=county_officer), {"name": "李秀英", "id_number": make_id_number(), "region_code": "411002001001"}
    )
    posted = []
    result = peers.push_once(
        peer,
        post=lambda p, body: posted.append(body) or (200, {}),
        get=lambda p, t: (status, {**me_answer(p), **answer}),
    )
    peer.refresh_from_db()
    assert says in result.error and says in peer.last_error
    assert posted == [] and peer.verified_at is None and peer.cursor == 0 and peer.next_attempt_at is not None


def test_an_unreachable_upper_platform_is_verified_on_a_later_round(platform_admin, county_officer, regions):
    import requests

    peer = peers.add_peer(Actor(user=platform_admin), PEER)

    def down(p, target):
        raise requests.ConnectionError("refused")

    assert "无法连接上级平台" in peers.verify(peer, get=down)
    elder_services.register_elder(
        Actor(user=county_officer), {"name": "李秀英", "id_number": make_id_number(), "region_code": "411002001001"}
    )
    posted = []

    def accept(p, body):
        import json

        posted.append(json.loads(body))
        return 200, {"applied_through": posted[-1]["through"], "applied": 1}

    result = peers.push_once(peer, post=accept, get=lambda p, t: (200, me_answer(p)))
    peer.refresh_from_db()
    assert not result.error and peer.verified_at and len(posted) == 1 and posted[0]["changes"]


def test_a_new_secret_is_verified_again_and_only_the_administrator_may_set_it(
    peer, platform_admin, county_officer, regions, monkeypatch
):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises((PermissionDenied, Http404)):
        peers.change_peer(Actor(user=county_officer), peer.pk, {**PEER, "secret": "ef" * 32})
    peers.change_peer(Actor(user=platform_admin), peer.pk, {**PEER, "name": "许昌市平台"})
    peer.refresh_from_db()
    assert peer.verified_at, "a new name alone keeps the verification"
    peers.change_peer(Actor(user=platform_admin), peer.pk, {**PEER, "secret": "ef" * 32})
    peer.refresh_from_db()
    assert peer.verified_at is None
    # The officer's 验证连接 asks again at once.
    monkeypatch.setattr(peers, "_get", lambda p, target: (200, me_answer(p)))
    client = Client()
    client.force_login(county_officer)
    client.post(f"/exchange/peers/{peer.pk}/", {"verify": "1"})
    peer.refresh_from_db()
    assert peer.verified_at and "连接已验证" in client.get("/exchange/peers/").content.decode()


def test_the_apps_page_shows_each_linked_platforms_sync_state(county_platform, elder, county_officer):
    app, secret = county_platform
    _push(app, secret, [_change(3, "elders", _elder_row(id_number=elder.id_number))])
    client = Client()
    client.force_login(county_officer)
    page = client.get("/exchange/apps/").content.decode()
    assert "待处理冲突 1" in page and "已应用 0 条" in page


def test_malformed_rows_are_parked_and_the_link_goes_on(county_platform, regions):
    app, secret = county_platform
    bad = [
        _change(2, "elders", _elder_row(pk=1, categories=[1, 2])),
        _change(3, "assessments", {**_assessment_row(pk=2, elder_id=9), "scores": [1, 2]}),
        {"seq": 4, "resource": "residences", "id": "5", "op": "upsert", "data": {"id": 5, "left_on": "nope"}},
        _change(6, "elders", _elder_row(pk=7, region_code="ZZZ")),
    ]
    answer = _push(app, secret, bad)
    assert answer.status_code == 200 and answer.json()["parked"] == 4
    assert _push(app, secret, [_change(8, "elders", _elder_row(pk=8))]).json()["applied"] == 1
    # Every conflict is scoped inside the sending county, whatever region its row claims.
    assert set(SyncConflict.objects.values_list("county_code", flat=True)) == {"411002"}


def test_a_pushed_region_outside_the_sender_cannot_place_its_conflict_elsewhere(county_platform, elder,
                                                                                  neighbour_officer):  # fmt: skip
    app, secret = county_platform
    _push(app, secret, [_change(3, "elders", _elder_row(id_number=elder.id_number, region_code="411003100201"))])
    (conflict,) = SyncConflict.objects.all()
    assert conflict.region_code == app.region_code
    client = Client()
    client.force_login(neighbour_officer)
    assert "duplicate_id_number" not in client.get("/exchange/conflicts/").content.decode()
    assert client.post(f"/exchange/conflicts/{conflict.pk}/dismiss/", {"note": "不是本县的"}).status_code == 404


def test_the_same_person_is_linked_to_the_existing_elder_without_overwriting(county_platform, elder, county_officer):
    app, secret = county_platform
    row = _elder_row(id_number=elder.id_number, name="张华山（县平台）")
    _push(app, secret, [_change(3, "elders", row), _change(4, "assessments", _assessment_row())])
    duplicate, waiting = SyncConflict.objects.order_by("seq")
    client = Client()
    client.force_login(county_officer)
    client.post(f"/exchange/conflicts/{duplicate.pk}/link/")
    duplicate.refresh_from_db()
    elder.refresh_from_db()
    assert duplicate.status == ConflictStatus.RESOLVED and elder.name != row["name"]
    assert ExternalRecord.objects.get(app=app, resource="elders").object_id == str(elder.pk)
    client.post(f"/exchange/conflicts/{waiting.pk}/retry/")  # the assessment waited for its elder: applied now
    assert Assessment.objects.filter(elder=elder).count() == 1


def test_a_confirmation_beyond_what_was_sent_does_not_move_the_cursor(peer, county_officer, regions):
    elder_services.register_elder(Actor(user=county_officer), {"name": "李秀英", "id_number": make_id_number(),
                                                               "region_code": "411002001001"})  # fmt: skip
    result = peers.push_once(peer, post=lambda p, body: (200, {"applied_through": 10**9, "applied": 0}))
    peer.refresh_from_db()
    assert result.error and peer.cursor == 0 and "大于本次推送" in peer.last_error


def test_an_upper_platform_address_must_be_https(platform_admin, regions):
    from yiyang.core.errors import FieldErrors

    data = {"name": "许昌市颐养平台", "region": "411002000000", "base_url": "http://city.example.gov.cn",
            "key_id": "yx_0123456789abcdef", "secret": "ab" * 32, "resources": ["elders"]}  # fmt: skip
    with pytest.raises(FieldErrors) as refused:
        peers.add_peer(Actor(user=platform_admin), data)
    assert "base_url" in refused.value.fields
    assert peers.add_peer(Actor(user=platform_admin), {**data, "base_url": "http://127.0.0.1:8001"}).pk


def test_a_register_loaded_in_bulk_is_queued_again_by_a_full_resend(peer, county_officer, regions):
    Elder.objects.bulk_create([Elder(name="导入的老人", id_number=make_id_number(), sex="F", birth_date=date(1945, 3, 8),
                                     region_code="411002001001", county_code="411002")])  # fmt: skip
    assert peers.next_batch(peer)["changes"] == []  # a bulk load writes no changes
    client = Client()
    client.force_login(county_officer)
    client.post(f"/exchange/peers/{peer.pk}/", {"resend": "1"})
    body = peers.next_batch(peer)
    assert [c["data"]["name"] for c in body["changes"]] == ["导入的老人"]


def test_another_countys_officer_can_neither_verify_nor_see_the_link(peer, neighbour_officer, monkeypatch):
    asked = []
    monkeypatch.setattr(peers, "_get", lambda p, target: asked.append(target) or (200, me_answer(p)))
    client = Client()
    client.force_login(neighbour_officer)
    assert client.post(f"/exchange/peers/{peer.pk}/", {"verify": "1"}).status_code == 404
    assert asked == [] and "许昌市颐养平台" not in client.get("/exchange/peers/").content.decode()
