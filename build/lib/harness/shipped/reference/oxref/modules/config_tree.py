"""Module `config`: the user's configuration tree, addressed by path (`GET /config/<path>`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from oxref import errors
from oxref.api import Call, handle_with_envelope, resolve_session
from oxref.modules.folders import default_folders


async def tree(call: Call) -> dict[str, Any]:
    session = call.user
    services = call.services
    user = await services.user(session.cid, session.user_id)
    folders = await default_folders(call)
    return {
        "identifier": session.user_id,
        "contextID": session.cid,
        "context_id": session.cid,
        "language": user["language"],
        "timezone": user["timezone"],
        "folder": {**folders, "mail": {"inbox": "default0/INBOX", "sent": "default0/Sent", "trash": "default0/Trash",
                                        "drafts": "default0/Drafts", "spam": "default0/Spam"}},
        "mail": {"addresses": [user["email"]], "defaultaddress": user["email"], "sendaddress": user["email"]},
        "modules": {module: {"module": True} for module in ("mail", "contacts", "calendar", "tasks", "infostore")},
        "availableModules": ["mail", "contacts", "calendar", "tasks", "infostore"],
        "serverVersion": "7.10.3-oxref",
    }


async def handle_config(request: web.Request) -> web.Response:
    """GET /appsuite/api/config[/path]: the subtree at the path, in the OX envelope."""

    async def work(call: Call) -> Any:
        call.session = await resolve_session(call)
        node: Any = await tree(call)
        for part in filter(None, request.match_info.get("path", "").split("/")):
            if not isinstance(node, dict) or part not in node:
                raise errors.OXException("CFG-0001", errors.USER_INPUT, "Configuration path %s does not exist",
                                         request.match_info.get("path", ""))
            node = node[part]
        return node

    return await handle_with_envelope(request, "config", "get", work)

