"""Module `chronos`: calendar events (all, get, new, update, delete) in the user's calendar folders."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oxref import errors, tombstones
from oxref.api import Call, action
from oxref.modules.folders import folder_of
from oxref.modules.records import update_unless_changed
from oxref.schema import schema_name

FORMATS = ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d")


def to_millis(date: dict[str, Any], field: str) -> int:
    if not isinstance(date, dict) or "value" not in date:
        raise errors.missing_parameter(field)
    value, tzid = str(date["value"]), date.get("tzid")
    for pattern in FORMATS:
        try:
            parsed = datetime.strptime(value, pattern)
            break
        except ValueError:
            continue
    else:
        raise errors.invalid_parameter(field, value)
    try:
        zone = timezone.utc if value.endswith("Z") or not tzid else ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.invalid_parameter(f"{field}.tzid", tzid) from None
    return int(parsed.replace(tzinfo=zone).timestamp() * 1000)


def _event(row: dict[str, Any]) -> dict[str, Any]:
    def date(value: str, tz: str | None) -> dict[str, Any]:
        return {"value": value, **({"tzid": tz} if tz else {})}

    return {
        "id": str(row["id"]),
        "folder": str(row["folder"]),
        "uid": row["uid"],
        "summary": row["summary"],
        "description": row["description"] or "",
        "location": row["location"],
        "startDate": date(row["start_value"], row["start_tz"]),
        "endDate": date(row["end_value"], row["end_tz"]),
        "created": row["created"],
        "lastModified": row["last_modified"],
        "createdBy": {"entity": row["created_by"]},
        "timestamp": row["last_modified"],
    }


def _values(body: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("summary", "description", "location"):
        if name in body:
            if not isinstance(body[name], str):
                raise errors.invalid_parameter(name, body[name])
            values[name] = body[name]
    for name, prefix in (("startDate", "start"), ("endDate", "end")):
        if name in body:
            values[f"{prefix}_ms"] = to_millis(body[name], name)
            values[f"{prefix}_value"] = str(body[name]["value"])
            values[f"{prefix}_tz"] = body[name].get("tzid")
    if "start_ms" in values and "end_ms" in values and values["end_ms"] < values["start_ms"]:
        raise errors.OXException("CAL-4061", errors.USER_INPUT, "The end date lies before the start date")
    return values


async def _rows(call: Call, where: str, args: tuple) -> list[dict]:
    schema = schema_name(call.user.cid)

    def select(cursor):
        # Tasks and journal entries a CalDAV client put into a calendar are not events of the HTTP API.
        cursor.execute(f"SELECT * FROM `{schema}`.event WHERE component = 'VEVENT' AND ({where}) ORDER BY start_ms, id",
                       args)
        return cursor.fetchall()

    return await call.services.db.read(schema, select)


@action("chronos", "all")
async def all_events(call: Call) -> list[dict]:
    """GET with `folder`: the folder's events in the range. PUT with `{"folders": [...]}` (what the UI sends):
    one `{folder, events, timestamp}` (or `{folder, error}`) per folder, as 7.10 answers."""
    start = to_millis({"value": call.params.get("rangeStart", "19700101T000000Z")}, "rangeStart")
    end = to_millis({"value": call.params.get("rangeEnd", "21000101T000000Z")}, "rangeEnd")
    body = call.json_body() if call.body else None
    if isinstance(body, dict) and isinstance(body.get("folders"), list):
        results = []
        for folder_id in body["folders"]:
            try:
                folder = await folder_of(call, str(folder_id), "calendar")
                rows = await _rows(call, "folder = %s AND end_ms > %s AND start_ms < %s", (folder, start, end))
            except errors.OXException as exc:
                if exc.category in (errors.SERVICE_DOWN, errors.CONNECTIVITY, errors.TRY_AGAIN):
                    raise
                results.append({"folder": str(folder_id), "error": exc.envelope()})
                continue
            stamp = max((row["last_modified"] for row in rows), default=0)
            results.append({"folder": str(folder), "events": [_event(row) for row in rows], "timestamp": stamp})
        call.timestamp = max((r.get("timestamp", 0) for r in results), default=0)
        return results
    folder = await folder_of(call, call.param("folder"), "calendar")
    rows = await _rows(call, "folder = %s AND end_ms > %s AND start_ms < %s", (folder, start, end))
    call.timestamp = max((row["last_modified"] for row in rows), default=0)
    return [_event(row) for row in rows]


@action("chronos", "get")
async def get_event(call: Call) -> dict:
    folder = await folder_of(call, call.param("folder"), "calendar")
    rows = await _rows(call, "folder = %s AND id = %s", (folder, call.int_param("id")))
    if not rows:
        raise errors.not_found("event", call.param("id"))
    call.timestamp = rows[0]["last_modified"]
    return _event(rows[0])


@action("chronos", "new")
async def new_event(call: Call) -> dict:
    folder = await folder_of(call, call.param("folder"), "calendar")
    body = call.json_body()
    if not isinstance(body, dict):
        raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected an event object")
    values = _values(body)
    for required in ("start_ms", "end_ms"):
        if required not in values:
            raise errors.missing_parameter("startDate" if required == "start_ms" else "endDate")
    now = int(time.time() * 1000)
    values.update(folder=folder, uid=body.get("uid") or str(uuid.uuid4()), created_by=call.user.user_id,
                  created=now, last_modified=now)
    schema = schema_name(call.user.cid)

    def insert(cursor):
        names = list(values)
        cursor.execute(
            f"INSERT INTO `{schema}`.event ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
            [values[n] for n in names],
        )
        return cursor.lastrowid

    new_id = await call.services.db.write(schema, insert)
    call.timestamp = now
    created = (await _rows(call, "id = %s", (new_id,))) or [{**values, "id": new_id, "description": values.get("description")}]
    return {"created": [_event(created[0])], "updated": [], "deleted": [], "failed": []}


@action("chronos", "update")
async def update_event(call: Call) -> dict:
    folder = await folder_of(call, call.param("folder"), "calendar")
    ident = call.int_param("id")
    stamp = call.int_param("timestamp", default=2**62)
    body = call.json_body()
    event = body.get("event", body) if isinstance(body, dict) else {}
    values = _values(event)
    now = int(time.time() * 1000)
    schema = schema_name(call.user.cid)

    def change(cursor):
        update_unless_changed(cursor, schema, "event", ident, folder, stamp, {**values, "last_modified": now})

    await call.services.db.write(schema, change)
    call.timestamp = now
    rows = await _rows(call, "id = %s", (ident,))
    return {"created": [], "updated": [_event(row) for row in rows], "deleted": [], "failed": []}


@action("chronos", "delete")
async def delete_events(call: Call) -> list[dict]:
    """Body: `{"events": [{id, folder}, ...]}` (7.10) or the bare array; one result per event, as OX answers."""
    body = call.json_body()
    items = body.get("events", [body]) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected objects with id and folder")
    schema = schema_name(call.user.cid)
    targets = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected objects with id and folder")
        ident = item["id"]
        if not str(ident).isdigit():
            raise errors.invalid_parameter("id", ident)
        targets.append((int(ident), await folder_of(call, str(item.get("folder", "")), "calendar")))
    stamp = call.int_param("timestamp", default=2**62)
    results = []
    for ident, folder in targets:
        rows = await _rows(call, "id = %s AND folder = %s", (ident, folder))
        if not rows:
            raise errors.not_found("event", ident)
        if rows[0]["last_modified"] > stamp:
            error = errors.conflict(f"The event {ident}").envelope()
            results.append({"folderId": str(folder), "id": str(ident), "error": error})
            continue
        await call.services.db.write(schema, lambda c, i=ident: (tombstones.remember(c, schema, "event", i), c.execute(
            f"DELETE FROM `{schema}`.event WHERE id = %s", (i,))))
        results.append({"folderId": str(folder), "id": str(ident), "created": [], "updated": [], "deleted": [_event(rows[0])]})
    call.timestamp = int(time.time() * 1000)
    return results
