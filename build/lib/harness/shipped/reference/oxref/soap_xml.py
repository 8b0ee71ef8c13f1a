"""The XML side of SOAP provisioning: the WSDL, request parsing, the operations, responses and faults.

The WSDL is document/literal with the types in OX's dataobjects namespace,
so that zeep consumes it. Incoming elements are matched by local name, so
any client's namespace prefixes work. No HTTP here (see `soap`).
"""

from __future__ import annotations

from typing import Any, Callable

from lxml import etree

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


# -- requests ----------------------------------------------------------------------


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((item for item in element if isinstance(item.tag, str) and local_name(item) == name), None)


def text_of(element: etree._Element | None, name: str) -> str | None:
    found = child(element, name)
    if found is None or found.get(f"{{{XSI}}}nil") == "true":
        return None
    return found.text or ""


def _int(element: etree._Element | None, name: str) -> int | None:
    value = text_of(element, name)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise _fault("Client", f"{name} must be a number, got {value!r}") from None


def context_of(element: etree._Element | None) -> ContextData:
    cid = _int(element, "id")
    if cid is None:
        raise _fault("Client", "ctx.id is missing")
    mappings = [item.text for item in (element if element is not None else [])
                if isinstance(item.tag, str) and local_name(item) == "loginMappings" and item.text]
    quota = _int(element, "maxQuota")
    return ContextData(id=cid, name=text_of(element, "name") or "", login_mappings=mappings,
                       max_quota=quota if quota is not None else -1)


def user_of(element: etree._Element | None) -> UserData:
    return UserData(
        id=_int(element, "id"),
        name=text_of(element, "name") or "",
        password=text_of(element, "password") or "",
        display_name=text_of(element, "display_name") or "",
        given_name=text_of(element, "given_name") or "",
        sur_name=text_of(element, "sur_name") or "",
        primary_email=text_of(element, "primaryEmail") or text_of(element, "email1") or "",
        language=text_of(element, "language") or "en_US",
        timezone=text_of(element, "timezone") or "Europe/Berlin",
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
    auth = child(request, "auth")
    return text_of(auth, "login") or "", text_of(auth, "password") or ""


def context_service(services, operation: str, request: etree._Element) -> Any:
    provisioning = services.provisioning
    login, password = _credentials(request)
    if not provisioning.is_master(login, password):
        raise _fault("Client", "Authentication failed: the master admin credentials are wrong")
    if operation == "create":
        context = provisioning.create_context(context_of(child(request, "ctx")), user_of(child(request, "admin_user")))
        return _context_out(provisioning.get_context(context.id))
    if operation == "delete":
        provisioning.delete_context(context_of(child(request, "ctx")).id)
        return None
    if operation == "list":
        return [_context_out(row) for row in provisioning.list_contexts(text_of(request, "search_pattern") or "*")]
    if operation == "getData":
        return _context_out(provisioning.get_context(context_of(child(request, "ctx")).id))
    raise _fault("Client", f"unknown operation {operation}")


def user_service(services, operation: str, request: etree._Element) -> Any:
    provisioning = services.provisioning
    cid = context_of(child(request, "ctx")).id
    login, password = _credentials(request)
    provisioning.check_admin(cid, login, password)
    if operation == "create":
        user = provisioning.create_user(cid, user_of(child(request, "usrdata")))
        return _user_out(provisioning.get_user(cid, user.id))
    if operation == "delete":
        target = user_of(child(request, "user"))
        user_id = target.id or provisioning.get_user(cid, name=target.name)["id"]
        provisioning.delete_user(cid, user_id)
        return None
    if operation == "list":
        return [_user_out(row) for row in provisioning.list_users(cid, text_of(request, "search_pattern") or "*")]
    if operation == "getData":
        target = user_of(child(request, "user"))
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


def response_document(service: str, operation: str, result: Any) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "ns": SERVICE_NS, "ax": TYPES_NS})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    response = etree.SubElement(body, f"{{{SERVICE_NS}}}{operation}Response")
    returns = SERVICES[service][operation][1]
    for item in (result if isinstance(result, list) else [] if result is None else [result]):
        element = etree.SubElement(response, f"{{{SERVICE_NS}}}return")
        for field, _, many in TYPES[returns]:
            values = item.get(field)
            for value in (values or [] if many else [values]):
                if value is None:
                    continue
                sub = etree.SubElement(element, f"{{{TYPES_NS}}}{field}")
                sub.text = str(value).lower() if isinstance(value, bool) else str(value)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault_document(code: str, message: str) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soapenv:{code}"
    etree.SubElement(fault, "faultstring").text = message
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def parse_request(payload: bytes) -> etree._Element:
    """The operation element of a SOAP 1.1 request; SoapFault for anything else."""
    try:
        document = etree.fromstring(payload, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        raise SoapFault("Client", "The request is not a SOAP 1.1 envelope") from None
    body = child(document, "Body") if local_name(document) == "Envelope" else None
    if body is None:
        raise SoapFault("Client", "The request is not a SOAP 1.1 envelope")
    operation = next((item for item in body if isinstance(item.tag, str)), None)
    if operation is None:
        raise SoapFault("Client", "The SOAP body is empty")
    return operation
