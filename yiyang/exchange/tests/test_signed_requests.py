"""Signed requests: a good signature passes; a wrong one, a stale timestamp, a replayed nonce, a revoked
key, a missing right and too many requests are refused with their codes, and counted on the app."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.core import signing
from yiyang.core.audit import Actor
from yiyang.exchange import services
from yiyang.exchange.models import AppError, AppNonce, ExchangeApp

from .helpers import headers, signed_get

ME = "/api/v1/exchange/me"


def test_a_signed_request_reaches_the_app_and_is_counted(region_app):
    app, secret = region_app
    response = signed_get(app, secret, ME)
    assert response.status_code == 200, response.content
    assert response.json()["key_id"] == app.key_id
    app.refresh_from_db()
    assert app.requests_ok == 1 and app.last_contact_at is not None


def test_a_wrong_signature_is_refused_with_code_signature(region_app):
    app, _ = region_app
    response = signed_get(app, "not-the-secret", ME)
    assert response.status_code == 401
    assert response.json()["code"] == "signature"
    app.refresh_from_db()
    assert app.refused_signature == 1 and app.requests_ok == 0
    assert AppError.objects.filter(app=app, code="signature").exists()


def test_a_tampered_query_breaks_the_signature(region_app):
    app, secret = region_app
    signed = headers(app, secret, "GET", "/api/v1/exchange/feed?cursor=0")
    response = Client().get("/api/v1/exchange/feed?cursor=5", headers=signed)
    assert response.status_code == 401 and response.json()["code"] == "signature"


def test_a_timestamp_outside_the_window_is_refused_with_code_timestamp(region_app):
    app, secret = region_app
    for skew in (-app.window_seconds - 5, app.window_seconds + 5):
        response = signed_get(app, secret, ME, ts=int(time.time()) + skew)
        assert response.status_code == 401
        assert response.json()["code"] == "timestamp"
    app.refresh_from_db()
    assert app.refused_timestamp == 2


def test_a_timestamp_inside_the_window_passes(region_app):
    app, secret = region_app
    assert signed_get(app, secret, ME, ts=int(time.time()) - app.window_seconds + 30).status_code == 200


def test_a_replayed_request_is_refused_with_code_nonce(region_app):
    app, secret = region_app
    same = headers(app, secret, "GET", ME, nonce="once-only-123")
    assert Client().get(ME, headers=same).status_code == 200
    again = Client().get(ME, headers=same)
    assert again.status_code == 401
    assert again.json()["code"] == "nonce"
    assert AppNonce.objects.filter(app=app).count() == 1
    app.refresh_from_db()
    assert app.refused_nonce == 1 and app.requests_ok == 1


def test_a_short_nonce_is_refused(region_app):
    app, secret = region_app
    response = signed_get(app, secret, ME, nonce="short")
    assert response.status_code == 401 and response.json()["code"] == "nonce"


def test_a_request_without_headers_stores_nothing(region_app):
    response = Client().get(ME)
    assert response.status_code == 401 and response.json()["code"] == "signature"
    assert not AppError.objects.exists() and not AppNonce.objects.exists()


def test_an_unknown_key_is_refused(region_app):
    app, secret = region_app
    app.key_id = "yx_0000000000000000"
    response = signed_get(app, secret, ME)
    assert response.status_code == 401 and response.json()["code"] == "signature"


def test_a_right_the_app_does_not_hold_is_refused_with_code_scope(link):
    app, secret = link(read_resources=("elders",), write_resources=())
    response = signed_get(app, secret, "/api/v1/exchange/feed?resources=orders")
    assert response.status_code == 403
    assert response.json()["code"] == "scope"
    app.refresh_from_db()
    assert app.refused_scope == 1


def test_requests_over_the_rate_are_refused(link):
    app, secret = link(rate_per_minute=2)
    assert [signed_get(app, secret, ME).status_code for _ in range(3)] == [200, 200, 429]
    app.refresh_from_db()
    assert app.refused_rate == 1


def test_the_old_secret_works_for_a_day_after_rotation_then_stops(region_app, county_officer):
    app, old = region_app
    app, new = services.rotate_secret(Actor(user=county_officer), app.pk)
    assert new != old
    assert signed_get(app, new, ME).status_code == 200
    assert signed_get(app, old, ME).status_code == 200
    ExchangeApp.objects.filter(pk=app.pk).update(previous_valid_until=timezone.now() - timedelta(seconds=1))
    assert signed_get(app, old, ME).status_code == 401
    assert signed_get(app, new, ME).status_code == 200


def test_a_revoked_app_is_refused_at_once(region_app, county_officer):
    app, secret = region_app
    services.revoke_app(Actor(user=county_officer), app.pk, "合同到期")
    response = signed_get(app, secret, ME)
    assert response.status_code == 401 and response.json()["code"] == "signature"
    app.user.refresh_from_db()
    assert not app.user.is_active and not app.user.memberships.filter(is_active=True).exists()


def test_the_secret_is_not_stored_anywhere_in_the_app_row(region_app):
    app, secret = region_app
    row = ExchangeApp.objects.filter(pk=app.pk).values().get()
    assert all(secret not in str(value) for value in row.values())


def test_the_apps_account_cannot_sign_in(region_app):
    app, _ = region_app
    assert not app.user.has_usable_password()


# --- The one signing mechanism, shared with the device vendors -----------------------------------------


def test_care_vendors_sign_with_the_same_mechanism_over_the_raw_body():
    from yiyang.care.ingest import sign_generic

    body = b'{"event_id": "1"}'
    expected = signing.sign("k", "POST", "/p", "1", "nonce-123", body, hash_body=False)
    assert sign_generic("k", "POST", "/p", "1", "nonce-123", body) == expected
    assert expected != signing.sign("k", "POST", "/p", "1", "nonce-123", body, hash_body=True)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"signature": "0" * 64}, "signature"),
        ({"timestamp": "1000"}, "timestamp"),
        ({"timestamp": "12ab"}, "timestamp"),
        ({"nonce": "x" * 65}, "nonce"),
        ({"signature": ""}, "missing"),
    ],
)
def test_core_check_names_the_reason(change, reason):
    now = 1_800_000_000
    parts = {"timestamp": str(now), "nonce": "abcdefgh12", "signature": ""}
    parts["signature"] = signing.sign("k", "GET", "/x", parts["timestamp"], parts["nonce"], b"", hash_body=True)
    parts.update(change)
    with pytest.raises(signing.Refusal) as refused:
        signing.check(["k"], "GET", "/x", parts["timestamp"], parts["nonce"], parts["signature"], b"",
                      window_seconds=300, hash_body=True, now=now)  # fmt: skip
    assert refused.value.reason == reason


def test_pruning_forgets_old_nonces_and_keeps_recent_ones(region_app):
    from io import StringIO

    from django.core.management import call_command

    app, secret = region_app
    signed_get(app, secret, ME, nonce="recent-nonce-1")
    old = AppNonce.objects.create(app=app, nonce="old-nonce-123")
    AppNonce.objects.filter(pk=old.pk).update(seen_at=timezone.now() - timedelta(days=2))
    call_command("exchange_prune", stdout=StringIO())
    assert list(AppNonce.objects.values_list("nonce", flat=True)) == ["recent-nonce-1"]
