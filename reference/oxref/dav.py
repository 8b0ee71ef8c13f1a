"""CalDAV and CardDAV under /servlet/dav, as standard clients use them: discovery, listing, multiget,
calendar-query (comp-filter, time-range, text-match: `dav_query`), sync-collection (RFC 6578: what changed
since a token, deletions too, whoever made them), and ETags honoured by If-Match / If-None-Match.

Layout (Basic authentication with the OX login):
  /servlet/dav/principals/<login>/        the user's principal
  /servlet/dav/caldav/                    calendar home: one collection per calendar folder
  /servlet/dav/caldav/<folder>/<uid>.ics  an event (stored with the chronos events)
  /servlet/dav/carddav/                   address book home: one collection per contact folder
  /servlet/dav/carddav/<folder>/<uid>.vcf a contact (stored with the contacts)
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web
from lxml import etree

from oxref import errors, tombstones
from oxref.dav_data import COMPONENTS, contact_values, contact_vcard, event_ical, event_values
from oxref.dav_query import UnsupportedFilter, free_busy, matches, parse_filter, parse_free_busy
from oxref.dav_xml import (CALDAV, CARDDAV, CS, DAV, Resource, document_of, multistatus, precondition, report_hrefs,
                           requested)
from oxref.schema import schema_name

ROOT = "/servlet/dav"
SYNC_TOKEN = "http://ox-harness.invalid/ns/sync/"  # + <folder>/<milliseconds>: a URI, as RFC 6578 asks
SEGMENT = re.compile(r"[A-Za-z0-9._~-]{1,64}")  # a collection name a client may choose


# -- authentication and storage --------------------------------------------------------


async def _authenticate(request: web.Request):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="OX App Suite"'})
    try:
        login, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="OX App Suite"'}) from None
    services = request.app["services"]
    try:
        cid, user = await services.db.call(services.provisioning.authenticate, login, password)
    except errors.OXException as exc:
        if exc.code == "LGI-0006":
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="OX App Suite"'}) from None
        raise web.HTTPServiceUnavailable(text=exc.message) from None
    return login, cid, user


async def _folders(request: web.Request, cid: int, user_id: int, module: str) -> list[dict]:
    schema = schema_name(cid)

    def select(cursor):
        cursor.execute(f"SELECT id, name, standard FROM `{schema}`.folder WHERE owner = %s AND module = %s",
                       (user_id, module))
        return cursor.fetchall()

    return await request.app["services"].db.read(schema, select)


async def _objects(request: web.Request, cid: int, table: str, folder: int) -> list[dict]:
    schema = schema_name(cid)

    def select(cursor):
        cursor.execute(f"SELECT * FROM `{schema}`.{table} WHERE folder = %s", (folder,))
        return cursor.fetchall()

    return await request.app["services"].db.read(schema, select)


def _etag(row: dict) -> str:
    return f'"{row["id"]}-{row["last_modified"]}"'


def _ctag(rows: list[dict]) -> str:
    return hashlib.md5(",".join(_etag(r) for r in rows).encode()).hexdigest()


KINDS = {
    "caldav": {"module": "calendar", "table": "event", "suffix": ".ics", "mime": "text/calendar; charset=utf-8",
               "render": event_ical, "parse": event_values, "data": (CALDAV, "calendar-data")},
    "carddav": {"module": "contacts", "table": "contact", "suffix": ".vcf", "mime": "text/vcard; charset=utf-8",
                "render": contact_vcard, "parse": contact_values, "data": (CARDDAV, "address-data")},
}


# -- handlers --------------------------------------------------------------------------


def _principal(login: str) -> str:
    return f"{ROOT}/principals/{quote(login)}/"


def _common(login: str) -> dict[tuple[str, str], Any]:
    return {
        (DAV, "current-user-principal"): [((DAV, "href"), _principal(login))],
        (DAV, "principal-URL"): [((DAV, "href"), _principal(login))],
        (DAV, "principal-collection-set"): [((DAV, "href"), f"{ROOT}/principals/")],
        (CALDAV, "calendar-home-set"): [((DAV, "href"), f"{ROOT}/caldav/")],
        (CARDDAV, "addressbook-home-set"): [((DAV, "href"), f"{ROOT}/carddav/")],
    }


async def _collection_resources(request, login, cid, user_id, kind: str, depth: str) -> list[Resource]:
    spec = KINDS[kind]
    home = Resource(f"{ROOT}/{kind}/", {**_common(login), (DAV, "resourcetype"): [((DAV, "collection"), None)],
                                        (DAV, "displayname"): kind})
    resources = [home]
    if depth != "0":
        for folder in await _folders(request, cid, user_id, spec["module"]):
            rows = await _objects(request, cid, spec["table"], folder["id"])
            collection_type = (CALDAV, "calendar") if kind == "caldav" else (CARDDAV, "addressbook")
            props = {
                **_common(login),
                (DAV, "resourcetype"): [((DAV, "collection"), None), (collection_type, None)],
                (DAV, "displayname"): folder["name"],
                (CS, "getctag"): _ctag(rows),
                (DAV, "sync-token"): _sync_token(folder["id"]),
                (DAV, "supported-report-set"): _reports(kind),
            }
            if kind == "caldav":
                props[(CALDAV, "supported-calendar-component-set")] = [((CALDAV, "comp"), {"name": name})
                                                                       for name in COMPONENTS]
            resources.append(Resource(f"{ROOT}/{kind}/{_segment(folder)}/", props))
    return resources


def _object_resource(kind: str, folder: str, row: dict, with_data: bool) -> Resource:
    spec = KINDS[kind]
    props: dict[tuple[str, str], Any] = {
        (DAV, "getetag"): _etag(row), (DAV, "getcontenttype"): spec["mime"], (DAV, "resourcetype"): None,
    }
    if with_data:
        props[spec["data"]] = spec["render"](row)
    return Resource(_href(kind, folder, row["uid"]), props)


def _sync_token(folder: int) -> str:
    return f"{SYNC_TOKEN}{folder}/{int(time.time() * 1000)}"


def _reports(kind: str) -> list:
    names = [(DAV, "sync-collection")] + ([(CALDAV, "calendar-multiget"), (CALDAV, "calendar-query"),
                                           (CALDAV, "free-busy-query")]
                                          if kind == "caldav" else [(CARDDAV, "addressbook-multiget")])
    return [((DAV, "supported-report"), [((DAV, "report"), [(name, None)])]) for name in names]


def _href(kind: str, folder: str, uid: str) -> str:
    return f"{ROOT}/{kind}/{folder}/{quote(uid)}{KINDS[kind]['suffix']}"


def _parts(request: web.Request) -> list[str]:
    return [unquote(p) for p in request.match_info.get("tail", "").split("/") if p]


def _segment(folder: dict) -> str:
    """A collection's path segment: its folder id, or the name a client gave it with MKCALENDAR."""
    name = folder["name"]
    return name if not folder["standard"] and SEGMENT.fullmatch(name) and not name.isdigit() else str(folder["id"])


async def _folder_of(request, cid, user_id, kind: str, segment: str) -> dict | None:
    folders = await _folders(request, cid, user_id, KINDS[kind]["module"])
    return next((folder for folder in folders if _segment(folder) == segment), None)


async def _make_calendar(request, cid: int, user_id: int, segment: str, found: dict | None) -> web.Response:
    """MKCALENDAR (RFC 4791 5.3.1): a new calendar folder of the user, reached at the segment the client chose."""
    if found is not None:
        return precondition(DAV, "resource-must-be-null", f"{segment} exists", status=405)
    if not SEGMENT.fullmatch(segment) or segment.isdigit():
        return precondition(DAV, "resource-must-be-null", f"{segment!r} cannot name a calendar here")
    schema, now = schema_name(cid), int(time.time() * 1000)
    await request.app["services"].db.write(schema, lambda c: c.execute(
        f"INSERT INTO `{schema}`.folder (parent, name, module, owner, type, standard, created, last_modified) "
        "VALUES (1, %s, 'calendar', %s, 1, 0, %s, %s)", (segment, user_id, now, now)))
    return web.Response(status=201)


async def _remove_collection(request, cid: int, kind: str, folder: dict) -> web.Response:
    """DELETE of a collection a client made; the user's standard folders stay."""
    if folder["standard"]:
        return web.Response(status=403, text="a standard folder cannot be deleted")
    schema, table = schema_name(cid), KINDS[kind]["table"]

    def remove(cursor):
        cursor.execute(f"DELETE FROM `{schema}`.{table} WHERE folder = %s", (folder["id"],))
        cursor.execute(f"DELETE FROM `{schema}`.folder WHERE id = %s", (folder["id"],))

    await request.app["services"].db.write(schema, remove)
    return web.Response(status=204)


def _principal_search(login: str, body: bytes) -> web.Response:
    """principal-property-search (RFC 3744 9.4): a user finds only their own principal, by any part of their
    login or name; no search text lists it too."""
    document = document_of(body)
    if document is None or etree.QName(document).localname != "principal-property-search":
        return precondition(DAV, "supported-report", "only principal-property-search is answered here")
    texts = [match.text or "" for match in document.iter(f"{{{DAV}}}match")]
    found = all(text.casefold() in login.casefold() for text in texts)
    props = {**_common(login), (DAV, "resourcetype"): [((DAV, "principal"), None)], (DAV, "displayname"): login}
    return multistatus([Resource(_principal(login), props)] if found else [], requested(body))


async def handle(request: web.Request) -> web.StreamResponse:
    if request.method == "OPTIONS":
        return web.Response(headers={"DAV": "1, 3, calendar-access, addressbook, sync-collection", "Allow":
                                     "OPTIONS, GET, PUT, DELETE, PROPFIND, REPORT, MKCALENDAR"})
    login, cid, user = await _authenticate(request)
    parts = _parts(request)
    method = request.method
    body = await request.read()
    depth = request.headers.get("Depth", "1")
    if method == "PROPFIND" and (not parts or parts[0] == "principals"):
        props = {**_common(login), (DAV, "resourcetype"): [((DAV, "collection"), None)], (DAV, "displayname"): login}
        href = _principal(login) if parts else f"{ROOT}/"
        return multistatus([Resource(href, props)], requested(body))
    if method == "REPORT" and (not parts or parts[0] == "principals"):
        return _principal_search(login, body)
    if not parts or parts[0] not in KINDS:
        raise web.HTTPNotFound()
    kind = parts[0]
    spec = KINDS[kind]
    if len(parts) == 1:
        if method != "PROPFIND":
            raise web.HTTPMethodNotAllowed(method, ["PROPFIND"])
        return multistatus(await _collection_resources(request, login, cid, user["id"], kind, depth), requested(body))
    found = await _folder_of(request, cid, user["id"], kind, parts[1])
    if method == "MKCALENDAR" and len(parts) == 2 and kind == "caldav":
        return await _make_calendar(request, cid, user["id"], parts[1], found)
    if found is None:
        raise web.HTTPNotFound()
    folder, segment = found["id"], _segment(found)
    rows = await _objects(request, cid, spec["table"], folder)
    if len(parts) == 2:
        if method == "PROPFIND":
            resources = [r for r in await _collection_resources(request, login, cid, user["id"], kind, "1")
                         if r.href == f"{ROOT}/{kind}/{segment}/"]
            if depth != "0":
                resources += [_object_resource(kind, segment, row, False) for row in rows]
            return multistatus(resources, requested(body))
        if method == "REPORT":
            return await _report(request, cid, kind, (folder, segment), rows, body)
        if method == "DELETE":
            return await _remove_collection(request, cid, kind, found)
        raise web.HTTPMethodNotAllowed(method, ["PROPFIND", "REPORT", "DELETE"])
    uid = parts[2].removesuffix(spec["suffix"])
    row = next((r for r in rows if r["uid"] == uid), None)
    if method == "GET":
        if row is None:
            raise web.HTTPNotFound()
        return web.Response(text=spec["render"](row), content_type=spec["mime"].split(";")[0], charset="utf-8",
                            headers={"ETag": _etag(row)})
    if method in ("PUT", "DELETE") and not _conditions_hold(request, row):
        return web.Response(status=412, text="the resource's ETag is not the one the request names")
    if method == "PUT":
        values = spec["parse"](body.decode("utf-8", errors="replace"))
        values["uid"] = uid
        etag = await _store(request, cid, user["id"], spec["table"], folder, row, values)
        return web.Response(status=204 if row else 201, headers={"ETag": etag})
    if method == "DELETE":
        if row is None:
            raise web.HTTPNotFound()
        schema = schema_name(cid)
        await request.app["services"].db.write(schema, lambda c: (
            tombstones.remember(c, schema, spec["table"], row["id"]),
            c.execute(f"DELETE FROM `{schema}`.{spec['table']} WHERE id = %s", (row["id"],))))
        return web.Response(status=204)
    raise web.HTTPMethodNotAllowed(method, ["GET", "PUT", "DELETE"])


def _conditions_hold(request: web.Request, row: dict | None) -> bool:
    """If-Match (the stored ETag, or * for any) and If-None-Match: * (create only) as RFC 7232 reads them."""
    if_match = request.headers.get("If-Match")
    if if_match is not None:
        wanted = {tag.strip() for tag in if_match.split(",")}
        if row is None or ("*" not in wanted and _etag(row) not in wanted):
            return False
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and row is not None:
        wanted = {tag.strip() for tag in if_none_match.split(",")}
        if "*" in wanted or _etag(row) in wanted:
            return False
    return True


async def _report(request, cid: int, kind: str, where: tuple[int, str], rows: list[dict], body: bytes) -> web.Response:
    """calendar-multiget / addressbook-multiget (the hrefs named), calendar-query (the filter's matches),
    addressbook-query (every contact), sync-collection (what changed since the token)."""
    spec = KINDS[kind]
    folder, segment = where
    document = document_of(body)
    report = etree.QName(document).localname if document is not None else ""
    asked = requested(body) or [(DAV, "getetag"), spec["data"]]
    with_data = spec["data"] in asked
    if report == "sync-collection":
        return await _sync_collection(request, cid, kind, where, rows, document, asked)
    wanted = report_hrefs(body) if report.endswith("multiget") else set()
    selected = [row for row in rows if not wanted or _href(kind, segment, row["uid"]) in wanted]
    if report == "free-busy-query" and kind == "caldav":
        try:
            start, end = parse_free_busy(document)
        except UnsupportedFilter as exc:
            return precondition(CALDAV, "valid-filter", str(exc))
        return web.Response(text=free_busy([spec["render"](row) for row in rows], start, end),
                            content_type="text/calendar", charset="utf-8")
    if report == "calendar-query":
        try:
            found = parse_filter(document)
        except UnsupportedFilter as exc:
            return precondition(CALDAV, "supported-filter", str(exc))
        selected = [row for row in selected if matches(found, spec["render"](row))]
    return multistatus([_object_resource(kind, segment, row, with_data) for row in selected], asked)


async def _sync_collection(request, cid: int, kind: str, where: tuple[int, str], rows: list[dict], document, asked):
    """RFC 6578: with no token every member; with one, the members written at or after it and a 404 for each
    deleted since; always a new token. A token of another collection or server is refused."""
    spec = KINDS[kind]
    folder, segment = where
    given = (document.findtext(f"{{{DAV}}}sync-token") or "").strip()
    token = _sync_token(folder)
    if not given:
        return multistatus([_object_resource(kind, segment, row, spec["data"] in asked) for row in rows], asked,
                           sync_token=token)
    found = re.fullmatch(rf"{re.escape(SYNC_TOKEN)}{folder}/(\d+)", given)
    if not found:
        return precondition(DAV, "valid-sync-token", f"{given} is not a token of this collection")
    since = int(found.group(1))
    schema = schema_name(cid)
    gone = await request.app["services"].db.read(
        schema, lambda c: tombstones.deleted_since(c, schema, spec["table"], folder, since))
    changed = [row for row in rows if row["last_modified"] >= since]
    return multistatus([_object_resource(kind, segment, row, spec["data"] in asked) for row in changed], asked,
                       gone=[_href(kind, segment, uid) for uid in gone], sync_token=token)


async def _store(request, cid: int, user_id: int, table: str, folder: int, row: dict | None, values: dict) -> str:
    schema = schema_name(cid)
    now = int(time.time() * 1000)
    values = {**values, "last_modified": now}

    def write(cursor):
        if row is None:
            names = ["folder", "created_by", "created", *values]
            cursor.execute(
                f"INSERT INTO `{schema}`.{table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                [folder, user_id, now, *values.values()],
            )
            return cursor.lastrowid
        cursor.execute(f"UPDATE `{schema}`.{table} SET {', '.join(f'{k} = %s' for k in values)} WHERE id = %s",
                       [*values.values(), row["id"]])
        return row["id"]

    ident = await request.app["services"].db.write(schema, write)
    return f'"{ident}-{now}"'


async def handle_dav(request: web.Request) -> web.StreamResponse:
    """Backend failures become 503 (a DAV client cannot read the OX envelope)."""
    try:
        return await handle(request)
    except errors.OXException as exc:
        return web.Response(status=503, text=f"{exc.code}: {exc.message}", headers={"Retry-After": "5"})


async def well_known(request: web.Request) -> web.Response:
    """RFC 6764 service discovery: /.well-known/caldav and /.well-known/carddav lead to the DAV root."""
    raise web.HTTPMovedPermanently(f"{ROOT}/")
