"""Import the centre's contracted residents from the 家庭医生签约 system's CSV or XLSX export:
upload → dry run (row errors in the operator's language, what would be created or updated) →
apply with the preview's token. A doctor imports only their own residents."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from jiayi.services import roster
from jiayi.services.errors import DomainError
from jiayi.services.roster import Field, RosterPreview, RowError
from jiayi.webconsole.context import audit_view, clock, current, gettext_for, render, settings, uow

routes = web.RouteTableDef()

MAX_FILE = 10 * 1024 * 1024


def field_label(request: web.Request, f: Field | None) -> str:
    _ = gettext_for(request).gettext
    labels = {
        Field.NAME: _("Name"),
        Field.PHONE: _("Phone"),
        Field.BIRTH: _("Birth date"),
        Field.SEX: _("Sex"),
        Field.CONDITIONS: _("Conditions"),
        Field.DOCTOR: _("Doctor"),
        Field.CONTRACT_START: _("Contract start"),
        Field.CONTRACT_END: _("Contract end"),
    }
    return labels[f] if f is not None else ""


def row_error_text(request: web.Request, error: RowError) -> str:
    _ = gettext_for(request).gettext
    texts = {
        "bad_phone": _("not a valid phone number: “{value}”"),
        "missing_phone": _("the phone number is missing"),
        "missing_name": _("the name is missing"),
        "name_too_long": _("the name is too long"),
        "bad_birth": _("not a birth date or year: “{value}”"),
        "bad_sex": _("sex should be 男/女 or male/female: “{value}”"),
        "unknown_condition": _("unknown condition: “{value}”"),
        "pregnant_male": _("“pregnant” together with male sex"),
        "unknown_doctor": _("no doctor “{value}” at this centre (name or link code)"),
        "ambiguous_doctor": _("several doctors are called “{value}”: use the link code"),
        "missing_doctor": _("the doctor is missing"),
        "other_doctor": _("names another doctor: you can import only your own residents"),
        "other_doctors_entry": _("this phone number is on another doctor's roster"),
        "bad_date": _("not a date: “{value}”"),
        "contract_dates": _("the contract ends before it starts"),
        "duplicate_row": _("duplicate of row {row} (same phone number)"),
    }
    text = texts.get(error.code, _("this row can't be imported"))
    return text.format(value=error.value, row=error.other_row)


def domain_error_text(request: web.Request, error: DomainError) -> str:
    _ = gettext_for(request).gettext
    texts = {
        "roster_unreadable": _("This file can't be read: upload a CSV or XLSX file."),
        "roster_empty": _("This file has no rows."),
        "roster_too_many_rows": _("This file has too many rows (at most {max})."),
        "roster_choose_centre": _("Several centres use this console: import from one centre."),
        "roster_changed": _(
            "The roster or the doctors changed since this preview. Check the new preview."
        ),
        "roster_has_errors": _("Fix the rows with errors and upload the file again."),
        "roster_file_too_big": _("This file is too big (at most 10 MB)."),
    }
    return texts.get(error.code, _("Sorry, that didn't work.")).format(**error.params)


async def _form_file(request: web.Request) -> tuple[bytes, str]:
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise DomainError("roster_empty")
    data = upload.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise DomainError("roster_file_too_big")
    return data, str(upload.filename or "")


def _context(request: web.Request, preview: RosterPreview) -> dict[str, Any]:
    rows = [
        {
            "row": r.row,
            "name": r.name,
            "phone": r.phone,
            "doctor": r.doctor_name or "",
            "action": r.action.value,
            "errors": [
                (field_label(request, e.field), row_error_text(request, e)) for e in r.errors
            ],
        }
        for r in preview.rows
    ]
    return {
        "preview": preview,
        "rows": rows,
        "missing": [field_label(request, f) for f in preview.missing_columns],
        "created": preview.count(roster.RowAction.CREATE),
        "updated": preview.count(roster.RowAction.UPDATE),
        "unchanged": preview.count(roster.RowAction.UNCHANGED),
    }


async def _audit(request: web.Request, preview: RosterPreview) -> None:
    shown = {r.resident_id for r in preview.rows if r.resident_id is not None}
    if shown:
        await audit_view(request, shown, "roster_preview")


@routes.get("/roster")
async def roster_page(request: web.Request) -> web.Response:
    current(request)
    return await render(request, "roster.html", preview=None, error=None)


@routes.post("/roster/preview")
async def roster_preview(request: web.Request) -> web.Response:
    console = current(request)
    try:
        data, filename = await _form_file(request)
        preview = await roster.dry_run(
            uow(request), clock(request), settings(request).zone, console.actor, data, filename
        )
    except DomainError as error:
        return await render(
            request, "roster.html", preview=None, error=domain_error_text(request, error)
        )
    await _audit(request, preview)
    return await render(
        request,
        "roster.html",
        error=None,
        data=base64.b64encode(data).decode(),
        filename=filename,
        **_context(request, preview),
    )


@routes.post("/roster/apply")
async def roster_apply(request: web.Request) -> web.Response:
    console = current(request)
    form = await request.post()
    token = str(form.get("token", ""))
    filename = str(form.get("filename", ""))[:200]
    try:
        data = base64.b64decode(str(form.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise web.HTTPBadRequest() from None
    try:
        done = await roster.apply(
            uow(request),
            clock(request),
            settings(request).zone,
            console.actor,
            data,
            token,
            filename,
        )
    except DomainError as error:
        message = domain_error_text(request, error)
        try:
            preview = await roster.dry_run(
                uow(request), clock(request), settings(request).zone, console.actor, data, filename
            )
        except DomainError:
            return await render(request, "roster.html", preview=None, error=message)
        await _audit(request, preview)
        return await render(
            request,
            "roster.html",
            error=message,
            data=base64.b64encode(data).decode(),
            filename=filename,
            **_context(request, preview),
        )
    return await render(request, "roster.html", error=None, **_context(request, done))
