"""SOAP provisioning as OX's control panel uses it: OXContextService and OXUserService.

`GET /webservices/<Service>?wsdl` returns a document/literal WSDL (types in
OX's dataobjects namespace) that zeep consumes; `POST /webservices/<Service>`
takes the SOAP 1.1 envelope. Incoming elements are matched by local name,
so any client's namespace prefixes work. Failures are SOAP faults.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from aiohttp import web
from lxml import etree

from oxref import errors
from oxref.provisioning import ContextData, UserData

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://soap.admin.openexchange.com"
TYPES_NS = "http://dataobjects.soap.admin.openexchange.com/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
UNBOUNDED = ' maxOccurs="unbounded"'

TYPES = {
    "Credentials": [("login", "xsd:string", False), ("password", "xsd:string", False)],
    "Context": [
        ("id", "xsd:int", False), ("name", "xsd:string", False), ("enabled", "xsd:boolean", False),
        ("maxQuota", "xsd:long", False), ("loginMappings", "xsd:string", True),
    ],
    "User": [
        ("id", "xsd:int", False), ("name", "xsd:string", False), ("password", "xsd:string", False),
        ("display_name", "xsd:string", False), ("given_name", "xsd:string", False), ("sur_name", "xsd:string", False),
        ("primaryEmail", "xsd:string", False), ("email1", "xsd:string", False), ("language", "xsd:string", False),
        ("timezone", "xsd:string", False),
    ],
}
# service -> operation -> (parameters [(name, type)], return type, many results)
SERVICES: dict[str, dict[str, tuple[list[tuple[str, str]], str | None, bool]]] = {
    "OXContextService": {
        "create": ([("ctx", "Context"), ("admin_user", "User"), ("auth", "Credentials")], "Context", False),
        "delete": ([("ctx", "Context"), ("auth", "Credentials")], None, False),
        "list": ([("search_pattern", "xsd:string"), ("auth", "Credentials")], "Context", True),
        "getData": ([("ctx", "Context"), ("auth", "Credentials")], "Context", False),
    },
    "OXUserService": {
        "create": ([("ctx", "Context"), ("usrdata", "User"), ("auth", "Credentials")], "User", False),
        "delete": ([("ctx", "Context"), ("user", "User"), ("auth", "Credentials")], None, False),
        "list": ([("ctx", "Context"), ("search_pattern", "xsd:string"), ("auth", "Credentials")], "User", True),
        "getData": ([("ctx", "Context"), ("user", "User"), ("auth", "Credentials")], "User", False),
    },
}


# -- WSDL --------------------------------------------------------------------------


def wsdl(service: str, location: str) -> str:
    operations = SERVICES[service]
    types = "".join(
        f'<xsd:complexType name="{name}"><xsd:sequence>'
        + "".join(
            f'<xsd:element name="{field}" type="{kind}" minOccurs="0"{UNBOUNDED if many else ""} nillable="true"/>'
            for field, kind, many in fields
        )
        + "</xsd:sequence></xsd:complexType>"
        for name, fields in TYPES.items()
    )

    def type_ref(kind: str) -> str:
        return kind if kind.startswith("xsd:") else f"ax:{kind}"

    elements = ""
    messages = ""
    port_ops = ""
    binding_ops = ""
    for op, (params, returns, many) in operations.items():
        elements += f'<xsd:element name="{op}"><xsd:complexType><xsd:sequence>' + "".join(
            f'<xsd:element name="{name}" type="{type_ref(kind)}" minOccurs="0" nillable="true"/>' for name, kind in params
        ) + "</xsd:sequence></xsd:complexType></xsd:element>"
        result = (
            f'<xsd:element name="return" type="ax:{returns}" minOccurs="0"{UNBOUNDED if many else ""} nillable="true"/>'
            if returns
            else ""
        )
        elements += f'<xsd:element name="{op}Response"><xsd:complexType><xsd:sequence>{result}</xsd:sequence></xsd:complexType></xsd:element>'
        messages += (
            f'<wsdl:message name="{op}Request"><wsdl:part name="parameters" element="ns:{op}"/></wsdl:message>'
            f'<wsdl:message name="{op}Response"><wsdl:part name="parameters" element="ns:{op}Response"/></wsdl:message>'
        )
        port_ops += (
            f'<wsdl:operation name="{op}"><wsdl:input message="ns:{op}Request"/>'
            f'<wsdl:output message="ns:{op}Response"/></wsdl:operation>'
        )
        binding_ops += (
            f'<wsdl:operation name="{op}"><soap:operation soapAction="urn:{op}" style="document"/>'
            '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>'
            "</wsdl:operation>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"'
        f' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:ns="{SERVICE_NS}" xmlns:ax="{TYPES_NS}"'
        f' targetNamespace="{SERVICE_NS}">'
        "<wsdl:types>"
        f'<xsd:schema targetNamespace="{TYPES_NS}" elementFormDefault="qualified">{types}</xsd:schema>'
        f'<xsd:schema targetNamespace="{SERVICE_NS}" elementFormDefault="qualified">'
        f'<xsd:import namespace="{TYPES_NS}"/>{elements}</xsd:schema>'
        "</wsdl:types>"
        f"{messages}"
        f'<wsdl:portType name="{service}PortType">{port_ops}</wsdl:portType>'
        f'<wsdl:binding name="{service}Soap11Binding" type="ns:{service}PortType">'
        f'<soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>{binding_ops}</wsdl:binding>'
        f'<wsdl:service name="{service}"><wsdl:port name="{service}HttpSoap11Endpoint" binding="ns:{service}Soap11Binding">'
        f'<soap:address location="{location}"/></wsdl:port></wsdl:service>'
        "</wsdl:definitions>"
    )


async def handle_wsdl(request: web.Request) -> web.Response:
    service = request.match_info["service"]
    if service not in SERVICES:
        raise web.HTTPNotFound(text=f"no such service: {service}")
    location = f"{request.scheme}://{request.host}/webservices/{service}"
    return web.Response(text=wsdl(service, location), content_type="text/xml", charset="utf-8")


# -- requests ----------------------------------------------------------------------


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((child for child in element if isinstance(child.tag, str) and _local(child) == name), None)


def _text(element: etree._Element | None, name: str) -> str | None:
    child = _child(element, name)
    if child is None or child.get(f"{{{XSI}}}nil") == "true":
        return None
    return child.text or ""


def _int(element: etree._Element | None, name: str) -> int | None:
    value = _text(element, name)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise _fault("Client", f"{name} must be a number, got {value!r}") from None


def _context(element: etree._Element | None) -> ContextData:
    cid = _int(element, "id")
    if cid is None:
        raise _fault("Client", "ctx.id is missing")
    mappings = [child.text for child in (element if element is not None else []) if _local(child) == "loginMappings" and child.text]
    quota = _int(element, "maxQuota")
    return ContextData(id=cid, name=_text(element, "name") or "", login_mappings=mappings,
                       max_quota=quota if quota is not None else -1)


def _user(element: etree._Element | None) -> UserData:
    return UserData(
        id=_int(element, "id"),
        name=_text(element, "name") or "",
        password=_text(element, "password") or "",
        display_name=_text(element, "display_name") or "",
        given_name=_text(element, "given_name") or "",
        sur_name=_text(element, "sur_name") or "",
        primary_email=_text(element, "primaryEmail") or _text(element, "email1") or "",
        language=_text(element, "language") or "en_US",
        timezone=_text(element, "timezone") or "Europe/Berlin",
    )


class SoapFault(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _fault(code: str, message: str) -> SoapFault:
    return SoapFault(code, message)


# -- operations --------------------------------------------------------------------


def _credentials(request: etree._Element) -> tuple[str, str]:
    auth = _child(request, "auth")
    return _text(auth, "login") or "", _text(auth, "password") or ""


def context_service(services, operation: str, request: etree._Element) -> Any:
    provisioning = services.provisioning
    login, password = _credentials(request)
    if not provisioning.is_master(login, password):
        raise _fault("Client", "Authentication failed: the master admin credentials are wrong")
    if operation == "create":
        context = provisioning.create_context(_context(_child(request, "ctx")), _user(_child(request, "admin_user")))
        return _context_out(provisioning.get_context(context.id))
    if operation == "delete":
        provisioning.delete_context(_context(_child(request, "ctx")).id)
        return None
    if operation == "list":
        return [_context_out(row) for row in provisioning.list_contexts(_text(request, "search_pattern") or "*")]
    if operation == "getData":
        return _context_out(provisioning.get_context(_context(_child(request, "ctx")).id))
    raise _fault("Client", f"unknown operation {operation}")


def user_service(services, operation: str, request: etree._Element) -> Any:
    provisioning = services.provisioning
    cid = _context(_child(request, "ctx")).id
    login, password = _credentials(request)
    provisioning.check_admin(cid, login, password)
    if operation == "create":
        user = provisioning.create_user(cid, _user(_child(request, "usrdata")))
        return _user_out(provisioning.get_user(cid, user.id))
    if operation == "delete":
        target = _user(_child(request, "user"))
        user_id = target.id or provisioning.get_user(cid, name=target.name)["id"]
        provisioning.delete_user(cid, user_id)
        return None
    if operation == "list":
        return [_user_out(row) for row in provisioning.list_users(cid, _text(request, "search_pattern") or "*")]
    if operation == "getData":
        target = _user(_child(request, "user"))
        row = provisioning.get_user(cid, target.id) if target.id else provisioning.get_user(cid, name=target.name)
        return _user_out(row)
    raise _fault("Client", f"unknown operation {operation}")


def _context_out(row: dict) -> dict:
    return {"id": row["cid"], "name": row["name"], "enabled": bool(row["enabled"]), "maxQuota": row["quota_max"],
            "loginMappings": row.get("login_mappings", [])}


def _user_out(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "display_name": row["display_name"], "given_name": row["given_name"],
            "sur_name": row["sur_name"], "primaryEmail": row["email"], "email1": row["email"],
            "language": row["language"], "timezone": row["timezone"]}


HANDLERS: dict[str, Callable[[Any, str, etree._Element], Any]] = {
    "OXContextService": context_service,
    "OXUserService": user_service,
}


# -- envelope ------------------------------------------------------------------------


def _response(service: str, operation: str, result: Any) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "ns": SERVICE_NS, "ax": TYPES_NS})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    response = etree.SubElement(body, f"{{{SERVICE_NS}}}{operation}Response")
    returns = SERVICES[service][operation][1]
    for item in (result if isinstance(result, list) else [] if result is None else [result]):
        element = etree.SubElement(response, f"{{{SERVICE_NS}}}return")
        for field, _, many in TYPES[returns]:
            values = item.get(field)
            for value in (values if many else [values]):
                if value is None:
                    continue
                child = etree.SubElement(element, f"{{{TYPES_NS}}}{field}")
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _fault_response(code: str, message: str) -> web.Response:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soapenv:{code}"
    etree.SubElement(fault, "faultstring").text = message
    return web.Response(body=etree.tostring(env, xml_declaration=True, encoding="UTF-8"), status=500,
                        content_type="text/xml", charset="utf-8")


async def handle_soap(request: web.Request) -> web.Response:
    service = request.match_info["service"]
    handler = HANDLERS.get(service)
    if handler is None:
        raise web.HTTPNotFound(text=f"no such service: {service}")
    try:
        document = etree.fromstring(await request.read(), etree.XMLParser(resolve_entities=False, no_network=True))
        body = _child(document, "Body")
        operation_element = next(child for child in body if isinstance(child.tag, str)) if body is not None else None
    except (etree.XMLSyntaxError, StopIteration, TypeError):
        return _fault_response("Client", "The request is not a SOAP 1.1 envelope")
    if operation_element is None:
        return _fault_response("Client", "The SOAP body is empty")
    operation = _local(operation_element)
    if operation not in SERVICES[service]:
        return _fault_response("Client", f"{service} has no operation {operation}")
    services = request.app["services"]
    loop = asyncio.get_running_loop()
    try:
        result = await asyncio.wait_for(
            loop.run_in_executor(services.db.executor, handler, services, operation, operation_element), 30
        )
    except SoapFault as fault:
        return _fault_response(fault.code, fault.message)
    except errors.OXException as exc:
        kind = "Server" if exc.category in (errors.SERVICE_DOWN, errors.CONNECTIVITY, errors.TRY_AGAIN) else "Client"
        return _fault_response(kind, f"{exc.code}: {exc.message}")
    except asyncio.TimeoutError:
        return _fault_response("Server", "The provisioning call did not finish within 30 s")
    return web.Response(body=_response(service, operation, result), content_type="text/xml", charset="utf-8")

