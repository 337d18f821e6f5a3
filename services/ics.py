"""An appointment as an iCalendar file, so residents can put it in their phone's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event
from storage.records import AppointmentRecord

PRODID = "-//jiayi//appointments//EN"
ALARM_BEFORE = timedelta(hours=2)

# The file's few words live here rather than in the gettext catalogs: they are rendered outside
# any Telegram update (no i18n context) and must not depend on the bot's locale middleware.
_TEXT = {
    "zh-CN": {"code": "签到码：{code}（到前台出示）", "alarm": "{service}：2 小时后开始"},
    "en": {"code": "Check-in code: {code} (show it at the desk)", "alarm": "{service} in 2 hours"},
}


def appointment_ics(appointment: AppointmentRecord, *, locale: str, now: datetime) -> bytes:
    """One VEVENT (times in UTC) with a display alarm two hours before the start."""
    text = _TEXT.get(locale, _TEXT["en"])
    zh = locale == "zh-CN"
    service = appointment.service_name_zh if zh else appointment.service_name_en
    centre = appointment.centre_name if zh else appointment.centre_name_en

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
    event.add("description", text["code"].format(code=appointment.check_in_code))

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", text["alarm"].format(service=service))
    event.add_component(alarm)

    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
