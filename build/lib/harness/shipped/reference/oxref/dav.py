"""CalDAV and CardDAV under /servlet/dav, enough for standard clients to discover, list, create and read.

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
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote

import icalendar
import vobject
from aiohttp import web
from lxml import etree

from oxref import errors
from oxref.schema import schema_name

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"
NSMAP = {"d": DAV, "cal": CALDAV, "card": CARDDAV, "cs": CS}
ROOT = "/servlet/dav"


def _el(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


class Resource:
    """One DAV resource: its href and the properties it answers."""

    def __init__(self, href: str, props: dict[tuple[str, str], Any]):
        self.href = href
        self.props = props


def _multistatus(resources: list[Resource], requested: list[tuple[str, str]] | None) -> web.Response:
    root = etree.Element(f"{{{DAV}}}multistatus", nsmap=NSMAP)
    for resource in resources:
        response = _el(root, DAV, "response")
        _el(response, DAV, "href", resource.href)
        wanted = requested or list(resource.props)
        found = [name for name in wanted if name in resource.props]
        missing = [name for name in wanted if name not in resource.props]
        for names, status in ((found, "HTTP/1.1 200 OK"), (missing, "HTTP/1.1 404 Not Found")):
            if not names:
                continue
            propstat = _el(response, DAV, "propstat")
            prop = _el(propstat, DAV, "prop")
            for ns, name in names:
                _write_prop(_el(prop, ns, name), resource.props.get((ns, name)))
            _el(propstat, DAV, "status", status)
    body = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return web.Response(status=207, body=body, content_type="application/xml", charset="utf-8")


def _write_prop(element: etree._Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        element.text = value
        return
    for kind, content in value:  # [(("DAV:", "collection"), None), (("DAV:", "href"), "/x")]
        child = _el(element, kind[0], kind[1])
        if isinstance(content, str):
            child.text = content
        elif content:
            _write_prop(child, content)


def _requested(body: bytes) -> list[tuple[str, str]] | None:
    if not body.strip():
        return None
    try:
        document = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        raise web.HTTPBadRequest(text="the request body is not XML") from None
    prop = document.find(f"{{{DAV}}}prop")
    if prop is None:
        return None
    return [(etree.QName(child).namespace, etree.QName(child).localname) for child in prop if isinstance(child.tag, str)]


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
        cursor.execute(f"SELECT id, name FROM `{schema}`.folder WHERE owner = %s AND module = %s", (user_id, module))
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


# -- calendar data ---------------------------------------------------------------------


def _event_ical(row: dict) -> str:
    if row.get("ical"):
        return row["ical"]
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ox-harness//oxref//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", row["uid"])
    event.add("summary", row["summary"])
    event.add("dtstart", _parse_value(row["start_value"]))
    event.add("dtend", _parse_value(row["end_value"]))
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _parse_value(value: str) -> datetime:
    for pattern in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise ValueError(value)


def _event_values(text: str) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(text)
    event = next((c for c in calendar.walk("VEVENT")), None)
    if event is None:
        raise web.HTTPBadRequest(text="no VEVENT in the calendar data")
    start = event.decoded("dtstart")
    end = event.decoded("dtend") if "dtend" in event else start

    def stamp(value) -> tuple[str, int]:
        if hasattr(value, "hour"):
            if value.tzinfo is not None:
                utc = value.astimezone(timezone.utc)
                return utc.strftime("%Y%m%dT%H%M%SZ"), int(utc.timestamp() * 1000)
            return value.strftime("%Y%m%dT%H%M%S"), int(value.timestamp() * 1000)
        return value.strftime("%Y%m%d"), int(time.mktime(value.timetuple()) * 1000)

    start_value, start_ms = stamp(start)
    end_value, end_ms = stamp(end)
    return {"uid": str(event.get("uid") or uuid.uuid4()), "summary": str(event.get("summary", "")),
            "description": str(event.get("description", "")), "location": str(event.get("location", "")),
            "start_value": start_value, "end_value": end_value, "start_ms": start_ms, "end_ms": end_ms, "ical": text}


def _contact_vcard(row: dict) -> str:
    card = vobject.vCard()
    card.add("uid").value = row["uid"]
    card.add("fn").value = row["display_name"] or f"{row['first_name']} {row['last_name']}".strip()
    card.add("n").value = vobject.vcard.Name(family=row["last_name"], given=row["first_name"])
    if row["email1"]:
        card.add("email").value = row["email1"]
    return card.serialize()


def _contact_values(text: str) -> dict[str, Any]:
    try:
        card = vobject.readOne(text)
    except Exception:
        raise web.HTTPBadRequest(text="the body is not a vCard") from None
    name = getattr(card, "n", None)
    return {
        "uid": str(card.uid.value) if hasattr(card, "uid") else str(uuid.uuid4()),
        "display_name": card.fn.value if hasattr(card, "fn") else "",
        "first_name": name.value.given if name else "",
        "last_name": name.value.family if name else "",
        "email1": card.email.value if hasattr(card, "email") else "",
    }


KINDS = {
    "caldav": {"module": "calendar", "table": "event", "suffix": ".ics", "mime": "text/calendar; charset=utf-8",
               "render": _event_ical, "parse": _event_values, "data": (CALDAV, "calendar-data")},
    "carddav": {"module": "contacts", "table": "contact", "suffix": ".vcf", "mime": "text/vcard; charset=utf-8",
                "render": _contact_vcard, "parse": _contact_values, "data": (CARDDAV, "address-data")},
}


# -- handlers --------------------------------------------------------------------------


def _principal(login: str) -> str:
    return f"{ROOT}/principals/{quote(login)}/"


def _common(login: str) -> dict[tuple[str, str], Any]:
    return {
        (DAV, "current-user-principal"): [((DAV, "href"), _principal(login))],
        (DAV, "principal-URL"): [((DAV, "href"), _principal(login))],
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
                (DAV, "sync-token"): f"{ROOT}/sync/{_ctag(rows)}",
            }
            if kind == "caldav":
                props[(CALDAV, "supported-calendar-component-set")] = [((CALDAV, "comp"), None)]
            resources.append(Resource(f"{ROOT}/{kind}/{folder['id']}/", props))
    return resources


def _object_resource(kind: str, folder: int, row: dict, with_data: bool) -> Resource:
    spec = KINDS[kind]
    props: dict[tuple[str, str], Any] = {
        (DAV, "getetag"): _etag(row), (DAV, "getcontenttype"): spec["mime"], (DAV, "resourcetype"): None,
    }
    if with_data:
        props[spec["data"]] = spec["render"](row)
    return Resource(f"{ROOT}/{kind}/{folder}/{quote(row['uid'])}{spec['suffix']}", props)


def _parts(request: web.Request) -> list[str]:
    return [unquote(p) for p in request.match_info.get("tail", "").split("/") if p]


async def _folder_of(request, cid, user_id, kind: str, folder_id: str) -> int:
    if not folder_id.isdigit() or int(folder_id) not in {f["id"] for f in await _folders(request, cid, user_id, KINDS[kind]["module"])}:
        raise web.HTTPNotFound()
    return int(folder_id)


async def handle(request: web.Request) -> web.StreamResponse:
    if request.method == "OPTIONS":
        return web.Response(headers={"DAV": "1, 2, 3, calendar-access, addressbook", "Allow":
                                     "OPTIONS, GET, PUT, DELETE, PROPFIND, REPORT"})
    login, cid, user = await _authenticate(request)
    parts = _parts(request)
    method = request.method
    body = await request.read()
    depth = request.headers.get("Depth", "1")
    if method == "PROPFIND" and (not parts or parts[0] == "principals"):
        props = {**_common(login), (DAV, "resourcetype"): [((DAV, "collection"), None)], (DAV, "displayname"): login}
        href = _principal(login) if parts else f"{ROOT}/"
        return _multistatus([Resource(href, props)], _requested(body))
    if not parts or parts[0] not in KINDS:
        raise web.HTTPNotFound()
    kind = parts[0]
    spec = KINDS[kind]
    if len(parts) == 1:
        if method != "PROPFIND":
            raise web.HTTPMethodNotAllowed(method, ["PROPFIND"])
        return _multistatus(await _collection_resources(request, login, cid, user["id"], kind, depth), _requested(body))
    folder = await _folder_of(request, cid, user["id"], kind, parts[1])
    rows = await _objects(request, cid, spec["table"], folder)
    if len(parts) == 2:
        if method == "PROPFIND":
            resources = [r for r in await _collection_resources(request, login, cid, user["id"], kind, "1")
                         if r.href == f"{ROOT}/{kind}/{folder}/"]
            if depth != "0":
                resources += [_object_resource(kind, folder, row, False) for row in rows]
            return _multistatus(resources, _requested(body))
        if method == "REPORT":
            requested = _requested(body) or [(DAV, "getetag"), spec["data"]]
            wanted = _report_hrefs(body)
            selected = [row for row in rows if not wanted or
                        f"{ROOT}/{kind}/{folder}/{quote(row['uid'])}{spec['suffix']}" in wanted]
            return _multistatus([_object_resource(kind, folder, row, spec["data"] in requested) for row in selected],
                                requested)
        raise web.HTTPMethodNotAllowed(method, ["PROPFIND", "REPORT"])
    uid = parts[2].removesuffix(spec["suffix"])
    row = next((r for r in rows if r["uid"] == uid), None)
    if method == "GET":
        if row is None:
            raise web.HTTPNotFound()
        return web.Response(text=spec["render"](row), content_type=spec["mime"].split(";")[0], charset="utf-8",
                            headers={"ETag": _etag(row)})
    if method == "PUT":
        values = spec["parse"](body.decode("utf-8", errors="replace"))
        values["uid"] = uid
        etag = await _store(request, cid, user["id"], spec["table"], folder, row, values)
        return web.Response(status=204 if row else 201, headers={"ETag": etag})
    if method == "DELETE":
        if row is None:
            raise web.HTTPNotFound()
        schema = schema_name(cid)
        await request.app["services"].db.write(
            schema, lambda c: c.execute(f"DELETE FROM `{schema}`.{spec['table']} WHERE id = %s", (row["id"],)))
        return web.Response(status=204)
    raise web.HTTPMethodNotAllowed(method, ["GET", "PUT", "DELETE"])


def _report_hrefs(body: bytes) -> set[str]:
    try:
        document = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return set()
    return {element.text for element in document.iter(f"{{{DAV}}}href") if element.text}


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
