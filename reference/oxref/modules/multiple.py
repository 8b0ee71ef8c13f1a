"""Module `multiple`: a JSON array of calls answered by an array of envelopes, in order."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from oxref import errors
from oxref.api import Call, action, dispatch, envelope

MAX_CALLS = 100


@action("multiple", "", session=False)
async def multiple(call: Call) -> web.Response:
    requests = call.json_body()
    if not isinstance(requests, list) or len(requests) > MAX_CALLS:
        raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected a JSON array of at most %s calls", MAX_CALLS)
    results: list[dict[str, Any]] = []
    for item in requests:
        if not isinstance(item, dict) or "module" not in item:
            results.append(errors.invalid_parameter("module", item).envelope())
            continue
        params = {k: str(v) for k, v in item.items() if k not in ("module", "data")}
        params.setdefault("session", call.params.get("session", ""))
        body = item.get("data")
        inner = Call(call.request, str(item["module"]), params.get("action", ""), params,
                     body=json.dumps(body).encode() if body is not None else b"")
        try:
            data = await dispatch(inner)
            if isinstance(data, web.StreamResponse):
                raise errors.OXException("SVL-0011", errors.USER_INPUT, "Binary responses are not allowed in multiple")
            results.append(envelope(data, inner.timestamp, inner.warnings))
        except errors.OXException as exc:
            results.append(exc.envelope())
    return web.json_response(results)
