"""A browser's OX session as the API client sees it: its id, its cookies, the node its route points to.

Every login sets `open-xchange-session-<hash>` (the session id, for
autologin) and `open-xchange-secret-<hash>` (which every call must carry);
JSESSIONID is `<number>.<route>`. From a browser context's cookies the
harness can so make calls in the browser's session: to see whether the
server still knows it, or to end it behind the UI's back.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.clients.ox_errors import OXError
from harness.clients.ox_http import OXClient, route_of

SESSION_COOKIE = "open-xchange-session-"
SECRET_COOKIE = "open-xchange-secret-"


@dataclass(frozen=True)
class BrowserSession:
    session_id: str | None
    cookies: dict[str, str]  # name -> value of the browser's cookies for the UI's host

    @property
    def route(self) -> str | None:
        return route_of(self.cookies.get("JSESSIONID"))

    @property
    def has_secret(self) -> bool:
        return any(name.startswith(SECRET_COOKIE) for name in self.cookies)


def session_of(cookies: list[dict], seen_session: str | None = None) -> BrowserSession:
    """From Playwright's `context.cookies()`; `seen_session`: the last `session=` the page sent, used where
    no session cookie names it."""
    values = {cookie["name"]: cookie["value"] for cookie in cookies}
    from_cookie = next((value for name, value in values.items() if name.startswith(SESSION_COOKIE) and value), None)
    return BrowserSession(from_cookie or seen_session, values)


def route_from_cookies(cookies: list[dict]) -> str | None:
    """The JSESSIONID route among a browser context's cookies (the node the balancer sends it to)."""
    return session_of(cookies).route


def _client(base_url: str, session: BrowserSession, verify: bool | str) -> OXClient:
    client = OXClient(base_url, verify=verify, timeout=20)
    for name, value in session.cookies.items():
        client.http.cookies.set(name, value)
    return client


def answer_to(base_url: str, session: BrowserSession, verify: bool | str = True) -> str:
    """'ok' when the server accepts a call in this session (with its secret cookie), else the OX error code."""
    with _client(base_url, session, verify) as client:
        try:
            client.api("GET", "config/identifier", params={"session": session.session_id})
        except OXError as exc:
            return exc.code
    return "ok"


def end_on_server(base_url: str, session: BrowserSession, verify: bool | str = True) -> None:
    """Log the session out through the API, as another tab or an administrator would: the UI does not know."""
    with _client(base_url, session, verify) as client:
        client.api("GET", "login", "logout", params={"session": session.session_id})


def server_version(base_url: str, verify: bool | str = True) -> str | None:
    """The App Suite version the server states before login (`apps/manifests?action=config`), where it does."""
    try:
        with OXClient(base_url, verify=verify, timeout=10) as client:
            data = client.api("GET", "apps/manifests", "config")
    except Exception:  # an older server, or one that does not say: every release's labels are tried
        return None
    found = data.get("serverVersion") if isinstance(data, dict) else None
    return str(found) if found else None
