"""Pure functions of the reference middleware: password hashes, cookie names, the error envelope."""

from __future__ import annotations

import base64
import hashlib

from oxref import errors, passwords
from oxref.sessions import cookie_hash


def test_ssha512_is_what_dovecot_reads():
    stored = passwords.ssha512("secret", salt=b"12345678")
    raw = base64.b64decode(stored.removeprefix("{SSHA512}"))
    assert raw == hashlib.sha512(b"secret12345678").digest() + b"12345678"
    assert passwords.verify("secret", stored)
    assert not passwords.verify("Secret", stored)
    assert not passwords.verify("secret", "{PLAIN}secret")


def test_every_hash_is_salted_anew():
    assert passwords.ssha512("same") != passwords.ssha512("same")


def test_cookie_hash_depends_on_client_and_user_agent():
    base = cookie_hash("open-xchange-appsuite", "Mozilla/5.0")
    assert base == cookie_hash("open-xchange-appsuite", "Mozilla/5.0")
    assert base != cookie_hash("open-xchange-appsuite", "curl/8")
    assert base != cookie_hash("com.openexchange.mobile", "Mozilla/5.0")
    assert len(base) == 32 and int(base, 16) >= 0


def test_error_envelope_has_the_ox_fields():
    envelope = errors.session_expired("abc").envelope()
    assert set(envelope) == {"error", "error_params", "error_id", "error_desc", "code", "categories", "category"}
    assert envelope["code"] == "SES-0203" and envelope["category"] == 4 and envelope["categories"] == "TRY_AGAIN"
    assert envelope["error_params"] == ["abc"] and "abc" in envelope["error"]


def test_backend_failures_carry_the_categories_clients_retry_on():
    assert errors.database_down("x").category == errors.SERVICE_DOWN
    assert errors.imap_down("x").category == errors.CONNECTIVITY
    assert errors.filestore_down("x").category == errors.SERVICE_DOWN
    assert errors.database_busy().category == errors.TRY_AGAIN
    assert errors.invalid_credentials().category == errors.USER_INPUT
