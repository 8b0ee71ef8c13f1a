"""SOAP provisioning without a server: the hand-written WSDL as zeep reads it, requests zeep writes, responses it reads."""

from __future__ import annotations

import pytest
import zeep
from lxml import etree

from oxref import soap_xml

NS = soap_xml.SERVICE_NS
MASTER = {"login": "oxadminmaster", "password": "secret"}


def _zeep(name: str, folder) -> zeep.Client:
    path = folder / f"{name}.wsdl"
    path.write_text(soap_xml.wsdl(name, f"http://ox.test/webservices/{name}"))
    return zeep.Client(str(path))


@pytest.fixture(scope="module", params=["OXContextService", "OXUserService"])
def service(request, tmp_path_factory):
    name = request.param
    client = _zeep(name, tmp_path_factory.mktemp("wsdl"))
    return name, client, client.bind(name, f"{name}HttpSoap11Endpoint")


def test_zeep_reads_the_wsdl_with_the_binding_the_harness_asks_for(service):
    name, client, bound = service
    binding = client.wsdl.bindings[f"{{{NS}}}{name}Soap11Binding"]
    assert set(binding._operations) == {"create", "delete", "list", "getData"}
    assert bound._binding_options["address"] == f"http://ox.test/webservices/{name}"


def _request(client, name: str, operation: str, **kwargs) -> etree._Element:
    envelope = client.create_message(client.bind(name, f"{name}HttpSoap11Endpoint"), operation, **kwargs)
    return soap_xml.parse_request(etree.tostring(envelope))


def test_a_context_create_as_zeep_writes_it_is_understood(tmp_path):
    name = "OXContextService"
    client = _zeep(name, tmp_path)
    element = _request(client, name, "create", ctx={"id": 42, "name": "acme", "maxQuota": 1024, "loginMappings": ["acme", "acme.example"]},
                       admin_user={"name": "oxadmin", "password": "pw", "display_name": "Admin", "primaryEmail": "a@acme.test"},
                       auth=MASTER)
    assert soap_xml.local_name(element) == "create"
    context = soap_xml.context_of(soap_xml.child(element, "ctx"))
    assert (context.id, context.name, context.max_quota, context.login_mappings) == (42, "acme", 1024, ["acme", "acme.example"])
    admin = soap_xml.user_of(soap_xml.child(element, "admin_user"))
    assert (admin.name, admin.password, admin.display_name, admin.primary_email) == ("oxadmin", "pw", "Admin", "a@acme.test")
    assert soap_xml.text_of(soap_xml.child(element, "auth"), "login") == "oxadminmaster"


def test_a_user_create_as_zeep_writes_it_is_understood(tmp_path):
    name = "OXUserService"
    client = _zeep(name, tmp_path)
    element = _request(client, name, "create", ctx={"id": 42},
                       usrdata={"name": "anton", "password": "pw", "email1": "anton@acme.test", "given_name": "Anton"},
                       auth={"login": "oxadmin", "password": "pw"})
    user = soap_xml.user_of(soap_xml.child(element, "usrdata"))
    assert (user.name, user.primary_email, user.given_name, user.language) == ("anton", "anton@acme.test", "Anton", "en_US")
    assert soap_xml.context_of(soap_xml.child(element, "ctx")).id == 42


def test_zeep_reads_the_responses(service):
    name, client, bound = service
    operation = bound._binding.get("list")
    if name == "OXContextService":
        rows = [{"id": 42, "name": "acme", "enabled": True, "maxQuota": -1, "loginMappings": ["acme", "42"]},
                {"id": 43, "name": "beta", "enabled": False, "maxQuota": 5, "loginMappings": []}]
    else:
        rows = [{"id": 3, "name": "anton", "display_name": "Anton", "primaryEmail": "anton@acme.test", "language": "en_US"}]
    document = etree.fromstring(soap_xml.response_document(name, "list", rows))
    result = operation.process_reply(document)
    assert [item.id for item in result] == [row["id"] for row in rows]
    if name == "OXContextService":
        assert result[0].loginMappings == ["acme", "42"] and result[1].enabled is False
    else:
        assert result[0].primaryEmail == "anton@acme.test"


def test_deletes_answer_an_empty_response(service):
    name, _, bound = service
    document = etree.fromstring(soap_xml.response_document(name, "delete", None))
    assert bound._binding.get("delete").process_reply(document) is None


def test_faults_are_soap_faults_zeep_raises():
    document = etree.fromstring(soap_xml.fault_document("Client", "Authentication failed"))
    fault = document.find(f"{{{soap_xml.SOAP_ENV}}}Body/{{{soap_xml.SOAP_ENV}}}Fault")
    assert fault.findtext("faultcode") == "soapenv:Client" and fault.findtext("faultstring") == "Authentication failed"


@pytest.mark.parametrize("payload, message", [
    (b"not xml", "not a SOAP 1.1 envelope"),
    (b"<a/>", "not a SOAP 1.1 envelope"),
    (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', "body is empty"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
     b"<s:Body><list>&e;</list></s:Body></s:Envelope>", None),
])
def test_bad_requests_become_client_faults(payload, message):
    if message is None:  # entities are not resolved: no file is read into the request
        element = soap_xml.parse_request(payload)
        assert "root:" not in (element.text or "")
        return
    with pytest.raises(soap_xml.SoapFault) as caught:
        soap_xml.parse_request(payload)
    assert caught.value.code == "Client" and message in caught.value.message


def test_ids_must_be_numbers():
    element = etree.fromstring(b"<ctx><id>abc</id></ctx>")
    with pytest.raises(soap_xml.SoapFault, match="id must be a number"):
        soap_xml.context_of(element)
    with pytest.raises(soap_xml.SoapFault, match="ctx.id is missing"):
        soap_xml.context_of(etree.fromstring(b'<ctx><id xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/></ctx>'))
