"""Officers link the systems of their region on Chinese pages: the secret is shown once, the status page
counts contacts and errors, rotation and revocation are audited; outsiders get 404."""

import re

from django.test import Client

from yiyang.core.models import AuditEntry
from yiyang.exchange.keys import secret_for
from yiyang.exchange.models import ExchangeApp

from .helpers import signed_get


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_officer_links_a_facilitys_software_and_sees_the_secret_once(county_officer, facility):
    client = _client(county_officer)
    assert "登记接入系统" in client.get("/exchange/apps/new/").content.decode()
    response = client.post("/exchange/apps/new/", {
        "name": "花园康养中心管理软件", "kind": "facility", "region": "411002000000", "facility_code": facility.code,
        "read_resources": ["residences", "elders"], "write_resources": ["residences"], "rate_per_minute": 60,
        "window_seconds": 300,
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "只显示这一次" in page
    app = ExchangeApp.objects.get()
    secret = re.search(r'id="secret">([0-9a-f]{64})<', page).group(1)
    assert secret == secret_for(app.key_id, app.secret_salt)
    assert app.facility == facility and app.region_code == facility.region_code
    assert app.user.memberships.get().scope_id == facility.pk
    assert AuditEntry.objects.filter(object_type="exchange.exchangeapp", object_id=str(app.pk)).exists()
    # The status page never shows the secret again.
    status = client.get(f"/exchange/apps/{app.pk}/").content.decode()
    assert secret not in status and app.key_id in status


def test_a_neighbour_officer_cannot_link_an_app_in_the_home_county(neighbour_officer):
    response = _client(neighbour_officer).post(
        "/exchange/apps/new/",
        {
            "name": "越界",
            "kind": "platform",
            "region": "411002000000",
            "rate_per_minute": 60,
            "window_seconds": 300,
        },  # fmt: skip
    )
    assert response.status_code == 404
    assert not ExchangeApp.objects.exists()


def test_the_status_page_shows_contacts_and_refusals(county_officer, region_app):
    app, secret = region_app
    signed_get(app, secret, "/api/v1/exchange/me")
    signed_get(app, "wrong", "/api/v1/exchange/me")
    page = _client(county_officer).get(f"/exchange/apps/{app.pk}/").content.decode()
    assert "签名错误" in page and "<code>signature</code>" in page
    app.refresh_from_db()
    assert app.requests_ok == 1 and app.refused_signature == 1


def test_outsiders_get_404_for_the_status_page(region_app, neighbour_officer, other_facility_manager):
    app, _ = region_app
    for user in (neighbour_officer, other_facility_manager):
        assert _client(user).get(f"/exchange/apps/{app.pk}/").status_code == 404
        assert _client(user).post(f"/exchange/apps/{app.pk}/revoke/", {"reason": "x"}).status_code == 404
    assert ExchangeApp.objects.get(pk=app.pk).revoked_at is None


def test_rotation_shows_a_new_secret_and_revocation_needs_a_reason(county_officer, region_app):
    app, old = region_app
    client = _client(county_officer)
    page = client.post(f"/exchange/apps/{app.pk}/rotate/").content.decode()
    new = re.search(r'id="secret">([0-9a-f]{64})<', page).group(1)
    assert new != old and "24 小时" in page
    client.post(f"/exchange/apps/{app.pk}/revoke/", {"reason": ""})
    assert ExchangeApp.objects.get(pk=app.pk).revoked_at is None
    client.post(f"/exchange/apps/{app.pk}/revoke/", {"reason": "系统下线"})
    assert ExchangeApp.objects.get(pk=app.pk).revoked_reason == "系统下线"


def test_the_list_shows_only_the_officers_region(county_officer, neighbour_officer, region_app):
    app, _ = region_app
    assert app.name in _client(county_officer).get("/exchange/apps/").content.decode()
    assert app.name not in _client(neighbour_officer).get("/exchange/apps/").content.decode()


def test_the_list_page_costs_the_same_queries_for_one_app_and_many(county_officer, link, facility):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(county_officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/exchange/apps/").status_code == 200
        return len(captured)

    queries()  # a signed-in user's first page reads the display preferences once
    link(name="一号")
    one = queries()
    for n in range(6):
        link(name=f"机构软件{n}", kind="facility", facility_code=facility.code)
    assert queries() == one
