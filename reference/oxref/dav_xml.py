"""The XML of DAV answers and requests: multistatus with propstats, gone members and a sync token, a
precondition error, the properties a PROPFIND or REPORT asks for, the hrefs of a multiget."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from lxml import etree

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"
NSMAP = {"d": DAV, "cal": CALDAV, "card": CARDDAV, "cs": CS}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


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


def multistatus(resources: list[Resource], requested: list[tuple[str, str]] | None, gone: list[str] = (),
                sync_token: str | None = None) -> web.Response:
    """207 with each resource's found (200) and missing (404) properties; `gone`: members deleted since a sync
    token (a bare 404 response each), `sync_token`: the token of the state answered."""
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
    for href in gone:
        response = _el(root, DAV, "response")
        _el(response, DAV, "href", href)
        _el(response, DAV, "status", "HTTP/1.1 404 Not Found")
    if sync_token is not None:
        _el(root, DAV, "sync-token", sync_token)
    body = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return web.Response(status=207, body=body, content_type="application/xml", charset="utf-8")


def _write_prop(element: etree._Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        element.text = value
        return
    for kind, content in value:  # [(("DAV:", "collection"), None), (("DAV:", "href"), "/x"), (comp, {"name": ..})]
        child = _el(element, kind[0], kind[1])
        if isinstance(content, str):
            child.text = content
        elif isinstance(content, dict):
            for name, attribute in content.items():
                child.set(name, attribute)
        elif content:
            _write_prop(child, content)


def document_of(body: bytes) -> etree._Element | None:
    """The request body as XML (None when empty); not XML is a 400."""
    if not body.strip():
        return None
    try:
        return etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError:
        raise web.HTTPBadRequest(text="the request body is not XML") from None


def precondition(namespace: str, name: str, why: str, status: int = 403) -> web.Response:
    """A failed precondition (RFC 4918 16): the error element names it, the text says why."""
    root = etree.Element(f"{{{DAV}}}error", nsmap=NSMAP)
    _el(root, namespace, name)
    etree.SubElement(root, f"{{{CS}}}message").text = why
    return web.Response(status=status, body=etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                        content_type="application/xml", charset="utf-8")


def requested(body: bytes) -> list[tuple[str, str]] | None:
    """The properties asked for (None: all of them)."""
    document = document_of(body)
    if document is None:
        return None
    prop = document.find(f"{{{DAV}}}prop")
    if prop is None:
        return None
    return [(etree.QName(child).namespace, etree.QName(child).localname) for child in prop if isinstance(child.tag, str)]


def report_hrefs(body: bytes) -> set[str]:
    """The hrefs a multiget names."""
    try:
        document = etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError:
        return set()
    return {element.text for element in document.iter(f"{{{DAV}}}href") if element.text}
