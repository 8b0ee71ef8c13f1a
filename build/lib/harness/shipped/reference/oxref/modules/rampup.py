"""Modules the UI's rampup batch calls right after login: `jslob` (UI settings), `user` (the signed-in
user), `account` (the mail accounts). Settings are not stored: every jslob id answers an empty tree,
as a fresh App Suite user's settings do."""

from __future__ import annotations

from typing import Any

from oxref.api import Call, action

PRIMARY_ACCOUNT = 0


@action("jslob", "list")
async def jslob_list(call: Call) -> list[dict[str, Any]]:
    ids = call.json_body() if call.body else []
    return [{"id": str(item), "tree": {}, "meta": {}} for item in (ids if isinstance(ids, list) else [])]


@action("user", "get")
async def user_get(call: Call) -> dict[str, Any]:
    session = call.user
    user = await call.services.user(session.cid, session.user_id)
    return {"id": session.user_id, "contact_id": session.user_id, "folder_id": 6, "context_id": session.cid,
            "display_name": user.get("display_name", ""), "email1": user["email"], "login_info": session.login,
            "locale": user.get("language", "en_US"), "timezone": user.get("timezone", "UTC")}


@action("account", "all")
async def account_all(call: Call) -> list[dict[str, Any]]:
    session = call.user
    user = await call.services.user(session.cid, session.user_id)
    return [{"id": PRIMARY_ACCOUNT, "name": "E-Mail", "primary_address": user["email"], "login": session.login,
             "mail_protocol": "imap", "transport_protocol": "smtp", "inbox_fullname": "INBOX",
             "sent_fullname": "Sent", "trash_fullname": "Trash", "drafts_fullname": "Drafts", "spam_fullname": "Spam"}]
