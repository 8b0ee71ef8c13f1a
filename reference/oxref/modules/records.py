"""Table-backed groupware objects (contacts, tasks): all, list, get, new, update, delete with OX columns.

One `RecordType` says which table holds the objects, which folder module
they live in, and how OX column ids and JSON names map to table columns.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from oxref import errors, tombstones
from oxref.api import Call
from oxref.columns import COMMON_FIELDS
from oxref.modules.folders import folder_of
from oxref.schema import schema_name


@dataclass(frozen=True)
class RecordType:
    table: str
    folder_module: str
    fields: dict[int, tuple[str, str]]  # column id -> (JSON name, table column), besides the common ones
    delete_answer: str = "not_deleted"  # "not_deleted": ids left because changed later (tasks); "empty": {} (contacts)

    @property
    def columns(self) -> dict[int, tuple[str, str]]:
        return {**COMMON_FIELDS, **self.fields}

    @property
    def writable(self) -> dict[str, str]:
        return {name: column for name, column in self.fields.values()}

    def to_json(self, row: dict[str, Any]) -> dict[str, Any]:
        """The object as OX answers `get`: unset fields are left out."""
        result = {name: row[column] for name, column in self.columns.values() if row[column] is not None}
        result["id"], result["folder_id"] = str(row["id"]), str(row["folder"])
        result["created_by"] = str(row["created_by"])
        return result

    def to_columns(self, row: dict[str, Any], columns: list[int]) -> list[Any]:
        obj = self.to_json(row)
        return [obj.get(self.columns[c][0]) if c in self.columns else None for c in columns]

    # -- actions ------------------------------------------------------------------

    async def all(self, call: Call) -> list[list[Any]]:
        folder = await folder_of(call, call.param("folder"), self.folder_module)
        columns = call.columns("1,20")
        schema = schema_name(call.user.cid)

        def select(cursor):
            cursor.execute(f"SELECT * FROM `{schema}`.{self.table} WHERE folder = %s ORDER BY id", (folder,))
            return cursor.fetchall()

        rows = await call.services.db.read(schema, select)
        call.timestamp = max((row["last_modified"] for row in rows), default=0)
        return [self.to_columns(row, columns) for row in rows]

    async def get(self, call: Call) -> dict[str, Any]:
        folder = await folder_of(call, call.param("folder"), self.folder_module)
        row = await self._row(call, call.int_param("id"), folder)
        call.timestamp = row["last_modified"]
        return self.to_json(row)

    async def list(self, call: Call) -> list[list[Any]]:
        columns = call.columns("1,20")
        result = []
        for item in _id_list(call.json_body()):
            folder = await folder_of(call, str(item.get("folder", item.get("folder_id", ""))), self.folder_module)
            result.append(self.to_columns(await self._row(call, _int(item.get("id")), folder), columns))
        return result

    async def new(self, call: Call) -> dict[str, Any]:
        body = call.json_body()
        if not isinstance(body, dict):
            raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected a JSON object")
        folder = await folder_of(call, str(body.get("folder_id", call.params.get("folder", ""))), self.folder_module)
        values = self._values(body)
        if self.table == "contact":
            values.setdefault("uid", str(uuid.uuid4()))
        now = int(time.time() * 1000)
        schema = schema_name(call.user.cid)
        names = ["folder", "created_by", "created", "last_modified", *values]
        params = [folder, call.user.user_id, now, now, *values.values()]

        def insert(cursor):
            cursor.execute(
                f"INSERT INTO `{schema}`.{self.table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                params,
            )
            return cursor.lastrowid

        new_id = await call.services.db.write(schema, insert)
        call.timestamp = now
        return {"id": str(new_id)}

    async def update(self, call: Call) -> dict[str, Any]:
        folder = await folder_of(call, call.param("folder"), self.folder_module)
        ident = call.int_param("id")
        stamp = call.int_param("timestamp", default=2**62)
        body = call.json_body()
        values = self._values(body if isinstance(body, dict) else {})
        if "folder_id" in body:
            values["folder"] = await folder_of(call, str(body["folder_id"]), self.folder_module)
        now = int(time.time() * 1000)
        schema = schema_name(call.user.cid)

        def change(cursor):
            update_unless_changed(cursor, schema, self.table, ident, folder, stamp, {**values, "last_modified": now})

        await call.services.db.write(schema, change)
        call.timestamp = now
        return {}

    async def delete(self, call: Call) -> list[str]:
        schema = schema_name(call.user.cid)
        stamp = call.int_param("timestamp", default=2**62)
        targets = []
        for item in _id_list(call.json_body()):
            folder = await folder_of(call, str(item.get("folder", item.get("folder_id", ""))), self.folder_module)
            targets.append((_int(item.get("id")), folder))

        def remove(cursor):
            failed = []
            for ident, folder in targets:
                cursor.execute(f"SELECT last_modified FROM `{schema}`.{self.table} WHERE id = %s AND folder = %s", (ident, folder))
                row = cursor.fetchone()
                if row is None:
                    raise errors.not_found(self.table, ident)
                if row["last_modified"] > stamp:
                    failed.append(str(ident))
                    continue
                tombstones.remember(cursor, schema, self.table, ident)
                cursor.execute(f"DELETE FROM `{schema}`.{self.table} WHERE id = %s", (ident,))
            return failed

        call.timestamp = int(time.time() * 1000)
        not_deleted = await call.services.db.write(schema, remove)
        return {} if self.delete_answer == "empty" else not_deleted

    # -- helpers ------------------------------------------------------------------

    async def _row(self, call: Call, ident: int, folder: int) -> dict[str, Any]:
        schema = schema_name(call.user.cid)

        def select(cursor):
            cursor.execute(f"SELECT * FROM `{schema}`.{self.table} WHERE id = %s AND folder = %s", (ident, folder))
            return cursor.fetchone()

        row = await call.services.db.read(schema, select)
        if row is None:
            raise errors.not_found(self.table, ident)
        return row

    def _values(self, body: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for name, column in self.writable.items():
            if name in body:
                value = body[name]
                if value is not None and not isinstance(value, (str, int, float)):
                    raise errors.invalid_parameter(name, value)
                values[column] = value
        return values


def _id_list(body: Any) -> list[dict]:
    items = body if isinstance(body, list) else [body]
    if not all(isinstance(item, dict) and "id" in item for item in items):
        raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected objects with id and folder")
    return items


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.invalid_parameter("id", value) from None


def register(module: str, record_type: RecordType) -> None:
    from oxref.api import action

    for name in ("all", "list", "get", "new", "update", "delete"):
        action(module, name)(getattr(record_type, name))


def update_unless_changed(cursor, schema: str, table: str, ident, folder, stamp: int, values: dict) -> None:
    """UPDATE one row with `values`; refused with a conflict when it changed after `stamp` (the client's view)."""
    cursor.execute(f"SELECT last_modified FROM `{schema}`.{table} WHERE id = %s AND folder = %s", (ident, folder))
    row = cursor.fetchone()
    if row is None:
        raise errors.not_found(table, ident)
    if row["last_modified"] > stamp:
        raise errors.conflict(f"The {table} {ident}")
    cursor.execute(f"UPDATE `{schema}`.{table} SET {', '.join(f'{column} = %s' for column in values)} WHERE id = %s",
                   [*values.values(), ident])
