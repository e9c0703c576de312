"""The alarm workflow, dispatch, escalation timers with a controllable clock, and notifications."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.care import services
from yiyang.care.models import Alarm, AlarmStep, Notification
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict

from .helpers import event, post_signed


@pytest.fixture
def alarm(button):
    post_signed(button.vendor, event())
    return Alarm.objects.get()


def test_of_two_operators_acknowledging_one_wins_and_the_other_gets_a_conflict(alarm, operator, other_operator):
    first = Client()
    first.force_login(operator)
    second = Client()
    second.force_login(other_operator)
    url = f"/api/v1/care/alarms/{alarm.pk}/steps/acknowledge"
    assert first.post(url, {"version": alarm.version}, content_type="application/json").status_code == 200
    refused = second.post(url, {"version": alarm.version}, content_type="application/json")
    assert refused.status_code == 409
    alarm.refresh_from_db()
    assert alarm.state == "acknowledged" and alarm.acknowledged_by == "weidu-operator"
    assert alarm.steps.filter(action="acknowledge").count() == 1


def test_the_whole_chain_writes_an_immutable_timeline(alarm, operator, responder, responder_user):
    op, rs = Actor(user=operator), Actor(user=responder_user)
    services.acknowledge(op, alarm.pk)
    services.move(op, alarm.pk, "verify")
    services.log_call(op, alarm.pk, "老人本人", "no_answer")
    services.log_call(op, alarm.pk, "张小华（子女）", "no_answer", "家属也未接")
    a = services.dispatch(op, alarm.pk)
    assert a.responder == responder and a.distance_m is not None and a.distance_m < 500
    a = services.accept(rs, alarm.pk, a.version)
    a = services.arrive(rs, alarm.pk, 34.0301, 113.8501)
    assert a.state == "on_scene" and a.arrival_distance_m < 50
    services.resolve(rs, alarm.pk, "real", "老人摔倒，已扶起，送医")
    a = services.move(op, alarm.pk, "close")
    assert a.state == "closed" and a.outcome == "real"
    actions = list(a.steps.values_list("action", flat=True))
    assert actions == ["open", "acknowledge", "verify", "call", "call", "dispatch", "notify", "accept", "arrive",
                       "resolve", "close"]  # fmt: skip
    step = a.steps.first()
    with pytest.raises(PermissionError):
        step.save()
    with pytest.raises(PermissionError):
        step.delete()


def test_a_declined_offer_goes_back_to_verifying_and_the_next_dispatch_skips_the_decliner(
    alarm, operator, responder, far_responder, responder_user
):
    op = Actor(user=operator)
    services.acknowledge(op, alarm.pk)
    a = services.dispatch(op, alarm.pk)
    services.decline(Actor(user=responder_user), alarm.pk, "正在另一处", a.version)
    a = services.dispatch(op, alarm.pk)
    assert a.responder == far_responder


def test_illegal_steps_are_refused(alarm, operator):
    with pytest.raises(Conflict):
        services.move(Actor(user=operator), alarm.pk, "close")


def test_an_operator_of_another_county_gets_404(alarm, neighbour_operator):
    client = Client()
    client.force_login(neighbour_operator)
    url = f"/api/v1/care/alarms/{alarm.pk}/steps/acknowledge"
    assert client.post(url, {}, content_type="application/json").status_code == 404
    assert client.get(f"/api/v1/care/alarms/{alarm.pk}").status_code == 404
    alarm.refresh_from_db()
    assert alarm.state == "new"


def test_each_escalation_step_fires_at_its_time_and_once_only_after_a_restart(policies, button):
    start = timezone.now()
    post_signed(button.vendor, event(occurred_at=start))
    alarm = Alarm.objects.get()
    assert alarm.next_escalation_at == alarm.state_since + timedelta(seconds=60)
    opened = alarm.state_since
    assert services.fire_due(opened + timedelta(seconds=59)) == 0
    assert services.fire_due(opened + timedelta(seconds=60)) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == 1 and alarm.next_escalation_at == opened + timedelta(seconds=180)
    # A restart: the same due time is looked at again, nothing fires twice.
    Alarm.objects.filter(pk=alarm.pk).update(next_escalation_at=opened)
    assert services.fire_due(opened + timedelta(seconds=61)) == 0
    assert services.fire_due(opened + timedelta(seconds=200)) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == 2 and alarm.next_escalation_at is None
    assert AlarmStep.objects.filter(alarm=alarm, action="escalate").count() == 2
    assert services.fire_due(opened + timedelta(days=1)) == 0


def test_acknowledging_stops_the_new_alarm_timers(policies, alarm, operator):
    services.acknowledge(Actor(user=operator), alarm.pk)
    alarm.refresh_from_db()
    assert alarm.next_escalation_at is None
    assert services.fire_due(timezone.now() + timedelta(hours=1)) == 0


def test_no_arrival_within_the_limit_calls_120(policies, alarm, operator, responder):
    op = Actor(user=operator)
    services.acknowledge(op, alarm.pk)
    a = services.dispatch(op, alarm.pk)
    assert services.fire_due(a.state_since + timedelta(seconds=1200)) == 1
    a.refresh_from_db()
    assert a.emergency_numbers == ["120"]


def test_a_failing_notifier_never_blocks_the_alarm(settings, alarm, operator, django_capture_on_commit_callbacks):
    settings.CARE_NOTIFIER = {"BACKEND": "yiyang.care.notify.HttpSmsBackend", "URL": "http://127.0.0.1:9/none",
                              "TIMEOUT": 0.5}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify_family(Actor(user=operator), alarm.pk) == 1
    note = Notification.objects.get()
    assert note.status == "failed" and note.error
    assert alarm.steps.filter(action="notify").exists()


def test_the_logging_notifier_records_every_attempt_as_sent(alarm, operator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_family(Actor(user=operator), alarm.pk)
    assert list(Notification.objects.values_list("status", "recipient")) == [("sent", "张小华（子女）")]


def test_a_hotline_call_finds_the_elder_by_a_contact_phone_and_opens_an_acknowledged_alarm(home_elder, operator):
    client = Client()
    client.force_login(operator)
    response = client.post("/api/v1/care/calls", {"caller": "139 1111 2222"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["elders"] == [{"id": home_elder.pk, "name": "张华山"}]
    body = {"elder_id": home_elder.pk, "kind": "hotline", "summary": "女儿来电：联系不上老人",
            "caller_number": "13911112222", "call_id": response.json()["id"]}  # fmt: skip
    opened = client.post("/api/v1/care/alarms", body, content_type="application/json")
    assert opened.status_code == 201 and opened.json()["state"] == "acknowledged"
    assert opened.json()["caller_number"] == "139****2222" and opened.json()["source"] == "hotline"


def test_a_hotline_call_outside_the_scope_finds_nobody(home_elder, neighbour_operator):
    client = Client()
    client.force_login(neighbour_operator)
    response = client.post("/api/v1/care/calls", {"caller": "13800001111"}, content_type="application/json")
    assert response.json()["elders"] == []
    body = {"elder_id": home_elder.pk, "kind": "hotline"}
    refused = client.post("/api/v1/care/alarms", body, content_type="application/json")
    assert refused.status_code == 422 and "elder" in refused.json()["fields"] and not Alarm.objects.exists()


def test_the_live_queue_answers_unchanged_for_the_same_cursor(alarm, operator):
    client = Client()
    client.force_login(operator)
    first = client.get("/api/v1/care/alarms/live").json()
    assert [a["id"] for a in first["items"]] == [alarm.pk]
    assert client.get(f"/api/v1/care/alarms/live?since={first['cursor']}").json()["changed"] is False
    services.add_note(Actor(user=operator), alarm.pk, "已回拨")
    assert client.get(f"/api/v1/care/alarms/live?since={first['cursor']}").json()["changed"] is True


def test_an_alarm_a_visit_found_waits_new_with_its_timers_for_the_hotline(policies, home_elder, county_officer):
    alarm = services.open_manual(Actor(user=county_officer), home_elder.pk, "fall", summary="跌倒在地",
                                 source="visit")  # fmt: skip
    # Nobody at the hotline is on the line yet: the new-alarm escalation runs until an operator takes it.
    assert alarm.source == "visit" and alarm.state == "new" and alarm.acknowledged_at is None
    assert alarm.next_escalation_at == alarm.opened_at + timedelta(seconds=60)
    assert list(alarm.steps.values_list("action", "note")) == [("open", "探访发现：跌倒在地")]


def test_an_alarm_source_is_only_a_visit_or_the_operators_own(home_elder, county_officer):
    from yiyang.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as refused:
        services.open_manual(Actor(user=county_officer), home_elder.pk, "fall", source="device")
    assert "source" in refused.value.fields and not Alarm.objects.exists()
