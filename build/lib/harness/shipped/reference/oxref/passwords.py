"""Password hashes: SSHA512 as Dovecot reads them, and the check at login."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "{SSHA512}"


def ssha512(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(8)
    digest = hashlib.sha512(password.encode() + salt).digest()
    return SCHEME + base64.b64encode(digest + salt).decode()


def verify(password: str, stored: str) -> bool:
    if not stored.startswith(SCHEME):
        return False
    raw = base64.b64decode(stored[len(SCHEME):])
    digest, salt = raw[:64], raw[64:]
    return hmac.compare_digest(hashlib.sha512(password.encode() + salt).digest(), digest)
