"""What a page says to the OX HTTP API: the session ids it sends, the routes that answer, the errors it gets.

Attached to a Playwright page, it records every API answer (module,
action, HTTP status, OX error code, route of the node that answered), so a
journey can assert what the user cannot see: that no call was answered
with a session error while a node died, or which node served the page.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from harness.clients.ox_http import route_of

API_PATHS = ("/appsuite/api/", "/ajax/")


@dataclass(frozen=True)
class Answer:
    at: float  # time.monotonic() when it arrived
    module: str
    action: str
    status: int
    code: str  # the OX error code, "" when the call succeeded
    route: str | None


def parse_call(url: str) -> tuple[str, str, str | None] | None:
    """(module, action, session) of an API URL, or None for anything else."""
    parts = urlsplit(url)
    prefix = next((p for p in API_PATHS if p in parts.path), None)
    if prefix is None:
        return None
    module = parts.path.split(prefix, 1)[1].strip("/")
    query = parse_qs(parts.query)
    return module, (query.get("action") or [""])[0], (query.get("session") or [None])[0]


def error_code(body: bytes) -> str:
    """The `code` of an OX error envelope (also inside the HTML callback of uploads), else ''."""
    text = body.decode("utf-8", "replace")
    start = text.find("{")
    if start < 0:
        return ""
    try:
        payload, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return ""
    return str(payload.get("code", "")) if isinstance(payload, dict) and "error" in payload else ""


def route_of_response(set_cookie: str | None, fallback: str | None) -> str | None:
    """The route named by a JSESSIONID in a Set-Cookie header, else the one the page had."""
    for part in (set_cookie or "").replace("\n", ";").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "JSESSIONID":
            return route_of(value)
    return fallback


@dataclass
class ApiTraffic:
    answers: list[Answer] = field(default_factory=list)
    session: str | None = None  # the last `session=` the page sent
    route: str | None = None  # the last route that answered

    def attach(self, page) -> "ApiTraffic":
        page.on("response", self._record)
        return self

    def _record(self, response) -> None:
        call = parse_call(response.url)
        if call is None:
            return
        module, action, session = call
        self.session = session or self.session
        try:
            code = error_code(response.body()) if response.status == 200 else ""
            cookie = response.header_value("set-cookie")
        except Exception:  # the page went away before its body was read
            code, cookie = "", None
        self.route = route_of_response(cookie, self.route)
        self.answers.append(Answer(time.monotonic(), module, action, response.status, code, self.route))

    def since(self, moment: float) -> list[Answer]:
        return [answer for answer in self.answers if answer.at >= moment]

    def errors(self, since: float = 0.0, prefix: str = "") -> list[Answer]:
        """Answers since `since` with an OX error code starting with `prefix`; without a prefix, HTTP errors too."""
        return [a for a in self.since(since) if (a.code and a.code.startswith(prefix)) or (not prefix and a.status >= 500)]
