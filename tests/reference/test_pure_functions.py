"""Pure functions of the reference middleware: password hashes, cookie names, JSESSIONID, the error envelope."""

from __future__ import annotations

import base64
import hashlib

from oxref import errors, passwords
from oxref.sessions import cookie_hash, jsessionid_for


def test_ssha512_is_what_dovecot_reads():
    stored = passwords.ssha512("secret", salt=b"12345678")
    raw = base64.b64decode(stored.removeprefix("{SSHA512}"))
    assert raw == hashlib.sha512(b"secret12345678").digest() + b"12345678"
    assert passwords.verify("secret", stored)
    assert not passwords.verify("Secret", stored)
    assert not passwords.verify("secret", "{PLAIN}secret")


def test_every_hash_is_salted_anew():
    assert passwords.ssha512("same") != passwords.ssha512("same")


def test_cookie_hash_is_oxs_base64_md5_of_user_agent_and_client():
    expected = base64.b64encode(hashlib.md5(b"Mozilla/5.0" + b"open-xchange-appsuite").digest()).decode()
    assert cookie_hash("open-xchange-appsuite", "Mozilla/5.0") == "".join(c for c in expected if c.isalnum() or c == "_")


def test_cookie_hash_depends_on_client_and_user_agent():
    base = cookie_hash("open-xchange-appsuite", "Mozilla/5.0")
    assert base == cookie_hash("open-xchange-appsuite", "Mozilla/5.0")
    assert base != cookie_hash("open-xchange-appsuite", "curl/8")
    assert base != cookie_hash("com.openexchange.mobile", "Mozilla/5.0")
    assert base.replace("_", "").isalnum() and 16 <= len(base) <= 24


def test_jsessionid_names_this_node_and_keeps_a_matching_one():
    fresh = jsessionid_for("OX2")
    number, route = fresh.split(".")
    assert number.isdigit() and route == "OX2"
    assert jsessionid_for("OX2", "12345.OX2") == "12345.OX2"
    assert jsessionid_for("OX2", "12345.OX1").endswith(".OX2")
    assert jsessionid_for("OX2", "junk.OX2") != "junk.OX2"
    assert jsessionid_for("OX2", "1.OX22").endswith(".OX2")


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
