"""Services and schedules: create and edit a service, replace its weekly schedule, close a
day or a slot (the same notices and rebooking as `jiayi booking close-day/close-slot`), and
a day's slots with their bookings. Operators change; doctors look. All through
services/schedules.py, which the YAML loader shares."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web
from multidict import MultiDictProxy

from jiayi.services import schedules
from jiayi.services.errors import DomainError, NotAllowed, NotFound
from jiayi.services.schedules import WEEKDAYS, ServiceKind
from jiayi.webconsole.context import (
    clock,
    current,
    render,
    require_admin,
    see_other,
    settings,
    uow,
)

routes = web.RouteTableDef()

BLOCK_ROWS_EMPTY = 2  # blank rows under a schedule's blocks, for adding one
REASON_MAX = 200


def _(msgid: str) -> str:
    return msgid  # marks msgids for extraction; the template translates them


ERRORS = {
    "service_invalid": _("The service could not be saved: check the fields below."),
    "schedule_invalid": _("The schedule could not be saved: check the times, lengths and seats."),
    "service_code_taken": _("A service with this code exists already."),
    "service_code_fixed": _("A service's code cannot be changed."),
    "doctor_not_found": _("That doctor is not known."),
    "slot_not_found": _("That slot is not at this centre."),
    "operators_only": _("Only the centre's operator can change services and schedules."),
    "day_invalid": _("Choose a day."),
}


# What the templates show for codes (msgids, translated there).
LABELS = {
    "mon": _("Mon"),
    "tue": _("Tue"),
    "wed": _("Wed"),
    "thu": _("Thu"),
    "fri": _("Fri"),
    "sat": _("Sat"),
    "sun": _("Sun"),
    "booked": _("booked"),
    "attended": _("attended"),
    "no_show": _("no-show"),
    "cancelled_resident": _("cancelled by the resident"),
    "cancelled_centre": _("cancelled by the centre"),
    "vaccination": _("Vaccination"),
    "follow_up": _("Follow-up"),
    "checkup": _("Check-up"),
    "referral": _("Referral"),
    "tcm": _("Traditional Chinese medicine"),
}


def _error(error: DomainError) -> tuple[str, str]:
    return ERRORS.get(error.code, _("Something is wrong with this request")), str(
        error.params.get("detail", "")
    )


def _day(text: str | None, today: date) -> date:
    if not text:
        return today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest() from None


def _int(value: str | None, default: int | None = None) -> int | None:
    value = (value or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        return -1  # the model refuses it with a reason


def _service_values(form: dict[str, str], code: str) -> dict[str, object]:
    return {
        "code": code,
        "kind": form.get("kind", ""),
        "name": {"zh-CN": form.get("name_zh", "").strip(), "en": form.get("name_en", "").strip()},
        "min_notice_minutes": _int(form.get("min_notice_minutes"), 120),
        "horizon_days": _int(form.get("horizon_days"), 14),
        "cancel_cutoff_minutes": _int(form.get("cancel_cutoff_minutes"), 120),
        "min_age_months": _int(form.get("min_age_months")),
        "max_age_months": _int(form.get("max_age_months")),
        "requires_referral": form.get("requires_referral") == "on",
    }


def _blocks(
    form: MultiDictProxy[str | bytes | bytearray | web.FileField],
) -> list[dict[str, object]]:
    """The schedule form's rows: b<i>_days (checkboxes), b<i>_start, … ; empty rows skipped."""
    rows: list[dict[str, object]] = []
    count = str(form.get("blocks", "0"))
    for index in range(min(int(count), 50) if count.isdigit() else 0):
        prefix = f"b{index}_"
        days = [str(d) for d in form.getall(prefix + "days", [])]
        start = str(form.get(prefix + "start", "")).strip()
        if not days and not start:
            continue
        rows.append(
            {
                "weekdays": days,
                "start": start,
                "end": str(form.get(prefix + "end", "")).strip(),
                "slot_minutes": _int(str(form.get(prefix + "slot_minutes", ""))),
                "capacity": _int(str(form.get(prefix + "capacity", ""))),
                "on_makeup_workdays": form.get(prefix + "makeup") == "on",
                "doctor": str(form.get(prefix + "doctor", "")).strip() or None,
            }
        )
    return rows


@routes.get("/schedules")
async def services_page(request: web.Request) -> web.Response:
    console = current(request)
    centre, found = await schedules.list_services(uow(request), console.actor)
    return await render(
        request,
        "schedules.html",
        labels=LABELS,
        centre=centre,
        services=found,
        kinds=[k.value for k in ServiceKind],
        today=clock(request).now().astimezone(settings(request).zone).date(),
        error=None,
        values={},
    )


@routes.post("/schedules/services")
async def create_service(request: web.Request) -> web.Response:
    console = require_admin(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        fields = schedules.parse_service(_service_values(form, form.get("code", "").strip()))
        centre = await schedules.centre_of(uow(request), console.actor)
        created = await schedules.create_service(uow(request), console.actor, centre.id, fields)
    except DomainError as error:
        centre, found = await schedules.list_services(uow(request), console.actor)
        return await render(
            request,
            "schedules.html",
            labels=LABELS,
            status=400,
            centre=centre,
            services=found,
            kinds=[k.value for k in ServiceKind],
            today=clock(request).now().astimezone(settings(request).zone).date(),
            error=_error(error),
            values=form,
        )
    return see_other(f"/schedules/services/{created.id}?saved=1")


async def _service_page(
    request: web.Request,
    service_id: int,
    *,
    status: int = 200,
    error: tuple[str, str] | None = None,
) -> web.Response:
    console = current(request)
    try:
        overview = await schedules.get_service(uow(request), console.actor, service_id)
    except NotFound:
        raise web.HTTPNotFound() from None
    return await render(
        request,
        "schedule_service.html",
        labels=LABELS,
        status=status,
        item=overview,
        kinds=[k.value for k in ServiceKind],
        weekdays=list(WEEKDAYS),
        empty_rows=BLOCK_ROWS_EMPTY,
        error=error,
        saved=request.query.get("saved"),
        may_edit=console.actor.is_admin,
    )


@routes.get(r"/schedules/services/{id:\d+}")
async def service_page(request: web.Request) -> web.Response:
    return await _service_page(request, int(request.match_info["id"]))


@routes.post(r"/schedules/services/{id:\d+}")
async def update_service(request: web.Request) -> web.Response:
    console = require_admin(request)
    service_id = int(request.match_info["id"])
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        current_service = await schedules.get_service(uow(request), console.actor, service_id)
        fields = schedules.parse_service(_service_values(form, current_service.service.code))
        await schedules.update_service(
            uow(request), console.actor, service_id, fields, active=form.get("active") == "on"
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    except DomainError as error:
        return await _service_page(request, service_id, status=400, error=_error(error))
    return see_other(f"/schedules/services/{service_id}?saved=1")


@routes.post(r"/schedules/services/{id:\d+}/schedule")
async def replace_schedule(request: web.Request) -> web.Response:
    console = require_admin(request)
    service_id = int(request.match_info["id"])
    form = await request.post()
    try:
        blocks = schedules.parse_blocks(_blocks(form))
        await schedules.replace_schedule(
            uow(request), clock(request), console.actor, service_id, blocks, settings(request).zone
        )
    except NotFound as error:
        if error.code == "service_not_found":
            raise web.HTTPNotFound() from None
        return await _service_page(request, service_id, status=400, error=_error(error))
    except DomainError as error:
        return await _service_page(request, service_id, status=400, error=_error(error))
    return see_other(f"/schedules/services/{service_id}?saved=1")


@routes.get("/schedules/day")
async def day_page(request: web.Request) -> web.Response:
    console = current(request)
    zone = settings(request).zone
    today = clock(request).now().astimezone(zone).date()
    day = _day(request.query.get("day"), today)
    plan = await schedules.day_slots(uow(request), clock(request), console.actor, day, zone)
    return await render(
        request,
        "schedule_day.html",
        labels=LABELS,
        plan=plan,
        zone=zone,
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1),
        may_edit=console.actor.is_admin,
        closed=request.query.get("closed"),
    )


@routes.post("/schedules/day/close")
async def close_day(request: web.Request) -> web.Response:
    console = require_admin(request)
    form = await request.post()
    zone = settings(request).zone
    day = _day(str(form.get("day", "")), clock(request).now().astimezone(zone).date())
    reason = str(form.get("reason", "")).strip()[:REASON_MAX]
    centre = await schedules.centre_of(uow(request), console.actor)
    try:
        cancelled = await schedules.close_day(
            uow(request), clock(request), console.actor, centre.id, day, zone, reason
        )
    except NotAllowed:
        raise web.HTTPForbidden() from None
    return see_other(f"/schedules/day?day={day.isoformat()}&closed={len(cancelled)}")


@routes.post("/schedules/slot/close")
async def close_slot(request: web.Request) -> web.Response:
    console = require_admin(request)
    form = await request.post()
    slot_id = _int(str(form.get("slot", "")))
    reason = str(form.get("reason", "")).strip()[:REASON_MAX]
    centre = await schedules.centre_of(uow(request), console.actor)
    try:
        cancelled = await schedules.close_slot(
            uow(request), clock(request), console.actor, centre.id, slot_id or 0, reason
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    today = clock(request).now().astimezone(settings(request).zone).date()
    day = _day(str(form.get("day", "")), today).isoformat()
    return see_other(f"/schedules/day?day={day}&closed={len(cancelled)}")
