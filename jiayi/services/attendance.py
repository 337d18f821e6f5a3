"""A doctor's attendance marks, safe against stale taps: a ✓/✗ from an old /today message
never silently rewrites a recorded visit, and every mark can be taken back for a few minutes.

- `tap`: from booked, records the outcome at once; when the visit already has the other
  outcome (checked in by code, say), changes nothing and returns what an override would do,
  for the doctor to confirm.
- `override`: applies that change once the doctor confirmed it.
- `undo`: within `UNDO_WINDOW` of the mark, restores the status before it (points and the
  care plan follow, through the points and care-plan services).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jiayi.services import booking, careplans, console, points
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput
from jiayi.services.undo import UNDO_MINUTES, UNDO_WINDOW
from jiayi.storage.records import (
    Actor,
    AppointmentEventKind,
    AppointmentRecord,
    AppointmentStatus,
)
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "UNDO_MINUTES",
    "UNDO_WINDOW",
    "Marked",
    "NeedsConfirmation",
    "check_in",
    "override",
    "tap",
    "undo",
]

_OUTCOMES = (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW)
_MARK_EVENTS = (AppointmentEventKind.ATTENDED, AppointmentEventKind.NO_SHOW)


@dataclass(frozen=True, slots=True)
class Marked:
    """A mark that was recorded (or was already so: `previous is appointment.status`)."""

    appointment: AppointmentRecord
    previous: AppointmentStatus
    # Points credited (> 0) or taken back (< 0) by this change.
    points: int

    @property
    def changed(self) -> bool:
        return self.previous is not self.appointment.status


@dataclass(frozen=True, slots=True)
class NeedsConfirmation:
    """The visit already has the other outcome; nothing was changed."""

    appointment: AppointmentRecord
    # When the current outcome was recorded (None if no event says so).
    recorded_at: datetime | None
    # The points the change would take back (to no-show) or credit (to attended).
    points: int


def _target(attended: bool) -> AppointmentStatus:
    return AppointmentStatus.ATTENDED if attended else AppointmentStatus.NO_SHOW


async def _apply(
    uow: UnitOfWork,
    now: datetime,
    doctor: tuple[int, int],
    doctor_telegram_id: int,
    appointment: AppointmentRecord,
    attended: bool,
) -> Marked:
    marked, moved = await booking.mark_moving(uow, now, appointment, attended)
    await booking.audit_desk(
        uow, now, doctor[0], doctor_telegram_id, [marked], console.AuditAction.ATTENDANCE
    )
    return Marked(marked, appointment.status, moved if attended else -moved)


async def tap(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    appointment_id: int,
    attended: bool,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> Marked | NeedsConfirmation:
    """A ✓/✗ tap on the day list. Records it when the visit is booked; the same outcome again
    changes nothing; the other outcome is not overwritten but returned for confirmation. A
    cancelled visit is refused (`appointment_cancelled`)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor = await booking.desk_doctor(uow, doctor_telegram_id, admin_ids)
        appointment = await booking.appointment_at_centre(uow, doctor[1], appointment_id)
        if appointment.status in _OUTCOMES and appointment.status is not _target(attended):
            question = NeedsConfirmation(
                appointment,
                await uow.booking.last_event_at(appointment.id, _MARK_EVENTS),
                await points.attendance_stake(uow, appointment),
            )
            await uow.commit()
            return question
        result = await _apply(uow, now, doctor, doctor_telegram_id, appointment, attended)
        await uow.commit()
    return result


async def override(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    appointment_id: int,
    attended: bool,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> Marked | NeedsConfirmation:
    """The doctor confirmed changing a recorded outcome to `attended`: recorded whatever the
    visit holds now (booked again after an undo, say); the same outcome again changes nothing;
    a cancelled visit is refused. Always a `Marked`, with the points it moved."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor = await booking.desk_doctor(uow, doctor_telegram_id, admin_ids)
        appointment = await booking.appointment_at_centre(uow, doctor[1], appointment_id)
        result = await _apply(uow, now, doctor, doctor_telegram_id, appointment, attended)
        await uow.commit()
    return result


async def undo(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    appointment_id: int,
    *,
    marked: AppointmentStatus,
    previous: AppointmentStatus,
    admin_ids: frozenset[int] = frozenset(),
) -> Marked:
    """Takes back the mark that moved the visit from `previous` to `marked`, within
    `UNDO_WINDOW` of it and only if nothing changed it since (`undo_expired` otherwise).
    Back to booked reverses the attendance points and the care-plan items it completed;
    back to the other outcome re-records that outcome, with its points."""
    if marked not in _OUTCOMES or previous not in (AppointmentStatus.BOOKED, *_OUTCOMES):
        raise InvalidInput("undo_expired")
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor = await booking.desk_doctor(uow, doctor_telegram_id, admin_ids)
        appointment = await booking.appointment_at_centre(uow, doctor[1], appointment_id)
        at = await uow.booking.last_event_at(appointment.id, _MARK_EVENTS)
        if appointment.status is not marked or at is None or now - at > UNDO_WINDOW:
            raise InvalidInput("undo_expired")
        if previous is not AppointmentStatus.BOOKED:
            result = await _apply(
                uow,
                now,
                doctor,
                doctor_telegram_id,
                appointment,
                previous is AppointmentStatus.ATTENDED,
            )
            await uow.commit()
            return result
        if not await uow.booking.set_status(
            appointment.id, from_statuses=[marked], to=AppointmentStatus.BOOKED, now=now
        ):
            raise InvalidInput("undo_expired")
        await uow.booking.add_event(appointment.id, AppointmentEventKind.UNDONE, Actor.DOCTOR, now)
        # The points and care-plan side of "attended" is taken back as a no-show would.
        taken = await points.on_attendance(uow, now, appointment, attended=False)
        await careplans.on_attendance(uow, now, appointment, attended=False)
        after = await booking.find_appointment(uow, appointment.id)
        await booking.audit_desk(
            uow, now, doctor[0], doctor_telegram_id, [after], console.AuditAction.ATTENDANCE
        )
        await uow.commit()
    return Marked(after, marked, -taken)


async def check_in(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    code: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> Marked:
    """`booking.check_in`, as a mark that can be undone."""
    marked, previous, moved = await booking.check_in_marking(
        uow, clock, doctor_telegram_id, code, admin_ids=admin_ids
    )
    return Marked(marked, previous, moved)
