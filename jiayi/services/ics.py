"""An appointment as an iCalendar file, so residents can put it in their phone's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from jiayi.content.localized import localized
from jiayi.content.render import Renderer
from jiayi.storage.records import AppointmentRecord

PRODID = "-//jiayi//appointments//EN"
ALARM_BEFORE = timedelta(hours=2)


def appointment_ics(
    appointment: AppointmentRecord, *, locale: str, now: datetime, renderer: Renderer | None = None
) -> bytes:
    """One VEVENT (times in UTC) with a display alarm two hours before the start. Its words
    come from the templates ics_description and ics_alarm in the resident's language."""
    renderer = renderer or Renderer()
    service = localized(appointment, "service_name", locale)
    centre = localized(appointment, "centre_name", locale)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")

    event = Event()
    event.add("uid", f"appointment-{appointment.id}@jiayi")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", f"{service} · {appointment.person_name}")
    event.add("location", centre)
    event.add(
        "description",
        renderer.render("ics_description", locale, code=appointment.check_in_code),
    )

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", renderer.render("ics_alarm", locale, service=service))
    event.add_component(alarm)

    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
