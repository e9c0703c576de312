"""Error pages: Chinese, in the site's layout, with a way back home; the API keeps its JSON format."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_404_says_not_found_or_out_of_scope_with_a_way_home(county_officer, neighbour_elder):
    for client in (Client(), signed_in(county_officer)):
        response = client.get("/no-such-page/")
        page = response.content.decode()
        assert response.status_code == 404
        assert "页面不存在或不在您的管辖范围内" in page and 'id="back-home" href="/"' in page.replace(
            'href="/" id="back-home"', 'id="back-home" href="/"'
        )
        assert 'class="topbar"' in page  # the site's layout
    # A record of another county answers the same page as one that does not exist.
    response = signed_in(county_officer).get(f"/elders/{neighbour_elder.pk}/")
    assert response.status_code == 404 and "页面不存在或不在您的管辖范围内" in response.content.decode()
    assert "nav-group" in response.content.decode()  # the signed-in user keeps the menu


def test_403_in_chinese(make_user, elder):
    from yiyang.core.roles import Role

    family = make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk)
    response = signed_in(family).get("/accounts/tokens/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "您没有执行该操作的权限" in page and 'class="topbar"' in page and "返回首页" in page


def test_500_in_chinese_and_logged(county_officer, monkeypatch):
    import yiyang.views

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(yiyang.views, "home_for", broken)
    client = signed_in(county_officer)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错了" in page and "返回首页" in page and 'class="topbar"' in page


def test_csrf_failure_page(county_officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_officer)
    response = client.post("/accounts/tokens/", {"name": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期" in page and "返回首页" in page and 'class="topbar"' in page


def test_api_routes_keep_the_json_error_format(county_officer, neighbour_elder, monkeypatch):
    client = signed_in(county_officer)
    for url in ("/api/v1/no-such-endpoint", f"/api/v1/elders/{neighbour_elder.pk}"):
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.json()
        assert set(body) == {"code", "message", "fields"} and body["code"] == "not_found"
    import yiyang.homecare.api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(yiyang.homecare.services, "order_listing", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/homecare/orders")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "服务器出错了，请稍后再试；问题已记录", "fields": {}}
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(county_officer)
    response = csrf.post("/api/v1/homecare/orders", "{}", content_type="application/json")
    assert response.status_code in (401, 403) and set(response.json()) == {"code", "message", "fields"}
