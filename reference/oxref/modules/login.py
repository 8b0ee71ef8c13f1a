"""Module `login`: login, autologin, store, logout; the session and secret cookies."""

from __future__ import annotations

from aiohttp import web

from oxref import errors
from oxref.api import Call, action, json_response
from oxref.sessions import Session, check_secret, cookie_hash, new_session

COOKIE_MAX_AGE = 7 * 24 * 3600


def _cookie_names(hash_: str) -> dict[str, str]:
    return {
        "secret": f"open-xchange-secret-{hash_}",
        "session": f"open-xchange-session-{hash_}",
        "public": f"open-xchange-public-session-{hash_}",
    }


def _login_payload(session: Session, user: dict) -> dict:
    return {
        "session": session.session_id,
        "user": session.login,
        "user_id": session.user_id,
        "context_id": session.cid,
        "locale": user.get("language", "en_US"),
    }


@action("login", "login", session=False)
async def login(call: Call) -> web.Response:
    name, password = call.param("name"), call.param("password")
    client = call.params.get("client", "open-xchange-appsuite")
    services = call.services
    cid, user = await services.db.call(services.provisioning.authenticate, name, password)
    services.users.put((cid, user["id"]), user)  # the client's next call (config) needs the same row
    session = new_session(cid, user["id"], name, client, call.request.headers.get("User-Agent", ""), services.config.node)
    await services.sessions.put(session)
    response = json_response(_login_payload(session, user))
    # Every login remembers the session for autologin: for the browser session only, or, with "Stay signed
    # in" (staySignedIn=true), for a week, secret included, so that autologin works after a browser restart.
    max_age = COOKIE_MAX_AGE if call.params.get("staySignedIn") == "true" else None
    names = _cookie_names(session.hash)
    response.set_cookie(names["secret"], session.secret, path="/", httponly=True, max_age=max_age)
    response.set_cookie(names["public"], session.alt_id, path="/", httponly=True, max_age=max_age)
    response.set_cookie(names["session"], session.session_id, path="/", httponly=True, max_age=max_age)
    return response


@action("login", "store")
async def store(call: Call) -> web.Response:
    """Remember the session in a cookie so that autologin finds it."""
    response = json_response({})
    response.set_cookie(_cookie_names(call.user.hash)["session"], call.user.session_id, path="/", httponly=True,
                        max_age=COOKIE_MAX_AGE)
    return response


@action("login", "autologin", session=False)
async def autologin(call: Call) -> web.Response:
    client = call.params.get("client", "open-xchange-appsuite")
    hash_ = cookie_hash(client, call.request.headers.get("User-Agent", ""))
    session_id = call.request.cookies.get(_cookie_names(hash_)["session"])
    if not session_id:
        raise errors.OXException("SES-0205", errors.TRY_AGAIN, "No session cookie found for autologin.")
    session = await call.services.sessions.get(session_id)
    if session is None:
        raise errors.session_expired(session_id)
    check_secret(session, call.request.cookies)
    user = await call.services.user(session.cid, session.user_id)
    return json_response(_login_payload(session, user))


@action("login", "logout")
async def logout(call: Call) -> web.Response:
    await call.services.sessions.remove(call.user.session_id)
    response = web.Response(status=200)
    for name in _cookie_names(call.user.hash).values():
        response.del_cookie(name, path="/")
    response.del_cookie("JSESSIONID", path="/")
    return response
