"""Signing test requests the way a linked system does (docs/exchange.md)."""

import json
import secrets
import time

from django.test import Client

from yiyang.core import signing


def headers(app, secret, method, target, body=b"", *, ts=None, nonce=None):
    ts = str(int(time.time()) if ts is None else ts)
    nonce = nonce or secrets.token_hex(8)
    return {
        "X-Yiyang-App": app.key_id,
        "X-Yiyang-Timestamp": ts,
        "X-Yiyang-Nonce": nonce,
        "X-Yiyang-Signature": signing.sign(secret, method, target, ts, nonce, body, hash_body=True),
    }


def signed_get(app, secret, target, **kwargs):
    return Client().get(target, headers=headers(app, secret, "GET", target, **kwargs))


def signed_post(app, secret, target, payload, **kwargs):
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    return Client().post(
        target, body, content_type="application/json", headers=headers(app, secret, "POST", target, body, **kwargs)
    )
