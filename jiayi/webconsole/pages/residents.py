"""The residents in the signed-in person's scope (a doctor: their own; the operator: all),
by name. The service writes who was shown to the audit log."""

from __future__ import annotations

from aiohttp import web

from jiayi.services import console as console_service
from jiayi.webconsole.context import clock, current, render, settings, uow

routes = web.RouteTableDef()


@routes.get("/residents")
async def residents_page(request: web.Request) -> web.Response:
    console = current(request)
    name = request.query.get("name", "").strip()[:100]
    try:
        page = max(int(request.query.get("page", "0")), 0)
    except ValueError:
        page = 0
    found = await console_service.list_residents(
        uow(request),
        clock(request),
        settings(request),
        console.actor.telegram_user_id,
        console_service.ResidentQuery(name=name or None),
        page,
    )
    return await render(request, "residents.html", found=found, name=name)
