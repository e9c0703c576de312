"""The home page's renovation to-dos: the households waiting for the user's step, each count the count of
the list it links to, only for the organisations registered in that role."""

import pytest
from django.test import Client

from yiyang.core.roles import Role
from yiyang.providers.models import Provider
from yiyang.renovation import services
from yiyang.renovation.models import OrgRole

from .conftest import basic_items

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


def renovation_todos(client) -> dict:
    return {t.key: t for t in client.get("/").context["home"].todos if t.key.startswith("renovation_")}


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_the_county_officer_sees_both_reviews_waiting_and_each_count_is_the_lists(
    approved, officer, family, tekun_elder, make_elder, neighbour_officer
):
    from yiyang.elders import categories

    other = make_elder(
        name="李秀英", categories=categories.to_bits(["tekun"]), address="西大街道花园社区 5 号楼 2 单元 301 室"
    )
    second = services.apply(officer, {"elder_id": other.pk})
    third_elder = make_elder(
        name="赵德明", categories=categories.to_bits(["tekun"]), address="西大街道花园社区 7 号楼 101 室"
    )
    third = services.apply(officer, {"elder_id": third_elder.pk})
    services.take_step(officer, third.pk, "street_approve")
    client = client_for(officer)
    found = renovation_todos(client)
    assert {k: v.count for k, v in found.items()} == {
        "renovation_street_approve": 1, "renovation_county_approve": 1, "renovation_approve_subsidy": 0,
        "renovation_pay": 0, "renovation_close": 0,
    }  # fmt: skip
    for todo in found.values():
        assert listed(client, todo.url) == todo.count, todo.key
    assert second.number in client.get(found["renovation_street_approve"].url).content.decode()
    api = client.get("/api/v1/renovation/applications?waiting=county_approve").json()
    assert api["count"] == found["renovation_county_approve"].count
    theirs = renovation_todos(client_for(neighbour_officer))
    assert theirs["renovation_street_approve"].count == 0 and theirs["renovation_county_approve"].count == 0


def test_each_organisation_sees_its_own_step_and_a_home_care_provider_none(approved, managers, family, make_user):
    found = renovation_todos(client_for(managers[OrgRole.ASSESS]))
    # The design firm is also registered to build (conftest): it sees that step, with nothing waiting.
    assert {k: v.count for k, v in found.items()} == {"renovation_assess": 1, "renovation_start": 0,
                                                      "renovation_complete": 0}  # fmt: skip
    acceptor = renovation_todos(client_for(managers[OrgRole.ACCEPT]))
    assert {k: v.count for k, v in acceptor.items()} == {"renovation_accept": 0}
    plain = Provider.objects.create(name="安康居家服务", region_code="411002001000", county_code="411002",
                                    service_regions=["411002000000"])  # fmt: skip
    manager = make_user(Role.PROVIDER_MANAGER, region_code=plain.region_code, scope_id=plain.pk)
    assert renovation_todos(client_for(manager)) == {}

    # The family sees the confirmation only while a plan waits for it.
    assert renovation_todos(client_for(family)) == {}
    lines = [{"item_id": i.pk, "quantity": 1} for i in basic_items(approved)]
    services.propose_plan(managers[OrgRole.ASSESS], approved.pk, {"lines": lines, "self_pay": None})
    client = client_for(family)
    waiting = renovation_todos(client)["renovation_confirm"]
    assert waiting.count == 1 and listed(client, waiting.url) == 1
