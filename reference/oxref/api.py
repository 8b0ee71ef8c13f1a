"""The OX HTTP API front: `/appsuite/api/<module>` and `/ajax/<module>`, actions, sessions, envelopes.

Each module registers its actions with `@action(module, name)`; a handler
gets a `Call` (parameters, body, the checked session) and returns the
`data` of the response, or a ready `web.Response` for binary content. Every
OXException becomes the error envelope with HTTP 200, as OX answers.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from aiohttp import web

from oxref import budget, columns, errors
from oxref.sessions import Session, authenticate

log = logging.getLogger("oxref.api")
Handler = Callable[["Call"], Awaitable[Any]]
ACTIONS: dict[tuple[str, str], tuple[Handler, bool]] = {}
MODULE_ALIASES = {"files": "infostore"}


def action(module: str, name: str, *, session: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ACTIONS[(module, name)] = (handler, session)
        return handler

    return register


@dataclass
class Call:
    request: web.Request
    module: str
    action: str
    params: dict[str, str]
    session: Session | None = None
    body: bytes = b""
    form: Any = None
    timestamp: int | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # error envelopes of what went wrong but not fatally

    @property
    def services(self):
        return self.request.app["services"]

    def param(self, name: str, default: str | None = None) -> str:
        value = self.params.get(name, default)
        if value is None:
            raise errors.missing_parameter(name)
        return value

    def int_param(self, name: str, default: int | None = None) -> int:
        raw = self.params.get(name)
        if raw is None:
            if default is None:
                raise errors.missing_parameter(name)
            return default
        try:
            return int(raw)
        except ValueError:
            raise errors.invalid_parameter(name, raw) from None

    def columns(self, default: str = "1", *, allow_names: bool = False) -> list[int | str]:
        raw = self.params.get("columns", default)
        try:
            return columns.parse(raw, allow_names=allow_names)
        except ValueError:
            raise errors.invalid_parameter("columns", raw) from None

    def json_body(self) -> Any:
        if not self.body:
            raise errors.OXException("SVL-0009", errors.USER_INPUT, "Missing request body")
        try:
            return json.loads(self.body)
        except ValueError:
            raise errors.OXException("SVL-0009", errors.USER_INPUT, "The request body is not valid JSON") from None

    @property
    def user(self) -> Session:
        assert self.session is not None
        return self.session


def envelope(data: Any, timestamp: int | None = None, warnings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data}
    if timestamp is not None:
        body["timestamp"] = timestamp
    if warnings:
        body["warnings"] = warnings
    return body


def html_callback(name: str, payload: Any) -> web.Response:
    """What OX answers to form uploads (POST): the JSON handed to a callback in an HTML page."""
    text = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        f'<script type="text/javascript">(parent["callback_{name}"] || window.opener && '
        f'window.opener["callback_{name}"])({json.dumps(payload)})</script></head></html>'
    )
    return web.Response(text=text, content_type="text/html", charset="utf-8")


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json", charset="utf-8")


async def dispatch(call: Call) -> Any:
    module = MODULE_ALIASES.get(call.module, call.module)
    entry = ACTIONS.get((module, call.action))
    if entry is None:
        raise errors.unknown_action(call.module, call.action or "(none)")
    handler, needs_session = entry
    if needs_session:
        call.session = await resolve_session(call)
    return await handler(call)


async def resolve_session(call: Call) -> Session:
    session_id = call.params.get("session")
    if not session_id:
        raise errors.session_missing()
    return await authenticate(call.services.sessions, session_id, call.request.cookies)


async def handle_api(request: web.Request) -> web.StreamResponse:
    module = request.match_info["module"]
    if request.match_info.get("sub"):
        module = f"{module}/{request.match_info['sub']}"
    params = dict(request.query)
    body, form = b"", None
    content_type = request.content_type
    if request.method in ("POST", "PUT"):
        if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            try:
                form = await request.post()
            except (ValueError, AssertionError, UnicodeDecodeError) as exc:
                bad = errors.OXException("SVL-0009", errors.USER_INPUT, "The form data cannot be read: %s", exc)
                return json_response(bad.envelope())
            for key, value in form.items():
                if isinstance(value, str) and key not in params:
                    params[key] = value
        else:
            body = await request.read()
    call = Call(request, module, params.get("action", ""), params, body=body, form=form)
    return await run_call(call, dispatch)


async def handle_with_envelope(request: web.Request, module: str, name: str, work: Handler) -> web.StreamResponse:
    """Run `work` for a request outside the module/action scheme (e.g. GET /config/<path>)."""
    call = Call(request, module, name, dict(request.query))
    return await run_call(call, work)


async def run_call(call: Call, work: Handler) -> web.StreamResponse:
    started = time.monotonic()
    metrics = call.services.metrics
    status = "ok"
    try:
        result = await budget.within_budget(work(call))
    except errors.OXException as exc:
        status = exc.code
        if exc.category in (errors.SERVICE_DOWN, errors.CONNECTIVITY, errors.TRY_AGAIN):
            metrics.backend_error(exc.code)
            if exc.category != errors.TRY_AGAIN:
                log.warning("%s/%s after %.2f s: %s", call.module, call.action, time.monotonic() - started, exc)
        if call.request.method == "POST" and call.form is not None and call.action == "new":
            return html_callback(call.action, exc.envelope())
        return json_response(exc.envelope())
    except Exception as exc:  # never an HTML 500: the envelope says what happened
        log.exception("unexpected error in %s/%s", call.module, call.action)
        status = "SVL-0000"
        return json_response(errors.internal(type(exc).__name__).envelope())
    finally:
        known = (MODULE_ALIASES.get(call.module, call.module), call.action) in ACTIONS or call.module == "config"
        metrics.observe(call.module if known else "other", call.action if known else "other", status,
                        time.monotonic() - started)
    if isinstance(result, web.StreamResponse):
        return result
    if call.request.method == "POST" and call.form is not None and call.action == "new":
        return html_callback(call.action, envelope(result, call.timestamp, call.warnings))
    response = json_response(envelope(result, call.timestamp, call.warnings))
    response.headers.update(call.extra_headers)
    return response
