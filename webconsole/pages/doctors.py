"""Doctors (operators only): panel sizes, invites with a QR code, revoking, deactivating,
moving residents — the same services as `jiayi doctor …`."""

from __future__ import annotations

from aiohttp import web

from webconsole.context import render, require_admin

routes = web.RouteTableDef()


@routes.get("/doctors")
async def doctors_page(request: web.Request) -> web.Response:
    require_admin(request)
    return await render(request, "doctors.html")
