"""OX HTTP API client (httpx): login and session handling, module calls, the error envelope.

A logged-in `OXSession` sends `session=` with every call and keeps the
cookies the server set (`open-xchange-secret-<hash>` and JSESSIONID with its
route), exactly as a browser does. Every exchange is recorded, so a failing
test can show the requests that led to it.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.clients.ox_errors import OXError, OXServerUnavailable, is_error

DEFAULT_CLIENT = "open-xchange-appsuite"
DEFAULT_USER_AGENT = "ox-harness/0.1 (qualification)"
API_PREFIX = "/appsuite/api"


@dataclass
class Exchange:
    """One request and its outcome, for evidence in reports."""

    method: str
    url: str
    status: int | None
    route: str | None
    seconds: float
    error: str | None = None


@dataclass
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)
    limit: int = 200

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        del self.exchanges[: -self.limit]


def route_of(jsessionid: str | None) -> str | None:
    """`<number>.<route>` -> route."""
    if not jsessionid or "." not in jsessionid:
        return None
    return jsessionid.rsplit(".", 1)[1]


class RoutedClient:
    """An httpx client (`self.http`) that a sticky balancer places by the JSESSIONID route cookie."""

    http: httpx.Client

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def route(self) -> str | None:
        """Route of the node the balancer pinned this client to (from JSESSIONID)."""
        values = [cookie.value for cookie in self.http.cookies.jar if cookie.name == "JSESSIONID"]
        return route_of(values[-1]) if values else None

    def pin_route(self, route: str) -> None:
        """Send the next requests to the node with this route (what a sticky balancer honours)."""
        for cookie in [c for c in self.http.cookies.jar if c.name == "JSESSIONID"]:
            self.http.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
        self.http.cookies.set("JSESSIONID", f"{int(time.time() * 1000)}.{route}")


class OXClient(RoutedClient):
    """Unauthenticated access to one OX installation (through its balancer VIP)."""

    def __init__(
        self,
        base_url: str,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        user_agent: str = DEFAULT_USER_AGENT,
        client_id: str = DEFAULT_CLIENT,
        recorder: Recorder | None = None,
    ):
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            verify=verify,
            timeout=timeout,
            headers={"User-Agent": user_agent},
            follow_redirects=False,
        )
        self.client_id = client_id
        self.recorder = recorder or Recorder()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.recorder.add(Exchange(method, path, None, self.route, time.monotonic() - started, repr(exc)))
            raise
        route = route_of(response.cookies.get("JSESSIONID")) or self.route
        self.recorder.add(Exchange(method, str(response.url), response.status_code, route, time.monotonic() - started))
        if response.status_code in (502, 503, 504):
            raise OXServerUnavailable(response.status_code, route)
        return response

    def api(self, method: str, module: str, action: str | None = None, **kwargs: Any) -> Any:
        """Call `/appsuite/api/<module>?action=...`; returns `data`, raises OXError for the envelope."""
        params = dict(kwargs.pop("params", None) or {})
        if action:
            params["action"] = action
        response = self.request(method, f"{API_PREFIX}/{module}", params=params, **kwargs)
        return unwrap(response, self.route)

    def login(self, name: str, password: str, *, client: str | None = None, **extra: str) -> "OXSession":
        data = self.api(
            "POST",
            "login",
            "login",
            data={"name": name, "password": password, "client": client or self.client_id, **extra},
        )
        return OXSession(self, data)

    def autologin(self, *, client: str | None = None) -> "OXSession":
        data = self.api("GET", "login", "autologin", params={"client": client or self.client_id})
        return OXSession(self, data)


class OXSession:
    """A logged-in user: every call carries `session=` and the cookies set at login."""

    def __init__(self, client: OXClient, login_data: dict[str, Any]):
        self.client = client
        self.id: str = login_data["session"]
        self.user: str = login_data.get("user", "")
        self.user_id: int = login_data.get("user_id", 0)
        self.context_id: int = login_data.get("context_id", 0)
        self.locale: str = login_data.get("locale", "")

    @property
    def route(self) -> str | None:
        return self.client.route

    def call(self, method: str, module: str, action: str | None = None, **kwargs: Any) -> Any:
        params = dict(kwargs.pop("params", None) or {})
        params["session"] = self.id
        return self.client.api(method, module, action, params=params, **kwargs)

    def get(self, module: str, action: str | None = None, **params: Any) -> Any:
        return self.call("GET", module, action, params=params)

    def put(self, module: str, action: str, body: Any, **params: Any) -> Any:
        return self.call("PUT", module, action, params=params, json=body)

    def logout(self) -> None:
        self.call("GET", "login", "logout")


CALLBACK = re.compile(r"\(\s*(\{.*\})\s*\)\s*</script>", re.S)


def unwrap(response: httpx.Response, route: str | None = None) -> Any:
    """The `data` of an OX response, or OXError for the error envelope.

    Form uploads (POST) are answered with an HTML page handing the JSON to a
    callback, as OX does; the JSON is taken from there.
    """
    content_type = response.headers.get("content-type", "")
    if "text/html" in content_type and (match := CALLBACK.search(response.text)):
        payload = json.loads(match.group(1))
    elif "json" not in content_type and "javascript" not in content_type:
        if response.is_success:
            return response.content
        response.raise_for_status()
        return response.content
    else:
        payload = response.json()
    if is_error(payload):
        raise OXError(payload, route)
    if isinstance(payload, dict) and "data" in payload:
        return payload["data"]
    return payload
