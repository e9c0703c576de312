"""The device simulator posts signed events that a running server stores and turns into alarms."""

import io

import pytest
from django.core.management import call_command

from yiyang.care.models import Alarm, DeviceEvent


@pytest.mark.django_db(transaction=True)
def test_simulated_devices_raise_an_alarm_on_a_running_server(live_server, button, watch):
    out = io.StringIO()
    call_command("simulate_devices", url=live_server.url, count=2, alarm_every=0, heartbeats=2, stdout=out)
    assert "HTTP 201" in out.getvalue() or "HTTP 200" in out.getvalue()
    assert DeviceEvent.objects.filter(kind="heartbeat").exists()
    assert Alarm.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_timers_command_fires_what_fell_due(policies, button):
    from datetime import timedelta

    from django.utils import timezone

    from .helpers import event, post_signed

    post_signed(button.vendor, event())
    Alarm.objects.update(state_since=timezone.now() - timedelta(seconds=120),
                         next_escalation_at=timezone.now() - timedelta(seconds=60))  # fmt: skip
    out = io.StringIO()
    call_command("care_timers", stdout=out)
    assert "已触发 1 个" in out.getvalue() and Alarm.objects.get().escalation_level == 1
