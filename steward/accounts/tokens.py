"""API token format and hashing. A token reads `stw_<prefix>_<secret>`; only sha256(secret) is kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "stw"


def new_token() -> tuple[str, str, str]:
    """Return (full token to show once, lookup prefix, secret hash to store)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}", prefix, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
