"""Keys and secrets of linked apps (decision 0020).

HMAC verification needs the secret itself on the platform's side, so a one-way hash cannot be stored.
Instead the secret is never stored at all: it is derived as HMAC-SHA256(exchange key, key id + salt),
where the exchange key is a setting (EXCHANGE_SIGNING_KEY, else SECRET_KEY) that is not in the database.
A copy of the database alone gives no secret; rotating means a new salt; the secret is shown once.
"""

import hashlib
import hmac
import secrets

from django.conf import settings

KEY_PREFIX = "yx"


def master_key() -> bytes:
    """The platform's exchange key (not in the database): derives the apps' secrets and the peers' cipher."""
    return (getattr(settings, "EXCHANGE_SIGNING_KEY", "") or settings.SECRET_KEY).encode()


def new_key_id() -> str:
    return f"{KEY_PREFIX}_{secrets.token_hex(8)}"


def new_salt() -> str:
    return secrets.token_hex(16)


def secret_for(key_id: str, salt: str) -> str:
    """The app's signing secret (64 hex characters), recomputed on every request, never stored."""
    return hmac.new(master_key(), f"exchange-secret\n{key_id}\n{salt}".encode(), hashlib.sha256).hexdigest()
