"""OX column ids: which JSON field a numeric column of `all`/`list` requests names, per module.

`all` and `list` answer an array per object with the values of the
requested columns, in the requested order; an unknown column yields null,
as OX does for columns a module does not fill.
"""

from __future__ import annotations

from typing import Any, Iterable

# Common object data (every groupware object): column -> JSON name.
COMMON = {1: "id", 2: "created_by", 3: "modified_by", 4: "creation_date", 5: "last_modified", 20: "folder_id"}

FOLDER = {
    1: "id", 2: "created_by", 3: "modified_by", 4: "creation_date", 5: "last_modified", 20: "folder_id",
    300: "title", 301: "module", 302: "type", 304: "subfolders", 305: "own_rights", 306: "permissions",
    308: "standard_folder", 309: "total", 310: "new", 311: "unread", 314: "subscribed", 316: "standard_folder_type",
}

# Groupware objects kept in tables: column -> (JSON name, table column), besides the common ones.
CONTACT_FIELDS = {
    223: ("uid", "uid"),
    500: ("display_name", "display_name"),
    501: ("first_name", "first_name"),
    502: ("last_name", "last_name"),
    518: ("note", "note"),
    542: ("telephone_business1", "telephone_business1"),
    555: ("email1", "email1"),
    556: ("email2", "email2"),
    569: ("company", "company"),
}
TASK_FIELDS = {
    200: ("title", "title"),
    201: ("start_date", "start_time"),
    202: ("end_date", "end_time"),
    203: ("note", "note"),
    300: ("status", "status"),
    301: ("percent_completed", "percent_completed"),
    309: ("priority", "priority"),
}
COMMON_FIELDS = {1: ("id", "id"), 20: ("folder_id", "folder"), 2: ("created_by", "created_by"),
                 4: ("creation_date", "created"), 5: ("last_modified", "last_modified")}

INFOSTORE = {
    **COMMON, 700: "title", 702: "filename", 703: "file_mimetype", 704: "file_size", 705: "version",
    706: "description", 708: "file_md5sum", 710: "current_version", 711: "number_of_versions",
}

MAIL = {
    600: "id", 601: "folder_id", 602: "attachment", 603: "from", 604: "to", 605: "cc", 606: "bcc", 607: "subject",
    608: "size", 609: "sent_date", 610: "received_date", 611: "flags", 612: "level", 614: "priority",
    652: "account_name", 653: "account_id",
}


def parse(raw: str, *, allow_names: bool = False) -> list[int | str]:
    """`"1,20,500"` -> [1, 20, 500]; ValueError for anything but numbers (and header names where allowed)."""
    columns: list[int | str] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if part.isdigit():
            columns.append(int(part))
        elif allow_names and part.replace("-", "").isalnum():
            columns.append(part)
        else:
            raise ValueError(part)
    return columns


def select(obj: dict[str, Any], columns: Iterable[int | str], names: dict[int, str]) -> list[Any]:
    """The values of one object for the requested columns."""
    return [obj.get(names[c]) if c in names else None for c in columns]


def rows(objects: Iterable[dict[str, Any]], columns: list[int | str], names: dict[int, str]) -> list[list[Any]]:
    return [select(obj, columns, names) for obj in objects]
