"""Signed machine requests (DESIGN.md §2a): one HMAC-SHA256 scheme for every caller that is not a user.

The string signed is `METHOD \\n TARGET \\n TIMESTAMP \\n NONCE \\n BODY`, where TARGET is the path the
caller asked for and BODY is either the raw body (device vendors, who signed that way first) or the hex
SHA-256 of the body (the exchange API, so that a client can sign a large or streamed body without
holding it in the signing call). Callers keep their own header names, secrets and nonce tables; this
module holds the arithmetic and the checks, so that a fix to one is a fix to all.

`check` refuses with a `Refusal` naming one reason:
- `missing`: a header is absent;
- `timestamp`: not unix seconds, or outside the window around now;
- `nonce`: not 8 to 64 characters (the replay itself is found by `claim_nonce`);
- `signature`: the HMAC does not match any of the secrets given (a rotated secret keeps its old value
  valid for a grace period, so a caller may pass both).
"""

import hashlib
import hmac
import time
from collections.abc import Iterable

from django.db import IntegrityError, models, transaction

NONCE_MIN, NONCE_MAX = 8, 64


class Refusal(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Replayed(Exception):
    """The nonce was seen before: the request is a replay (or a retry that must get a new nonce)."""


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def message(method: str, target: str, timestamp: str, nonce: str, body: bytes, *, hash_body: bool) -> bytes:
    head = f"{method.upper()}\n{target}\n{timestamp}\n{nonce}\n".encode()
    return head + (body_digest(body).encode() if hash_body else body)


def sign(secret: str, method: str, target: str, timestamp: str, nonce: str, body: bytes, *, hash_body: bool) -> str:
    """The hex HMAC-SHA256 a caller sends."""
    text = message(method, target, timestamp, nonce, body, hash_body=hash_body)
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def check(
    secrets: Iterable[str],
    method: str,
    target: str,
    timestamp: str,
    nonce: str,
    signature: str,
    body: bytes,
    *,
    window_seconds: int,
    hash_body: bool,
    now: float | None = None,
) -> None:
    """Refuse (raise `Refusal`) unless the request is signed by one of `secrets` within the window."""
    now = time.time() if now is None else now
    if not (timestamp and nonce and signature):
        raise Refusal("missing")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > window_seconds:
        raise Refusal("timestamp")
    if not NONCE_MIN <= len(nonce) <= NONCE_MAX:
        raise Refusal("nonce")
    given = signature.strip().lower()
    # Every secret is compared (no early exit) so that the time taken does not tell which one matched.
    matched = False
    for secret in secrets:
        expected = sign(secret, method, target, timestamp, nonce, body, hash_body=hash_body)
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise Refusal("signature")


def claim_nonce(model: type[models.Model], **fields) -> None:
    """Record a nonce in `model` (whose unique constraint covers `fields`); raise `Replayed` if it is there.

    Runs in a savepoint, so that a replay inside the caller's transaction leaves the rest of it usable.
    Nonces older than the window may be pruned: the timestamp check refuses their requests anyway."""
    try:
        with transaction.atomic():
            model._default_manager.create(**fields)
    except IntegrityError:
        raise Replayed from None
