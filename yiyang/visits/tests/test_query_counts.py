"""Query-count guards: the list pages and the visitor's download ask the same number of queries for N
rows as for 3N (nothing per row)."""

import json
import uuid
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_id_number
from yiyang.visits import services

from .conftest import born

PAGES = [
    ("county_officer", "/visits/?region=411002000000"),
    ("county_officer", "/visits/rate/?region=411002000000"),
    ("county_officer", "/visits/visitors/?region=411002000000"),
    ("county_officer", "/visits/findings/?region=411002000000"),
    ("county_officer", "/visits/campaigns/?region=411002000000"),
    ("grid_worker", "/api/v1/visits/assignments"),
]


def _grow(officer_actor, make_elder, worker, count):
    for n in range(count):
        make_elder(name=f"对象{n}", id_number=make_id_number(birth=born(81, date.today())), living_situation="alone")
    services.enrol_from_registry(officer_actor, "411002000000")
    from yiyang.visits.models import VisitTarget

    items = [{"id": str(uuid.uuid4()), "target_id": t.pk, "method": "home", "visited_at": timezone.now().isoformat(),
              "needs": ["daily_care"], "risk_after": "medium"} for t in VisitTarget.objects.filter(visits=None)]  # fmt: skip
    client = Client()
    client.force_login(worker)
    assert (
        client.post("/api/v1/visits/sync", json.dumps({"items": items}), content_type="application/json").status_code
        == 200
    )


def _count(user, url):
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who, url", PAGES)
def test_queries_do_not_grow_with_the_rows(request, officer_actor, make_elder, visitor, grid_worker, who, url):
    user = request.getfixturevalue(who)
    _grow(officer_actor, make_elder, grid_worker, 3)
    first = _count(user, url)
    _grow(officer_actor, make_elder, grid_worker, 6)
    assert _count(user, url) == first, url
    assert first <= 20, first
