"""SOAP provisioning over HTTP, as OX's control panel uses it: OXContextService and OXUserService.

`GET /webservices/<Service>?wsdl` returns the WSDL; `POST /webservices/<Service>`
takes a SOAP 1.1 envelope and answers the operation's response or a fault.
The XML work is in `soap_xml`; the provisioning calls run on the database threads.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from oxref import errors, soap_xml

log = logging.getLogger("oxref.soap")


async def handle_wsdl(request: web.Request) -> web.Response:
    service = request.match_info["service"]
    if service not in soap_xml.SERVICES:
        raise web.HTTPNotFound(text=f"no such service: {service}")
    location = f"{request.scheme}://{request.host}/webservices/{service}"
    return web.Response(text=soap_xml.wsdl(service, location), content_type="text/xml", charset="utf-8")


async def _forget_deleted(services, service: str, request) -> None:
    """Drop what this node cached about a deleted context or user (sessions, user rows, folders)."""
    cid = soap_xml.context_of(soap_xml.child(request, "ctx")).id
    user_id = soap_xml.user_of(soap_xml.child(request, "user")).id if service == "OXUserService" else None
    if service == "OXUserService" and user_id is None:
        return
    await services.sessions.remove_where(cid, user_id)
    services.users.entries.clear()
    services.default_folders.entries.clear()


async def handle_soap(request: web.Request) -> web.Response:
    service = request.match_info["service"]
    handler = soap_xml.HANDLERS.get(service)
    if handler is None:
        raise web.HTTPNotFound(text=f"no such service: {service}")
    services = request.app["services"]
    try:
        operation_element = soap_xml.parse_request(await request.read())
        operation = soap_xml.local_name(operation_element)
        if operation not in soap_xml.SERVICES[service]:
            raise soap_xml.SoapFault("Client", f"{service} has no operation {operation}")
        loop = asyncio.get_running_loop()
        result = await asyncio.wait_for(
            loop.run_in_executor(services.db.executor, handler, services, operation, operation_element), 30
        )
    except soap_xml.SoapFault as fault:
        return _fault(fault.code, fault.message)
    except errors.OXException as exc:
        kind = "Server" if exc.category in (errors.SERVICE_DOWN, errors.CONNECTIVITY, errors.TRY_AGAIN) else "Client"
        return _fault(kind, f"{exc.code}: {exc.message}")
    except asyncio.TimeoutError:
        return _fault("Server", "The provisioning call did not finish within 30 s")
    except Exception as exc:  # a SOAP client gets a fault, never an HTML page
        log.exception("%s failed", service)
        return _fault("Server", f"{type(exc).__name__}: {exc}")
    if operation == "delete":
        await _forget_deleted(services, service, operation_element)
    return web.Response(body=soap_xml.response_document(service, operation, result), content_type="text/xml",
                        charset="utf-8")


def _fault(code: str, message: str) -> web.Response:
    return web.Response(body=soap_xml.fault_document(code, message), status=500, content_type="text/xml", charset="utf-8")
