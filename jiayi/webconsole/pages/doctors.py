"""Doctors (operators only): panel sizes, invites with a QR code to print, revoking invites,
deactivating, moving residents — the same services as `jiayi doctor …`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy

from jiayi.services import doctors
from jiayi.services.errors import DomainError
from jiayi.webconsole.context import clock, render, require_admin, see_other, settings, uow

routes = web.RouteTableDef()

NOTICES = frozenset({"revoked", "deactivated", "moved"})


def _field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def _page(
    request: web.Request, *, error: str | None = None, params: dict[str, object] | None = None
) -> web.Response:
    roster = await doctors.doctor_roster(uow(request), clock(request))
    notice = request.query.get("notice", "")
    try:
        count = int(request.query.get("count", "0"))
    except ValueError:
        count = 0
    return await render(
        request,
        "doctors.html",
        status=400 if error else 200,
        roster=roster,
        error=error,
        params=params or {},
        notice=notice if notice in NOTICES else "",
        count=count,
    )


@routes.get("/doctors")
async def doctors_page(request: web.Request) -> web.Response:
    require_admin(request)
    return await _page(request)


def _qr_svg(url: str) -> Markup:
    """The invite as a QR code, inline SVG (no image request, prints as vectors)."""
    svg = segno.make_qr(url, error="m").svg_inline(scale=5, border=2, title="QR")
    # segno's own markup, with the URL escaped by it: safe to embed as is.
    return Markup(svg)


async def _invite_result(request: web.Request, link: doctors.InviteLink) -> web.Response:
    username = settings(request).bot_username
    url = f"https://t.me/{username}?start={link.payload}" if username else None
    hours = settings(request).invite_ttl_hours
    return await render(
        request,
        "doctor_invite.html",
        link=link,
        url=url,
        command=f"/start {link.payload}",
        qr=_qr_svg(url) if url else None,
        hours=hours,
    )


@routes.post("/doctors/invite")
async def invite(request: web.Request) -> web.Response:
    require_admin(request)
    form = await request.post()
    try:
        link = await doctors.create_invite(
            uow(request),
            clock(request),
            name=_field(form, "name"),
            centre_code=_field(form, "centre"),
            ttl=timedelta(hours=settings(request).invite_ttl_hours),
        )
    except DomainError as error:
        return await _page(request, error=error.code, params=dict(error.params))
    return await _invite_result(request, link)


@routes.post("/doctors/{code}/rebind")
async def rebind(request: web.Request) -> web.Response:
    """A new link for an existing doctor (a new phone, a new Telegram account)."""
    require_admin(request)
    code = request.match_info["code"]
    roster = await doctors.doctor_roster(uow(request), clock(request))
    centre = next((d.centre_code for d in roster.doctors if d.link_code == code), "")
    try:
        link = await doctors.create_invite(
            uow(request),
            clock(request),
            name=None,
            centre_code=centre,
            ttl=timedelta(hours=settings(request).invite_ttl_hours),
            rebind=code,
        )
    except DomainError as error:
        return await _page(request, error=error.code, params=dict(error.params))
    return await _invite_result(request, link)


@routes.post("/doctors/{code}/revoke")
async def revoke(request: web.Request) -> web.Response:
    require_admin(request)
    try:
        revoked = await doctors.revoke_invite(
            uow(request), clock(request), doctor=request.match_info["code"]
        )
    except DomainError as error:
        return await _page(request, error=error.code, params=dict(error.params))
    return see_other(f"/doctors?notice=revoked&count={revoked}")


@routes.post("/doctors/revoke-link")
async def revoke_link(request: web.Request) -> web.Response:
    require_admin(request)
    form = await request.post()
    try:
        revoked = await doctors.revoke_invite(
            uow(request), clock(request), link=_field(form, "link")
        )
    except DomainError as error:
        return await _page(request, error=error.code, params=dict(error.params))
    return see_other(f"/doctors?notice=revoked&count={revoked}")


@routes.post("/doctors/{code}/deactivate")
async def deactivate(request: web.Request) -> web.Response:
    require_admin(request)
    form = await request.post()
    if _field(form, "confirm") != "yes":
        return await _page(request, error="confirm_deactivate")
    try:
        done = await doctors.deactivate(
            uow(request), clock(request), doctor=request.match_info["code"]
        )
    except DomainError as error:
        return await _page(request, error=error.code, params=dict(error.params))
    return see_other(f"/doctors?notice=deactivated&count={done.residents}")


@routes.post("/doctors/move")
async def move(request: web.Request) -> web.Response:
    require_admin(request)
    form = await request.post()
    try:
        moved = await doctors.move_residents(
            uow(request),
            clock(request),
            from_doctor=_field(form, "from"),
            to_doctor=_field(form, "to"),
        )
    except DomainError as error:
        return await _page(request, error=error.code, params=dict(error.params))
    return see_other(f"/doctors?notice=moved&count={moved}")
