"""Rewards (operators only): the centre's catalogue with stock and voucher counts, editing a
reward through the same loader as `jiayi points load`, and the vouchers issued and redeemed."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from jiayi.services import rewards
from jiayi.services.errors import DomainError
from jiayi.services.points import VoucherStatus
from jiayi.webconsole.context import (
    audit_view,
    gettext_for,
    render,
    require_admin,
    see_other,
    settings,
    uow,
)

routes = web.RouteTableDef()


def _int(value: object, default: int | None = None) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return default


def _number(value: object) -> int:
    """A form's whole number; -1 (refused by the catalogue's rules) when it is not one."""
    found = _int(value, -1)
    return -1 if found is None else found


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def error_text(request: web.Request, error: DomainError) -> str:
    _ = gettext_for(request).gettext
    texts = {
        "reward_invalid": _("Check these fields: {fields}"),
        "reward_not_found": _("That reward no longer exists."),
    }
    return texts.get(error.code, _("Sorry, that didn't work.")).format(**error.params)


async def _page(
    request: web.Request, *, error: str | None = None, saved: bool = False
) -> web.Response:
    console = require_admin(request)
    q = request.query
    status = q.get("status", "")
    query = rewards.VoucherQuery(
        status=VoucherStatus(status) if status in {s.value for s in VoucherStatus} else None,
        reward_id=_int(q.get("reward", ""), None),
        issued_from=_day(q.get("from", "")),
        issued_to=_day(q.get("to", "")),
    )
    lines = await rewards.catalogue(uow(request), console.actor)
    found = await rewards.vouchers(
        uow(request),
        console.actor,
        query,
        settings(request).zone,
        _int(q.get("page", "0"), 0) or 0,
    )
    await audit_view(request, {v.resident_id for v in found.vouchers}, "vouchers_list")
    return await render(
        request,
        "rewards.html",
        lines=lines,
        found=found,
        query=query,
        statuses=list(VoucherStatus),
        zone=settings(request).zone,
        error=error,
        saved=saved or q.get("saved") == "1",
    )


@routes.get("/rewards")
async def rewards_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/rewards/{reward_id:\\d+}")
async def reward_edit(request: web.Request) -> web.Response:
    console = require_admin(request)
    form = await request.post()
    reward_id = int(request.match_info["reward_id"])
    try:
        if form.get("action") in {"withdraw", "offer"}:
            await rewards.set_offered(
                uow(request), console.actor, reward_id, form.get("action") == "offer"
            )
        else:
            await rewards.edit_reward(
                uow(request),
                console.actor,
                reward_id,
                name_zh=str(form.get("name_zh", "")),
                name_en=str(form.get("name_en", "")),
                cost=_number(form.get("cost")),
                stock=_number(form.get("stock")),
                valid_days=_number(form.get("valid_days")),
            )
    except DomainError as error:
        return await _page(request, error=error_text(request, error))
    return see_other("/rewards?saved=1")
