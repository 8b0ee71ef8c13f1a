"""Module `infostore` (alias `files`): documents with metadata in MySQL and blobs on the filestore.

`document` with `format=preview_image` or `thumbnail_image` renders a
preview with Pillow; the balancer sends those requests to the docs pool.
"""

from __future__ import annotations

import json
import mimetypes
import time
from typing import Any

from aiohttp import web

from oxref import columns, errors
from oxref.api import Call, action
from oxref.modules.folders import folder_of
from oxref.preview import PREVIEW_FORMATS, render_preview
from oxref.schema import schema_name

MAX_UPLOAD = 50 * 1024 * 1024


def _document(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "folder_id": str(row["folder"]), "created_by": str(row["created_by"]),
        "creation_date": row["created"], "last_modified": row["last_modified"], "title": row["title"],
        "filename": row["filename"], "file_mimetype": row["mimetype"], "file_size": row["size"],
        "description": row["description"] or "", "file_md5sum": row["md5"], "version": str(row["version"]),
        "current_version": True, "number_of_versions": row["version"],
    }


async def _row(call: Call, ident: int, folder: int | None = None) -> dict[str, Any]:
    schema = schema_name(call.user.cid)

    def select(cursor):
        if folder is None:
            cursor.execute(f"SELECT * FROM `{schema}`.infostore WHERE id = %s", (ident,))
        else:
            cursor.execute(f"SELECT * FROM `{schema}`.infostore WHERE id = %s AND folder = %s", (ident, folder))
        return cursor.fetchone()

    row = await call.services.db.read(schema, select)
    if row is None:
        raise errors.OXException("IFO-0300", errors.USER_INPUT, "The document %s does not exist", ident)
    return row


@action("infostore", "new")
async def new(call: Call) -> dict[str, str]:
    if call.form is None or "file" not in call.form:
        raise errors.OXException("IFO-0700", errors.USER_INPUT, "Upload a file as multipart form field 'file'")
    upload = call.form["file"]
    if not isinstance(upload, web.FileField):
        raise errors.OXException("IFO-0700", errors.USER_INPUT, "Field 'file' is not a file")
    try:
        metadata = json.loads(call.form.get("json", "{}"))
    except ValueError:
        raise errors.OXException("SVL-0009", errors.USER_INPUT, "Field 'json' is not valid JSON") from None
    folder = await folder_of(call, str(metadata.get("folder_id", call.params.get("folder", ""))), "infostore")
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise errors.OXException("IFO-0701", 11, "The file exceeds the maximum upload size of %s bytes", MAX_UPLOAD)
    cid = call.user.cid
    blob, md5 = await call.services.filestore.call(call.services.filestore.write, cid, data)
    filename = upload.filename or "upload.bin"
    mimetype = upload.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    now = int(time.time() * 1000)
    schema = schema_name(cid)

    def insert(cursor):
        cursor.execute(
            f"INSERT INTO `{schema}`.infostore (folder, created_by, created, last_modified, title, filename, mimetype,"
            " size, description, blob_path, md5) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (folder, call.user.user_id, now, now, metadata.get("title") or filename, filename, mimetype, len(data),
             metadata.get("description", ""), blob, md5),
        )
        return cursor.lastrowid

    try:
        new_id = await call.services.db.write(schema, insert)
    except errors.OXException:
        await call.services.filestore.call(call.services.filestore.delete, cid, blob)
        raise
    call.timestamp = now
    return str(new_id)


@action("infostore", "document")
async def document(call: Call) -> web.Response:
    folder = await folder_of(call, call.param("folder"), "infostore")
    row = await _row(call, call.int_param("id"), folder)
    data = await call.services.filestore.call(call.services.filestore.read, call.user.cid, row["blob_path"])
    fmt = call.params.get("format", "")
    if fmt in PREVIEW_FORMATS:
        width, height = call.int_param("width", 200), call.int_param("height", 150)
        if not (1 <= width <= 4000 and 1 <= height <= 4000):
            raise errors.invalid_parameter("width/height", f"{width}x{height}")
        image = await call.services.call_cpu(render_preview, data, row["mimetype"], width, height)
        return web.Response(body=image, content_type="image/jpeg",
                            headers={"X-OX-Preview-Node": call.services.config.route})
    disposition = "attachment" if call.params.get("delivery") == "download" else "inline"
    return web.Response(
        body=data,
        content_type=row["mimetype"],
        headers={"Content-Disposition": f'{disposition}; filename="{row["filename"]}"', "ETag": row["md5"]},
    )


@action("infostore", "all")
async def all_documents(call: Call) -> list[list[Any]]:
    folder = await folder_of(call, call.param("folder"), "infostore")
    schema = schema_name(call.user.cid)
    wanted = call.columns("1,700")

    def select(cursor):
        cursor.execute(f"SELECT * FROM `{schema}`.infostore WHERE folder = %s ORDER BY id", (folder,))
        return cursor.fetchall()

    rows = await call.services.db.read(schema, select)
    call.timestamp = max((row["last_modified"] for row in rows), default=0)
    return columns.rows((_document(row) for row in rows), wanted, columns.INFOSTORE)


@action("infostore", "get")
async def get(call: Call) -> dict[str, Any]:
    folder = await folder_of(call, call.params.get("folder", ""), "infostore") if "folder" in call.params else None
    row = await _row(call, call.int_param("id"), folder)
    call.timestamp = row["last_modified"]
    return _document(row)


@action("infostore", "delete")
async def delete(call: Call) -> list[str]:
    body = call.json_body()
    items = body if isinstance(body, list) else [body]
    rows = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected objects with id and folder")
        folder = await folder_of(call, str(item.get("folder", item.get("folder_id", ""))), "infostore")
        rows.append(await _row(call, int(item["id"]), folder))
    schema = schema_name(call.user.cid)
    await call.services.db.write(schema, lambda c: [c.execute(f"DELETE FROM `{schema}`.infostore WHERE id = %s", (r["id"],)) for r in rows])
    for row in rows:
        await call.services.filestore.call(call.services.filestore.delete, call.user.cid, row["blob_path"])
    call.timestamp = int(time.time() * 1000)
    return []
