"""Login protection, API tokens under the same scoping, the auditor's page, security headers."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from yiyang.accounts import services
from yiyang.core.audit import Actor
from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_account_locks_after_five_failed_logins_even_with_the_right_password(county_officer):
    client = Client()
    for _ in range(4):
        assert login(client, "weidu-officer", "wrong-Password-1").status_code == 200
    assert login(client, "weidu-officer", "wrong-Password-1").status_code == 429
    response = login(client, "weidu-officer", "Pass-word-123")
    assert response.status_code == 429 and "锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action="login_failed", object_repr="weidu-officer").count() >= 5


def test_successful_login_is_audited_with_address(county_officer):
    response = Client(REMOTE_ADDR="10.9.8.7").post(
        "/accounts/login/", {"username": "weidu-officer", "password": "Pass-word-123"}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="login").ip == "10.9.8.7"


@pytest.mark.parametrize("password", ["short1A!", "abcdefghijkl", "1234567890123", "password123456"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_session_expires_after_idle_timeout(settings):
    assert settings.SESSION_COOKIE_AGE == 1800 and settings.SESSION_SAVE_EVERY_REQUEST


def test_pages_send_security_headers(county_officer):
    response = Client().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_bearer_token_reads_only_the_users_scope_and_stops_working_when_revoked(county_officer, elder, neighbour_elder):
    token, key = services.create_token(Actor(user=county_officer), "市平台对接")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/api/v1/elders/{elder.pk}").status_code == 200
    assert client.get(f"/api/v1/elders/{neighbour_elder.pk}").status_code == 404
    assert [e["name"] for e in client.get("/api/v1/elders/").json()["items"]] == ["张华山"]
    services.revoke_token(Actor(user=county_officer), token.pk)
    assert client.get(f"/api/v1/elders/{elder.pk}").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer yy_nope_nope").get("/api/v1/elders/").status_code == 401


def test_token_page_shows_the_key_once_and_user_cannot_revoke_anothers_token(county_officer, neighbour_officer):
    client = Client()
    client.force_login(county_officer)
    page = client.post("/accounts/tokens/", {"name": "对接"}).content.decode()
    assert "yy_" in page
    token = county_officer.api_tokens.get()
    assert "yy_" not in client.get("/accounts/tokens/").content.decode()
    other = Client()
    other.force_login(neighbour_officer)
    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_api_without_credentials_is_refused_in_the_error_format():
    response = Client().get("/api/v1/elders/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_auditor_sees_entries_of_own_region_only(regions, make_user, elder, neighbour_elder):
    auditor = make_user(Role.AUDITOR, region_code="411002000000")
    client = Client()
    client.force_login(auditor)
    page = client.get("/accounts/audit/?action=create").content.decode()
    assert "张华山" in page and "李秀英" not in page


def test_officer_cannot_open_audit_log(county_officer):
    client = Client()
    client.force_login(county_officer)
    assert client.get("/accounts/audit/").status_code == 403


def test_integrations_write_with_a_token_while_sessions_still_need_csrf(county_officer):
    import json as _json

    _, key = services.create_token(Actor(user=county_officer), "对接")
    body = _json.dumps({"population_total": 1000})
    with_token = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert (
        with_token.patch("/api/v1/regions/411002000000/population", body, content_type="application/json").status_code
        == 200
    )
    session = Client(enforce_csrf_checks=True)
    session.force_login(county_officer)
    response = session.patch("/api/v1/regions/411002000000/population", body, content_type="application/json")
    assert response.status_code == 403
