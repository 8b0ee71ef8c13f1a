"""Deleted events and contacts, remembered per folder, so that a DAV sync-collection report can name what went
since a sync token, whoever deleted it (a DAV client or the HTTP API)."""

from __future__ import annotations

import time

REMEMBERED = ("event", "contact")  # the tables DAV serves


def remember(cursor, schema: str, table: str, ident: int) -> None:
    """Before the row is deleted, in the same transaction: note its folder and UID."""
    if table not in REMEMBERED:
        return
    cursor.execute(f"INSERT INTO `{schema}`.dav_tombstone (folder, object_table, uid, deleted) "
                   f"SELECT folder, %s, uid, %s FROM `{schema}`.{table} WHERE id = %s",
                   (table, int(time.time() * 1000), ident))


def deleted_since(cursor, schema: str, table: str, folder: int, since: int) -> list[str]:
    """UIDs deleted from the folder at or after `since` (milliseconds) and not written again."""
    cursor.execute(f"SELECT DISTINCT t.uid FROM `{schema}`.dav_tombstone t WHERE t.folder = %s AND "
                   f"t.object_table = %s AND t.deleted >= %s AND NOT EXISTS (SELECT 1 FROM `{schema}`.{table} o "
                   f"WHERE o.folder = t.folder AND o.uid = t.uid)", (folder, table, since))
    return [row["uid"] for row in cursor.fetchall()]
