"""DAV as sync clients speak it, through the balancer's sync pool: Basic auth with the OX login, optionally
pinned to one pool member by its JSESSIONID route, as a sticky balancer honours it.

CalDAV goes through the `caldav` library, as calendar apps built on it do (`calendar_client`); discovery,
CardDAV and the checks of who answered are plain HTTP (`DavClient`), where a library would hide what is
checked. Every request records the route of the member that answered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import caldav
import httpx
from lxml import etree

from harness.clients.ox_http import RoutedClient, route_of

__all__ = ["CALDAV", "CARDDAV", "DAV", "DAV_ROOT", "DavClient", "DavError", "Multistatus", "calendar_client",
           "calendar_of", "event_uids", "sync_collection", "time_range_query", "vcard", "vevent"]

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
DAV_ROOT = "/servlet/dav/"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class DavError(Exception):
    """A DAV answer that is not what a client can work with; says which request and what came back."""


@dataclass(frozen=True)
class Multistatus:
    """A 207 answer: per href, its found properties (qualified name -> element); the hrefs answered with a bare
    404 (members gone since a sync token); the sync token, where the answer carries one."""

    responses: dict[str, dict[tuple[str, str], etree._Element]]
    gone: frozenset[str] = frozenset()
    sync_token: str | None = None

    def hrefs_of(self, href: str, namespace: str, name: str) -> list[str]:
        """The hrefs inside one property of one resource (current-user-principal, a home set, ...)."""
        prop = self.responses.get(href, {}).get((namespace, name))
        return [element.text.strip() for element in prop.iter(f"{{{DAV}}}href") if element.text] if prop is not None else []

    def first_hrefs(self, namespace: str, name: str) -> list[str]:
        return next((found for href in self.responses if (found := self.hrefs_of(href, namespace, name))), [])

    def collections(self, namespace: str, kind: str) -> list[str]:
        """Hrefs whose resourcetype holds `kind` (calendar, addressbook)."""
        found = []
        for href, props in self.responses.items():
            kinds = props.get((DAV, "resourcetype"))
            if kinds is not None and kinds.find(f"{{{namespace}}}{kind}") is not None:
                found.append(href)
        return found


class DavClient(RoutedClient):
    """Plain DAV requests as one user, through the public URL."""

    def __init__(self, base_url: str, login: str, password: str, *, route: str | None = None,
                 verify: bool | str = True, timeout: float = 20.0):
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, auth=(login, password), verify=verify, timeout=timeout,
                                 follow_redirects=False)
        self.login, self.password, self.verify = login, password, verify
        if route:
            self.pin_route(route)
        self.answered_by: str | None = None  # route of the member that answered the last request

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.http.cookies.jar)

    def request(self, method: str, path: str, *, body: str | bytes | None = None, depth: str | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if depth is not None:
            sent["Depth"] = depth
        if isinstance(body, str):
            body = body.encode()
            sent.setdefault("Content-Type", "application/xml; charset=utf-8")
        response = self.http.request(method, path, content=body, headers=sent)
        self.answered_by = route_of(response.cookies.get("JSESSIONID")) or self.route
        return response

    def propfind(self, path: str, props: list[tuple[str, str]], depth: str = "0") -> Multistatus:
        root = etree.Element(f"{{{DAV}}}propfind", nsmap={"d": DAV, "c": CALDAV, "a": CARDDAV})
        wanted = etree.SubElement(root, f"{{{DAV}}}prop")
        for namespace, name in props:
            etree.SubElement(wanted, f"{{{namespace}}}{name}")
        response = self.request("PROPFIND", path, body=etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                                depth=depth, headers={"Content-Type": "application/xml; charset=utf-8"})
        if response.status_code != 207:
            raise DavError(f"PROPFIND {path} answered HTTP {response.status_code}, not 207 Multi-Status")
        return parse_multistatus(response.content, path)

    def report(self, path: str, body: str) -> Multistatus:
        """A REPORT on a collection (Depth 1); anything but 207 is a DavError naming the status."""
        response = self.request("REPORT", path, body=body, depth="1")
        if response.status_code != 207:
            raise DavError(f"REPORT {path} answered HTTP {response.status_code}, not 207 Multi-Status: "
                           f"{response.text[:200]!r}")
        return parse_multistatus(response.content, path)

    def absolute(self, href: str) -> str:
        """A path on this server for an href a server gave (absolute URL or path)."""
        return httpx.URL(urljoin(self.base_url + "/", href)).raw_path.decode()


def parse_multistatus(content: bytes, path: str) -> Multistatus:
    try:
        document = etree.fromstring(content, PARSER)
    except etree.XMLSyntaxError as exc:
        raise DavError(f"PROPFIND {path}: the answer is not XML ({exc})") from None
    found: dict[str, dict[tuple[str, str], etree._Element]] = {}
    gone = set()
    for response in document.iter(f"{{{DAV}}}response"):
        href = response.findtext(f"{{{DAV}}}href", "").strip()
        if " 404 " in f" {response.findtext(f'{{{DAV}}}status', '')} ":
            gone.add(href)
            continue
        props: dict[tuple[str, str], etree._Element] = {}
        for propstat in response.iter(f"{{{DAV}}}propstat"):
            if " 200 " not in f" {propstat.findtext(f'{{{DAV}}}status', '')} ":
                continue
            for prop in propstat.iter(f"{{{DAV}}}prop"):
                for element in prop:
                    qname = etree.QName(element)
                    props[(qname.namespace or "", qname.localname)] = element
        found[href] = props
    token = document.findtext(f"{{{DAV}}}sync-token")
    return Multistatus(found, frozenset(gone), token.strip() if token else None)


def time_range_query(component: str, start: str | None, end: str | None) -> str:
    """A calendar-query REPORT body: the `component`s (VEVENT, VTODO) overlapping [start, end), either open."""
    bounds = "".join(f' {name}="{value}"' for name, value in (("start", start), ("end", end)) if value)
    return (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="{DAV}" xmlns:c="{CALDAV}">'
            f'<d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="{component}">'
            f'<c:time-range{bounds}/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>')


def sync_collection(token: str | None) -> str:
    """A sync-collection REPORT body (RFC 6578): every member without a token, the changes since it with one."""
    return (f'<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="{DAV}"><d:sync-token>{token or ""}'
            '</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')


def calendar_of(client: DavClient) -> str:
    """The path of the user's first calendar: principal, calendar home set, its first calendar."""
    root = client.propfind(DAV_ROOT, [(DAV, "current-user-principal")])
    principal = root.first_hrefs(DAV, "current-user-principal")
    if not principal:
        raise DavError(f"PROPFIND {DAV_ROOT} names no current-user-principal")
    home = client.propfind(client.absolute(principal[0]), [(CALDAV, "calendar-home-set")])
    homes = home.first_hrefs(CALDAV, "calendar-home-set")
    if not homes:
        raise DavError(f"the principal {principal[0]} names no calendar-home-set")
    listed = client.propfind(client.absolute(homes[0]), [(DAV, "resourcetype")], depth="1")
    calendars = listed.collections(CALDAV, "calendar")
    if not calendars:
        raise DavError(f"the calendar home {homes[0]} lists no calendar")
    return client.absolute(calendars[0]).rstrip("/") + "/"


def event_uids(client: DavClient, calendar: str) -> set[str]:
    """UIDs of the events a calendar lists (its members are named <uid>.ics)."""
    listed = client.propfind(calendar, [(DAV, "getetag")], depth="1")
    names = (href.rstrip("/").rsplit("/", 1)[-1] for href in listed.responses)
    return {name.removesuffix(".ics") for name in names if name.endswith(".ics")}


def calendar_client(client: DavClient) -> caldav.DAVClient:
    """The caldav library's client on the same URL, account and member as `client`."""
    return caldav.DAVClient(url=client.base_url + DAV_ROOT, username=client.login, password=client.password,
                            ssl_verify_cert=client.verify, headers={"Cookie": client.cookie_header},
                            timeout=20, enable_rfc6764=False, require_tls=False)


def vevent(uid: str, summary: str, start: str, end: str) -> str:
    """A minimal, well-formed iCalendar event (start and end as UTC `YYYYMMDDTHHMMSSZ`)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ox-harness//sync check//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:{stamp}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def vcard(uid: str, first: str, last: str, email: str) -> str:
    """A vCard 3.0, as phones and Thunderbird send them."""
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{first} {last}\r\nN:{last};{first};;;\r\n"
            f"EMAIL;TYPE=INTERNET:{email}\r\nEND:VCARD\r\n")
