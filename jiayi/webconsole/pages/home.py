"""The console's start page."""

from __future__ import annotations

from aiohttp import web

from jiayi.webconsole.context import current, render

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return await render(request, "home.html", actor=current(request).actor)
