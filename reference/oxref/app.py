"""The HTTP application of a middleware node: routes, the JSESSIONID route cookie, start-up.

The node starts even when its database, IMAP servers or filestore are
unreachable: `/health` then reports them DOWN, the configdb bootstrap keeps
retrying in the background, and API calls answer with the OX error envelope.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from aiohttp import web

from oxref import config as config_module
from oxref import dav, eas, errors, modules, soap  # noqa: F401  (modules registers the API actions)
from oxref.api import handle_api, json_response
from oxref.modules.config_tree import handle_config
from oxref.services import Services
from oxref.sessions import jsessionid_for
from oxref.workers import running_workers

log = logging.getLogger("oxref")
API_PREFIX = r"{prefix:(appsuite/api|ajax)}"
API_PATHS = ("/appsuite/api/", "/ajax/")
UI_ROOT = Path(__file__).resolve().parent.parent / "ui"


def _pin(request: web.Request, response: web.StreamResponse) -> None:
    if "JSESSIONID" in response.cookies or response.prepared:
        return
    route = request.app["services"].config.route
    response.set_cookie("JSESSIONID", jsessionid_for(route, request.cookies.get("JSESSIONID")), path="/", httponly=True)


@web.middleware
async def route_cookie(request: web.Request, handler):
    """Pin the client to this node as OX does (JSESSIONID=<number>.<route>); never answer an HTML 500."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _pin(request, exc)
        request.app["services"].metrics.response(area_of(request.path), exc.status)
        raise
    except errors.OXException as exc:
        response = json_response(exc.envelope())
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("unexpected error on %s %s", request.method, request.path)
        status = 200 if request.path.startswith(API_PATHS) else 500
        response = json_response(errors.internal(type(exc).__name__).envelope(), status=status)
    _pin(request, response)
    request.app["services"].metrics.response(area_of(request.path), response.status)
    return response


def area_of(path: str) -> str:
    if path.startswith(API_PATHS):
        return "api"
    for prefix, area in (("/servlet/dav", "dav"), ("/.well-known", "dav"), ("/webservices", "soap"),
                         ("/Microsoft-Server-ActiveSync", "eas"), ("/usm-json", "eas"), ("/health", "health"),
                         ("/metrics", "metrics")):
        if path.startswith(prefix):
            return area
    return "ui"


async def handle_health(request: web.Request) -> web.Response:
    services: Services = request.app["services"]
    report = await services.health.report(services.sessions.storage)
    return web.json_response(report, status=200 if report["status"] == "UP" else 503)


async def handle_live(request: web.Request) -> web.Response:
    """Liveness: the node's process answers; no backend is asked (a balancer's member watch knocks here)."""
    config = request.app["services"].config
    return web.json_response({"status": "UP", "node": config.node, "route": config.route, "worker": os.getpid(),
                              "workers": running_workers()})


async def handle_metrics(request: web.Request) -> web.Response:
    services: Services = request.app["services"]
    try:
        active = await asyncio.wait_for(services.sessions.count(), 2)
    except Exception:
        active = None
    return web.Response(text=services.metrics.render(active, services.sessions.storage), content_type="text/plain",
                        charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})


async def start_background(app: web.Application) -> None:
    app["bootstrap"] = asyncio.create_task(app["services"].bootstrap())


async def stop_background(app: web.Application) -> None:
    app["bootstrap"].cancel()


async def to_ui(request: web.Request) -> web.Response:
    raise web.HTTPFound("/appsuite/")


async def ui_index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(UI_ROOT / "index.html")


def create_app(config: config_module.Config) -> web.Application:
    app = web.Application(middlewares=[route_cookie], client_max_size=60 * 1024 * 1024)
    app["services"] = Services(config)
    app.on_startup.append(start_background)
    app.on_cleanup.append(stop_background)
    router = app.router
    router.add_get("/health", handle_health)
    router.add_get("/live", handle_live)
    router.add_get("/metrics", handle_metrics)
    router.add_get(f"/{API_PREFIX}/config", handle_config)
    router.add_get(f"/{API_PREFIX}/config/{{path:.*}}", handle_config)
    router.add_route("*", f"/{API_PREFIX}/{{module:[^/]+}}", handle_api)
    router.add_route("*", f"/{API_PREFIX}/{{module:[^/]+}}/{{sub:.*}}", handle_api)
    router.add_route("OPTIONS", "/Microsoft-Server-ActiveSync", eas.options)
    router.add_route("*", "/Microsoft-Server-ActiveSync", eas.not_implemented)
    router.add_route("*", "/usm-json{tail:(/.*)?}", eas.not_implemented)
    router.add_route("*", "/servlet/dav{tail:(/.*)?}", dav.handle_dav)
    router.add_route("*", "/.well-known/{kind:(caldav|carddav)}", dav.well_known)
    router.add_get("/webservices/{service}", soap.handle_wsdl)
    router.add_post("/webservices/{service}", soap.handle_soap)
    if UI_ROOT.is_dir():
        router.add_get("/", to_ui)
        router.add_get("/appsuite", to_ui)
        router.add_get("/appsuite/", ui_index)
        router.add_static("/appsuite/", UI_ROOT)
    return app


def serve(config: config_module.Config) -> None:
    """One worker process of the node (`oxref.workers` starts them): the node's port, shared with its other
    workers."""
    web.run_app(create_app(config), port=config.listen_port, reuse_port=True, access_log=None, print=None,
                shutdown_timeout=5)
