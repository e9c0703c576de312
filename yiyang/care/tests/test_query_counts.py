"""The console's queue and the alarm lists cost the same number of queries for 3 alarms as for 9."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .helpers import event, post_signed


def _open(button, n, start):
    from yiyang.care.models import Alarm

    for i in range(n):
        post_signed(button.vendor, event(f"q{start + i}"))
        Alarm.objects.update(last_signal_at="2000-01-01T00:00:00Z")  # no merging: one alarm per press


@pytest.mark.parametrize("url", ["/care/console/queue/", "/api/v1/care/alarms?open=true", "/api/v1/care/alarms/live",
                                 "/care/alarms/", "/api/v1/care/devices"])  # fmt: skip
def test_list_queries_do_not_grow_with_the_alarms(button, operator, responder, url):
    client = Client()
    client.force_login(operator)
    _open(button, 3, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _open(button, 6, 3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few) <= 12, [q["sql"][:120] for q in many.captured_queries]
