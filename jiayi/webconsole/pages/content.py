"""Content review: the tip library with each tip's review state and sources, the next 30
days of planned tips, a clinician's sign-off (who and when), and a preview of any tip in both
languages for any audience, rendered as residents receive it (services/content_review.py)."""

from __future__ import annotations

from aiohttp import web

from jiayi.services import content_review
from jiayi.services.content_review import Audience, ReviewStatus
from jiayi.services.errors import DomainError, NotFound
from jiayi.webconsole.context import clock, current, render, see_other, settings, uow

routes = web.RouteTableDef()


def _(msgid: str) -> str:
    return msgid  # marks msgids for extraction; the template translates them


STATUS = {
    ReviewStatus.PENDING: _("Pending clinical review"),
    ReviewStatus.SIGNED_OFF_FILE: _("Signed off (tip file)"),
    ReviewStatus.SIGNED_OFF_CONSOLE: _("Signed off (console)"),
    ReviewStatus.CHANGED_SINCE_SIGNOFF: _("Changed since sign-off: review again"),
}
AUDIENCES = {
    Audience.EVERYONE: _("Everyone"),
    Audience.CHILDREN: _("Parents of children under 14"),
    Audience.YOUNG_CHILDREN: _("Parents of children under 6"),
    Audience.CARER_80: _("Carers of someone aged 80+"),
    Audience.AGE_65: _("Aged 65+"),
    Audience.AGE_80: _("Aged 80+"),
    Audience.HYPERTENSION: _("Hypertension"),
    Audience.DIABETES: _("Diabetes"),
    Audience.HYPERLIPIDAEMIA: _("Hyperlipidaemia"),
    Audience.PREGNANCY: _("Pregnancy"),
    Audience.POSTPARTUM: _("After giving birth"),
}
ERRORS = {
    "sections_missing": _("Tick the source sections you checked."),
    "clinician_missing": _("Type the name of the clinician who reviewed the tip."),
    "not_a_doctor": _("Only a doctor or the centre's operator can record a sign-off."),
}


@routes.get("/content")
async def library_page(request: web.Request) -> web.Response:
    zone = settings(request).zone
    library = content_review.default_library()
    reviews = await content_review.tip_library(uow(request), library, zone)
    planned = await content_review.planned(uow(request), library, clock(request), zone)
    return await render(
        request,
        "content.html",
        reviews=reviews,
        planned=planned,
        states=STATUS,
        audiences=AUDIENCES,
        pending=sum(1 for r in reviews if not r.signed_off),
    )


async def _tip_page(
    request: web.Request, tip_id: str, *, status: int = 200, error: str | None = None
) -> web.Response:
    library = content_review.default_library()
    try:
        review = await content_review.tip_review(
            uow(request), library, settings(request).zone, tip_id
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    choices = content_review.audiences(review.tip)
    chosen = choices[0]
    wanted = request.query.get("audience", "")
    for audience, household in choices:
        key = audience.value + (f"+{household.value}" if household else "")
        if key == wanted:
            chosen = (audience, household)
    previews = content_review.preview(library, tip_id, *chosen)
    return await render(
        request,
        "content_tip.html",
        status=status,
        review=review,
        choices=choices,
        chosen=chosen,
        previews=previews,
        status_labels=STATUS,
        audiences=AUDIENCES,
        error=error,
        saved=request.query.get("saved"),
        actor=current(request).actor,
    )


@routes.get("/content/tips/{tip_id}")
async def tip_page(request: web.Request) -> web.Response:
    return await _tip_page(request, request.match_info["tip_id"])


@routes.post("/content/tips/{tip_id}/signoff")
async def sign_off(request: web.Request) -> web.Response:
    console = current(request)
    tip_id = request.match_info["tip_id"]
    form = await request.post()
    try:
        await content_review.sign_off(
            uow(request),
            clock(request),
            content_review.default_library(),
            console.actor,
            tip_id,
            [str(s) for s in form.getall("section", [])],
            clinician=str(form.get("clinician", "")),
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    except DomainError as error:
        message = ERRORS.get(error.code, _("Something is wrong with this request"))
        return await _tip_page(request, tip_id, status=400, error=message)
    return see_other(f"/content/tips/{tip_id}?saved=1")
