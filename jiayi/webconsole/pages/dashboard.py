"""The dashboard: the centre's figures over a period, per centre or per doctor (a doctor sees
only their own), each chart with its table and CSV/XLSX downloads, and the district report.

Everything shown and exported comes from services.dashboard: one set of tables, so the page,
the charts and the files always agree."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from jiayi.services import dashboard as figures
from jiayi.services.dashboard_export import (
    cell_text,
    chart_svg,
    district_report_csv,
    district_report_csv_zip,
    district_report_xlsx,
    figure_csv,
    figure_xlsx,
)
from jiayi.services.errors import DomainError, NotAllowed
from jiayi.webconsole.context import clock, current, gettext_for, render, settings, uow

routes = web.RouteTableDef()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
# Rows a table shows on the page (residents behind first); the downloads have every row.
ROWS_SHOWN = 200


async def _dashboard(request: web.Request) -> figures.Dashboard:
    console = current(request)
    zone = settings(request).zone
    today = clock(request).now().astimezone(zone).date()
    query = request.query
    try:
        period = figures.parse_period(
            query.get("preset"), query.get("from"), query.get("to"), today
        )
    except DomainError:
        raise web.HTTPBadRequest() from None
    doctor: int | None = None
    if query.get("doctor", "").isdigit():
        doctor = int(query["doctor"])
    try:
        return await figures.build_dashboard(
            uow(request), clock(request), console.actor, zone, period, doctor_id=doctor
        )
    except NotAllowed:
        raise web.HTTPForbidden() from None


def _query(found: figures.Dashboard) -> str:
    values = {"from": found.period.start.isoformat(), "to": found.period.end.isoformat()}
    if found.doctor_id is not None and found.doctors:
        values["doctor"] = str(found.doctor_id)
    return urlencode(values)


def _download(body: bytes, name: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/dashboard")
async def dashboard_page(request: web.Request) -> web.Response:
    found = await _dashboard(request)
    translate = gettext_for(request).gettext
    charts = {f.key: chart_svg(f, translate) for f in found.figures}
    return await render(
        request,
        "dashboard.html",
        found=found,
        charts=charts,
        cell=lambda value, column: cell_text(value, column.kind, translate),
        query=_query(found),
        presets=[p.value for p in figures.PeriodPreset],
        chosen_preset=request.query.get("preset", ""),
        row_limit=ROWS_SHOWN,
    )


@routes.get("/dashboard/figure/{key}.{ext:csv|xlsx}")
async def figure_download(request: web.Request) -> web.Response:
    found = await _dashboard(request)
    key = request.match_info["key"]
    if key not in found.by_key:
        raise web.HTTPNotFound()
    figure = found.figure(key)
    translate = gettext_for(request).gettext
    stem = f"{key}_{found.period.start.isoformat()}_{found.period.end.isoformat()}"
    if request.match_info["ext"] == "csv":
        return _download(figure_csv(figure, translate), f"{stem}.csv", CSV)
    return _download(figure_xlsx(figure, translate), f"{stem}.xlsx", XLSX)


@routes.get("/dashboard/district-report.{ext:xlsx|csv|zip}")
async def district_report(request: web.Request) -> web.Response:
    found = await _dashboard(request)
    translate = gettext_for(request).gettext
    stem = f"district_report_{found.period.start.isoformat()}_{found.period.end.isoformat()}"
    match request.match_info["ext"]:
        case "xlsx":
            return _download(district_report_xlsx(found, translate), f"{stem}.xlsx", XLSX)
        case "zip":
            return _download(
                district_report_csv_zip(found, translate), f"{stem}.zip", "application/zip"
            )
        case _:
            return _download(district_report_csv(found, translate), f"{stem}.csv", CSV)
