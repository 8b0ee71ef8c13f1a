"""The HTTP application of a middleware node: routes, the JSESSIONID route cookie, start-up."""

from __future__ import annotations

import asyncio
import logging
import secrets

from aiohttp import web

from oxref import config as config_module
from oxref import dav, eas, modules, soap  # noqa: F401  (modules registers the API actions)
from oxref.api import handle_api
from oxref.health import health
from oxref.modules.config_tree import handle_config
from oxref.services import Services

API_PREFIX = r"{prefix:(appsuite/api|ajax)}"


def jsessionid_for(route: str) -> str:
    return f"{secrets.randbelow(10**15)}.{route}"


@web.middleware
async def route_cookie(request: web.Request, handler):
    """Pin the client to this node as OX does: JSESSIONID=<number>.<route>."""
    response = await handler(request)
    route = request.app["services"].config.route
    current = request.cookies.get("JSESSIONID", "")
    if not current.endswith("." + route) and "JSESSIONID" not in response.cookies:
        response.set_cookie("JSESSIONID", jsessionid_for(route), path="/", httponly=True)
    return response


async def handle_health(request: web.Request) -> web.Response:
    report = await health(request.app["services"].config)
    return web.json_response(report, status=200 if report["status"] == "UP" else 503)


async def handle_metrics(request: web.Request) -> web.Response:
    services: Services = request.app["services"]
    try:
        active = await asyncio.wait_for(services.sessions.count(), 2)
    except Exception:
        active = None
    return web.Response(text=services.metrics.render(active), content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


async def start_background(app: web.Application) -> None:
    app["bootstrap"] = asyncio.create_task(app["services"].bootstrap())


def create_app(config: config_module.Config) -> web.Application:
    app = web.Application(middlewares=[route_cookie], client_max_size=60 * 1024 * 1024)
    app["services"] = Services(config)
    app.on_startup.append(start_background)
    router = app.router
    router.add_get("/health", handle_health)
    router.add_get("/metrics", handle_metrics)
    router.add_get(f"/{API_PREFIX}/config", handle_config)
    router.add_get(f"/{API_PREFIX}/config/{{path:.*}}", handle_config)
    router.add_route("*", f"/{API_PREFIX}/{{module}}", handle_api)
    router.add_route("OPTIONS", "/Microsoft-Server-ActiveSync", eas.options)
    router.add_route("*", "/Microsoft-Server-ActiveSync", eas.not_implemented)
    router.add_route("*", "/usm-json", eas.not_implemented)
    router.add_route("*", "/servlet/dav{tail:(/.*)?}", dav.handle_dav)
    router.add_get("/webservices/{service}", soap.handle_wsdl)
    router.add_post("/webservices/{service}", soap.handle_soap)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = config_module.load()
    web.run_app(create_app(config), port=config.listen_port, access_log=None, print=None)
