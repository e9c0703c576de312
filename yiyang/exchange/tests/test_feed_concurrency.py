"""PostgreSQL numbers a change when it is inserted but shows it when its transaction commits: a change
committed out of id order must not be skipped by a reader whose cursor passed the later one."""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection, connections, transaction

from yiyang.exchange import feed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="out-of-order commits need PostgreSQL"),
]


def _row(n):
    return SimpleNamespace(pk=n, region_code="411002001001", county_code="411002", facility_id=None)


class Writer(threading.Thread):
    """Writes one change in a transaction and holds it open until released."""

    def __init__(self, n):
        super().__init__()
        self.n, self.written, self.release, self.change = n, threading.Event(), threading.Event(), None

    def run(self):
        try:
            with transaction.atomic():
                self.change = feed.record(feed.RESOURCES["elders"], _row(self.n), "upsert")
                self.written.set()
                self.release.wait(10)
        finally:
            connections.close_all()


def _ids(page):
    return [c["seq"] for c in page.changes]


def test_a_later_change_committed_first_waits_for_the_earlier_one(region_app):
    app, _ = region_app
    start = feed.safe_bound()
    slow = Writer(1)
    slow.start()
    slow.written.wait(5)
    fast = Writer(2)
    fast.start()
    fast.written.wait(5)
    fast.release.set()
    fast.join()
    assert fast.change.id > slow.change.id  # committed, and numbered after the change still open

    # While the earlier change is open, the reader does not pass it: no page shows the later one alone.
    page = feed.read(app.user, start, 100, ["elders"], wait=0.2)
    assert page.settling and page.changes == [] and page.next_cursor == start

    # A reader that waits sees both once the earlier one commits, in id order.
    result = {}

    def read():
        try:
            result["page"] = feed.read(app.user, start, 100, ["elders"], wait=5)
        finally:
            connections.close_all()

    reader = threading.Thread(target=read)
    reader.start()
    slow.release.set()
    slow.join()
    reader.join()
    seen = _ids(result["page"])
    assert seen == [slow.change.id, fast.change.id]
    assert result["page"].next_cursor >= fast.change.id


def test_many_writers_in_parallel_lose_no_change(region_app):
    app, _ = region_app
    start = feed.safe_bound()
    writers = [Writer(n) for n in range(12)]
    for w in writers:
        w.start()
    for w in writers:
        w.written.wait(5)
    cursor, seen = start, []
    # Writers commit in reverse order of their ids while a reader keeps reading.
    for w in sorted(writers, key=lambda w: -w.change.id):
        w.release.set()
        w.join()
        page = feed.read(app.user, cursor, 100, ["elders"], wait=0.05)
        seen += _ids(page)
        cursor = page.next_cursor
    page = feed.read(app.user, cursor, 100, ["elders"], wait=1)
    seen += _ids(page)
    assert seen == sorted(w.change.id for w in writers)
