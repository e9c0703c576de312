"""Vendor webhooks: signatures, duplicates, late events, unknown devices, merged presses."""

import time
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from yiyang.care.models import Alarm, Device, DeviceEvent, Vendor, VendorNonce

from .helpers import event, post_signed, post_watch


def test_an_sos_press_opens_one_alarm_and_a_duplicate_delivery_changes_nothing(button):
    body = event()
    first = post_signed(button.vendor, body)
    assert first.status_code == 201, first.content
    again = post_signed(button.vendor, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert DeviceEvent.objects.count() == 1 and Alarm.objects.count() == 1
    alarm = Alarm.objects.get()
    assert alarm.state == "new" and alarm.elder_id == button.elder_id and alarm.region_code == "411002001001"
    assert first.json()["alarm_id"] == alarm.pk


def test_the_same_event_id_with_another_body_is_a_conflict(button):
    body = event()
    post_signed(button.vendor, body)
    response = post_signed(button.vendor, {**body, "type": "fall"})
    assert response.status_code == 409 and DeviceEvent.objects.count() == 1


def test_repeated_presses_within_the_window_merge_into_the_open_alarm(button):
    for n in range(3):
        assert post_signed(button.vendor, event(f"press-{n}")).status_code == 201
    alarm = Alarm.objects.get()
    assert alarm.presses == 3 and DeviceEvent.objects.filter(alarm=alarm).count() == 3
    assert alarm.steps.filter(action="repeat").count() == 2


def test_a_press_after_the_window_opens_a_new_alarm(button):
    post_signed(button.vendor, event("a"))
    Alarm.objects.update(last_signal_at=timezone.now() - timedelta(hours=1))
    post_signed(button.vendor, event("b"))
    assert Alarm.objects.count() == 2


def test_heartbeats_and_test_signals_update_the_device_and_never_open_alarms(button):
    assert post_signed(button.vendor, event("hb", kind="heartbeat", battery=15)).status_code == 201
    assert post_signed(button.vendor, event("rp", kind="test")).status_code == 201
    button.refresh_from_db()
    assert button.last_heartbeat_at is not None and button.battery == 15 and button.battery_low
    assert not Alarm.objects.exists()


def test_a_late_event_is_recorded_and_flagged_and_opens_no_alarm(button):
    hours_ago = timezone.now() - timedelta(hours=3)
    response = post_signed(button.vendor, event("old", occurred_at=hours_ago))
    assert response.status_code == 201 and response.json()["late"] is True
    assert DeviceEvent.objects.get().late and not Alarm.objects.exists()


def test_an_out_of_order_event_is_flagged_and_does_not_move_the_device_back(button):
    post_signed(button.vendor, event("now", kind="heartbeat"))
    button.refresh_from_db()
    seen = button.last_event_at
    post_signed(button.vendor, event("before", kind="sos", occurred_at=seen - timedelta(minutes=20)))
    button.refresh_from_db()
    assert button.last_event_at == seen and DeviceEvent.objects.get(vendor_event_id="before").late
    assert not Alarm.objects.exists()


def test_a_late_alarm_event_joins_the_open_alarm_only_as_a_note(button):
    post_signed(button.vendor, event("fresh"))
    post_signed(button.vendor, event("old", kind="fall", occurred_at=timezone.now() - timedelta(hours=2)))
    alarm = Alarm.objects.get()
    assert alarm.presses == 1 and alarm.steps.filter(action="late").count() == 1


def test_an_unknown_device_is_queued_for_binding(vendor):
    response = post_signed(vendor, event(device_id="NEW-9"))
    assert response.status_code == 202 and response.json()["status"] == "unbound"
    queued = DeviceEvent.objects.get()
    assert queued.binding == "waiting" and queued.device is None and queued.region_code == "411002000000"
    assert not Alarm.objects.exists()


def _refusals(vendor):
    vendor.refresh_from_db()
    return vendor.refused_signature, vendor.refused_stale, vendor.refused_replay


def test_a_bad_signature_is_refused_with_its_reason_stores_nothing_and_is_counted(button):
    response = post_signed(button.vendor, event(), secret="wrong")
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    assert not DeviceEvent.objects.exists() and not VendorNonce.objects.exists()
    assert _refusals(button.vendor) == (1, 0, 0)


def test_a_stale_timestamp_is_refused(button):
    response = post_signed(button.vendor, event(), timestamp=int(time.time()) - 3600)
    assert response.status_code == 401 and response.json()["code"] == "stale_timestamp"
    assert not DeviceEvent.objects.exists() and _refusals(button.vendor) == (0, 1, 0)


def test_a_replayed_nonce_is_refused(button):
    assert post_signed(button.vendor, event("a"), nonce="nonce-123456").status_code == 201
    response = post_signed(button.vendor, event("b"), nonce="nonce-123456")
    assert response.status_code == 401 and response.json()["code"] == "replayed_nonce"
    assert DeviceEvent.objects.count() == 1 and _refusals(button.vendor) == (0, 0, 1)


def test_a_request_without_signature_headers_is_refused(button):
    response = Client().post(f"/api/v1/care/vendors/{button.vendor.code}/events", event(),
                             content_type="application/json")  # fmt: skip
    assert response.status_code == 401 and response.json()["code"] == "missing_signature"


def test_a_malformed_payload_is_refused_naming_the_field_and_stores_nothing(button):
    response = post_signed(button.vendor, {"event_id": "x", "device_id": "BTN-1", "type": "boom"})
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert "type" in fields and "occurred_at" in fields
    assert not DeviceEvent.objects.exists() and not VendorNonce.objects.exists()


def test_an_unknown_vendor_answers_404(regions):
    assert Client().post("/api/v1/care/vendors/nobody/events", {}, content_type="application/json").status_code == 404


def test_a_batch_is_stored_whole_or_not_at_all(button):
    path = f"/api/v1/care/vendors/{button.vendor.code}/events/batch"
    bad = {"events": [event("1", kind="heartbeat"), {"event_id": "2", "device_id": "BTN-1", "type": "heartbeat"}]}
    response = post_signed(button.vendor, bad, path=path)
    assert response.status_code == 422 and "events.1.occurred_at" in response.json()["fields"]
    assert not DeviceEvent.objects.exists()
    good = {"events": [event(str(n), kind="heartbeat") for n in range(50)] + [event("u", device_id="X")]}
    response = post_signed(button.vendor, good, path=path)
    assert response.status_code == 200 and response.json() == {"stored": 50, "duplicates": 0, "unbound": 1,
                                                                "alarms": []}  # fmt: skip


def test_the_watch_cloud_shape_opens_an_alarm_on_al_and_updates_the_device_on_lk(watch):
    now = int(time.time())
    response = post_watch(watch.vendor, {"deviceId": watch.external_id, "uid": 1, "flag": "LK",
                                         "data": {"time": now, "battery": 64}})  # fmt: skip
    assert response.status_code == 200, response.content
    watch.refresh_from_db()
    assert watch.battery == 64 and not Alarm.objects.exists()
    response = post_watch(watch.vendor, {"deviceId": watch.external_id, "flag": "AL", "data": {"time": now}})
    assert response.json()["alarms"] == [Alarm.objects.get().pk]


def test_watch_positions_backfilled_after_a_blind_spot_are_late(watch):
    old = int(time.time()) - 7200
    body = {"deviceId": watch.external_id, "flag": "UD2", "data": [{"time": old, "lat": 34.0, "lng": 113.8}]}
    assert post_watch(watch.vendor, body).status_code == 200
    assert DeviceEvent.objects.get().late


def test_a_watch_signature_outside_its_ten_second_window_is_refused(watch):
    body = {"deviceId": watch.external_id, "flag": "LK", "data": {"time": int(time.time())}}
    response = post_watch(watch.vendor, body, unix=time.time() - 120)
    assert response.status_code == 401 and response.json()["code"] == "stale_timestamp"
    assert not DeviceEvent.objects.exists()


def test_the_watch_cloud_ping_answers_pong(watch_vendor):
    response = Client().get(f"/api/v1/care/vendors/{watch_vendor.code}/ping")
    assert response.status_code == 200 and response.content == b"pong"


def test_smoke_skips_the_call_back_records_119_and_dispatches_the_nearest_responder(smoke, responder, far_responder):
    post_signed(smoke.vendor, event("smk", device_id="SMK-1", kind="smoke"))
    alarm = Alarm.objects.get()
    assert alarm.state == "dispatched" and alarm.responder == responder and alarm.emergency_numbers == ["119"]
    assert alarm.steps.filter(action="emergency", called="119").exists()
    assert alarm.notifications.filter(recipient="王响应").exists()


def test_vendors_are_not_shown_their_secret(vendor):
    assert Vendor.objects.get().secret == "s3cret-key"
    assert Device.objects.count() == 0


def test_an_operator_binds_a_queued_device_and_its_events_follow_without_opening_alarms(vendor, home_elder, operator):
    post_signed(vendor, event("u1", device_id="NEW-9"))
    queued = DeviceEvent.objects.get()
    client = Client()
    client.force_login(operator)
    url = f"/api/v1/care/events/{queued.pk}/bind"
    bad = client.post(url, {"elder_id": home_elder.pk, "kind": "toaster"}, content_type="application/json")
    assert bad.status_code == 422 and "kind" in bad.json()["fields"] and not Device.objects.exists()
    done = client.post(url, {"elder_id": home_elder.pk, "kind": "sos_button", "installed_where": "客厅"},
                       content_type="application/json")  # fmt: skip
    assert done.status_code == 201
    queued.refresh_from_db()
    assert queued.binding == "resolved" and queued.device.elder == home_elder and not Alarm.objects.exists()
    assert post_signed(vendor, event("u2", device_id="NEW-9")).status_code == 201 and Alarm.objects.count() == 1


def test_an_operator_of_another_county_cannot_bind(vendor, home_elder, neighbour_operator):
    post_signed(vendor, event("u1", device_id="NEW-9"))
    client = Client()
    client.force_login(neighbour_operator)
    url = f"/api/v1/care/events/{DeviceEvent.objects.get().pk}/bind"
    assert client.post(url, {"elder_id": home_elder.pk, "kind": "sos_button"},
                       content_type="application/json").status_code == 404  # fmt: skip
    assert not Device.objects.exists()


def test_overdue_heartbeats_and_low_batteries_open_maintenance_tickets_never_alarms(button):
    from yiyang.care import services
    from yiyang.care.models import MaintenanceTicket

    Device.objects.filter(pk=button.pk).update(last_heartbeat_at=timezone.now() - timedelta(hours=5), battery=5)
    assert services.sweep_devices() == {"offline": 1, "battery": 1, "inactivity": 0, "false_alarms": 0}
    assert services.sweep_devices() == {"offline": 0, "battery": 0, "inactivity": 0, "false_alarms": 0}
    button.refresh_from_db()
    assert button.status == "offline" and MaintenanceTicket.objects.count() == 2 and not Alarm.objects.exists()


def test_a_device_with_many_false_alarms_gets_a_ticket_and_a_mark_on_the_card(button, operator):
    from yiyang.care import services
    from yiyang.care.models import MaintenanceTicket

    def ended_false(days_ago):
        at = timezone.now() - timedelta(days=days_ago)
        Alarm.objects.create(elder=button.elder, device=button, region_code=button.region_code, county_code="411002",
                             kind="sos", source="device", state="false_alarm", outcome="false_alarm", closed_at=at)  # fmt: skip

    ended_false(1)
    ended_false(2)
    ended_false(40)  # outside the 30-day window
    assert services.sweep_devices()["false_alarms"] == 0
    ended_false(3)
    assert services.sweep_devices()["false_alarms"] == 1
    assert services.sweep_devices()["false_alarms"] == 0  # one ticket a day
    assert MaintenanceTicket.objects.get().reason == "false_alarms"

    post_signed(button.vendor, event("fresh"))
    alarm = Alarm.objects.get(state="new")
    client = Client()
    client.force_login(operator)
    card = client.get(f"/care/alarms/{alarm.pk}/").content.decode()
    assert "近 30 天误报 3 次，建议检修" in card
