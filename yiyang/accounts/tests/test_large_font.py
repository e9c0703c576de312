"""Large-font mode (大字模式): remembered per user on every device, and per browser before signing in."""

import pytest
from django.test import Client

from yiyang.accounts.models import Preference
from yiyang.core.roles import Role

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_large(response) -> bool:
    return '<html lang="zh-hans" class="large-font">' in response.content.decode()


def test_a_user_turns_it_on_from_the_menu_and_every_page_and_device_follows(county_officer, make_user, regions):
    client = signed_in(county_officer)
    assert not is_large(client.get("/"))
    assert 'id="large-font-toggle"' in client.get("/").content.decode()
    response = client.post("/accounts/large-font/", {"on": "1", "next": "/elders/"})
    assert response.status_code == 302 and response["Location"] == "/elders/"
    assert Preference.objects.get(user=county_officer).large_font
    for url in ("/", "/elders/", "/homecare/orders/", "/map/"):
        assert is_large(client.get(url)), url
    # Another browser of the same user, without the cookie: the setting is the user's.
    assert is_large(signed_in(county_officer).get("/"))
    # Another user is not affected.
    other = make_user(Role.OFFICER, region_code="411002000000")
    assert not is_large(signed_in(other).get("/"))
    client.post("/accounts/large-font/", {"on": "0", "next": "/"})
    assert not Preference.objects.get(user=county_officer).large_font
    assert not is_large(signed_in(county_officer).get("/"))


def test_before_signing_in_a_cookie_keeps_it(regions):
    client = Client()
    assert not is_large(client.get("/accounts/login/"))
    response = client.post("/accounts/large-font/", {"on": "1", "next": "/map/"})
    assert response.cookies["yiyang_large_font"].value == "1"
    assert is_large(client.get("/accounts/login/")) and is_large(client.get("/map/"))
    assert not Preference.objects.exists()


def test_the_toggle_goes_back_only_to_this_site(regions):
    response = Client().post("/accounts/large-font/", {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_toggle_needs_a_post_with_csrf(county_officer):
    assert signed_in(county_officer).get("/accounts/large-font/").status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_officer)
    assert client.post("/accounts/large-font/", {"on": "1"}).status_code == 403
    assert not Preference.objects.filter(user=county_officer, large_font=True).exists()


def test_the_page_may_switch_itself_and_ask_for_no_redirect(county_officer):
    client = signed_in(county_officer)
    response = client.post("/accounts/large-font/", {"on": "1"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204 and response.cookies["yiyang_large_font"].value == "1"
    assert Preference.objects.get(user=county_officer).large_font
