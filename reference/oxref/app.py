"""The HTTP application: routes, the JSESSIONID route cookie, start-up."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from oxref import config as config_module
from oxref.health import health

CONFIG_KEY = web.AppKey("config", config_module.Config) if hasattr(web, "AppKey") else "config"


def jsessionid_for(route: str) -> str:
    return f"{secrets.randbelow(10**15)}.{route}"


@web.middleware
async def route_cookie(request: web.Request, handler):
    """Pin the client to this node as OX does: JSESSIONID=<number>.<route>."""
    response = await handler(request)
    route = request.app[CONFIG_KEY].route
    current = request.cookies.get("JSESSIONID", "")
    if not current.endswith("." + route):
        response.set_cookie("JSESSIONID", jsessionid_for(route), path="/", httponly=True)
    return response


async def handle_health(request: web.Request) -> web.Response:
    report = await health(request.app[CONFIG_KEY])
    return web.json_response(report, status=200 if report["status"] == "UP" else 503)


def create_app(config: config_module.Config) -> web.Application:
    app = web.Application(middlewares=[route_cookie])
    app[CONFIG_KEY] = config
    app.router.add_get("/health", handle_health)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = config_module.load()
    web.run_app(create_app(config), port=config.listen_port, access_log=None)
