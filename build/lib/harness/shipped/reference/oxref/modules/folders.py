"""Module `folders`: root, list, allVisible, get; the user's default folders per module."""

from __future__ import annotations

from typing import Any

from oxref import columns, errors
from oxref.api import Call, action
from oxref.schema import schema_name

MODULE_NAMES = {"calendar": "event", "contacts": "contacts", "tasks": "tasks", "infostore": "infostore", "system": "system"}
CONTENT_TYPES = {"event": "calendar", "calendar": "calendar", "contacts": "contacts", "tasks": "tasks",
                 "infostore": "infostore", "files": "infostore"}
ADMIN_RIGHTS = 403710016  # all permissions, as OX reports them for a folder's owner
MAIL_FOLDERS = ["INBOX", "Sent", "Drafts", "Trash", "Spam"]


def _folder(row: dict[str, Any], has_children: bool) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "folder_id": str(row["parent"]),
        "title": row["name"],
        "module": MODULE_NAMES.get(row["module"], row["module"]),
        "type": row["type"],
        "subfolders": has_children,
        "standard_folder": bool(row["standard"]),
        "created_by": str(row["owner"]),
        "creation_date": row["created"],
        "last_modified": row["last_modified"],
        "own_rights": ADMIN_RIGHTS,
    }


def _mail_folder(name: str) -> dict[str, Any]:
    return {
        "id": f"default0/{name}", "folder_id": "default0" if name == "INBOX" else "default0/INBOX", "title": name,
        "module": "mail", "type": 1, "subfolders": False, "standard_folder": True, "created_by": "0",
        "creation_date": 0, "last_modified": 0, "own_rights": ADMIN_RIGHTS,
    }


async def visible_rows(call: Call) -> list[dict]:
    """Every folder the user sees: system folders and their own."""
    session = call.user

    def select(cursor):
        cursor.execute(
            f"SELECT f.*, (SELECT COUNT(*) FROM `{schema_name(session.cid)}`.folder c WHERE c.parent = f.id) AS children "
            f"FROM `{schema_name(session.cid)}`.folder f WHERE f.owner IN (0, %s) ORDER BY f.id",
            (session.user_id,),
        )
        return cursor.fetchall()

    return await call.services.db.read(schema_name(session.cid), select)


async def default_folders(call: Call) -> dict[str, int]:
    async def load() -> dict[str, int]:
        rows = await visible_rows(call)
        return {row["module"]: row["id"] for row in rows if row["standard"] and row["owner"] == call.user.user_id}

    return await call.services.default_folders.get((call.user.cid, call.user.user_id), load)


async def folder_of(call: Call, folder_id: str, module: str) -> int:
    """The folder id as int, checked to be a folder of the given module that the user may use."""
    try:
        wanted = int(folder_id)
    except ValueError:
        raise errors.invalid_parameter("folder", folder_id) from None
    for row in await visible_rows(call):
        if row["id"] == wanted:
            if row["module"] != module:
                raise errors.OXException("FLD-0010", errors.USER_INPUT, "Folder %s is not a %s folder", folder_id, module)
            return wanted
    raise errors.OXException("FLD-0008", errors.PERMISSION_DENIED, "Folder %s is not visible", folder_id)


@action("folders", "root")
async def root(call: Call) -> list[list[Any]]:
    rows = [row for row in await visible_rows(call) if row["parent"] == 0]
    return columns.rows([_folder(row, row["children"] > 0) for row in rows], call.columns("1,300"), columns.FOLDER)


@action("folders", "list")
async def list_(call: Call) -> list[list[Any]]:
    parent = call.param("parent")
    if parent == "default0":
        objects = [_mail_folder(name) for name in MAIL_FOLDERS]
    else:
        try:
            parent_id = int(parent)
        except ValueError:
            raise errors.invalid_parameter("parent", parent) from None
        objects = [_folder(row, row["children"] > 0) for row in await visible_rows(call) if row["parent"] == parent_id]
        if parent_id == 1:
            objects.append({**_mail_folder("INBOX"), "id": "default0", "folder_id": "1", "title": "E-Mail",
                            "subfolders": True})
    return columns.rows(objects, call.columns("1,300"), columns.FOLDER)


@action("folders", "allVisible")
async def all_visible(call: Call) -> dict[str, list]:
    content_type = CONTENT_TYPES.get(call.param("content_type"), call.param("content_type"))
    if content_type == "mail":
        private = [_mail_folder(name) for name in MAIL_FOLDERS]
    else:
        private = [_folder(row, row["children"] > 0) for row in await visible_rows(call)
                   if row["module"] == content_type and row["owner"] == call.user.user_id]
    return {"private": columns.rows(private, call.columns("1,300"), columns.FOLDER), "public": [], "shared": []}


@action("folders", "get")
async def get(call: Call) -> dict[str, Any]:
    ident = call.param("id")
    if ident.startswith("default0/") and ident.split("/", 1)[1] in MAIL_FOLDERS:
        return _mail_folder(ident.split("/", 1)[1])
    for row in await visible_rows(call):
        if str(row["id"]) == ident:
            return _folder(row, row["children"] > 0)
    raise errors.OXException("FLD-0008", errors.PERMISSION_DENIED, "Folder %s is not visible", ident)
