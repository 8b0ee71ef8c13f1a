"""Login, sessions and their enforcement, and shared sessions across the groupware pool."""

from __future__ import annotations

import pytest

from harness.clients.ox_errors import Category, OXError



@pytest.mark.requirement("SES-ENFORCE")
def test_login_answers_the_user_and_context(login, test_context):
    """Login returns the session, user id and context id."""
    client, session = login("alice")
    assert session.user_id == test_context.users["alice"].user_id
    assert session.context_id == test_context.cid
    assert any(c.name.startswith("open-xchange-secret-") for c in client.http.cookies.jar)


@pytest.mark.requirement("SES-ENFORCE")
def test_wrong_password_is_refused(ox, test_context):
    """A wrong password gets LGI-0006 (USER_INPUT)."""
    with pytest.raises(OXError) as raised:
        ox().login(test_context.users["alice"].login, "not-the-password")
    assert raised.value.code == "LGI-0006" and raised.value.category == Category.USER_INPUT


@pytest.mark.requirement("SES-ENFORCE")
def test_calls_need_session_and_secret(login, ox):
    """Without the session parameter or without the secret cookie a call is refused."""
    client, session = login("alice")
    assert client.http.get("/appsuite/api/config/identifier").json()["code"] == "SES-0201"
    stranger = ox(client.route)
    refused = stranger.http.get("/appsuite/api/config/identifier", params={"session": session.id}).json()
    assert refused["code"] == "SES-0206"


@pytest.mark.requirement("SES-ENFORCE")
def test_autologin_and_logout(login):
    """A stored session logs in again from its cookies; after logout it is gone."""
    client, session = login("bob")
    client.api("GET", "login", "store", params={"session": session.id})
    assert client.autologin().id == session.id
    session.logout()
    with pytest.raises(OXError) as raised:
        session.get("config/identifier")
    assert raised.value.session_expired


@pytest.mark.requirement("SES-SHARED")
def test_a_session_is_valid_on_every_node_of_the_pool(login, ox, groupware_routes):
    """A session made on one node answers on every other node of the groupware pool."""
    client, session = login("alice", route=groupware_routes[0])
    cookies = {c.name: c.value for c in client.http.cookies.jar if c.name != "JSESSIONID"}
    for route in groupware_routes:
        other = ox(route)
        other.http.cookies.update(cookies)
        answer = other.http.get("/appsuite/api/config/identifier", params={"session": session.id}).json()
        assert answer.get("data") == session.user_id, f"node {route}: {answer}"
        assert other.route == route
