"""Desk actions reach residents of every doctor at the centre (the day list, check-in by code,
attendance marks): each is in the resident's audit log and so in their /mydata export — on
SQLite and PostgreSQL. (Voucher redemption at the desk: tests/e2e/test_desk_audit.py.)"""

from __future__ import annotations

from datetime import timedelta

from jiayi.services import booking, console, privacy
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.factories import make_resident
from tests.integration.booking_support import (
    DOCTOR_USER,
    FLU,
    NEIGHBOUR,
    PARENT,
    SHANGHAI,
    TOMORROW,
    local,
    make_doctor_user,
    make_service,
    make_slot,
)


async def test_desk_actions_on_a_colleagues_resident_show_in_their_data_export(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutations tried, one at a time: drop the `_audit_desk` call in `doctor_day`,
    `check_in` or `mark_attendance` → the matching action is missing from the log and the
    export (before this change none of them wrote an audit row)."""
    doctor = await make_doctor_user(uow_factory, clock)
    parent = await make_resident(uow_factory, clock, PARENT)  # no contract with this doctor
    neighbour = await make_resident(uow_factory, clock, NEIGHBOUR)
    flu = await make_service(uow_factory, clock, FLU, centre_id=doctor.centre_id)
    morning = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    later = await make_slot(uow_factory, flu, local(TOMORROW + timedelta(days=1), 9))
    booked = await booking.book(uow_factory(), clock, PARENT, morning.id, None, SHANGHAI)
    await booking.book(uow_factory(), clock, NEIGHBOUR, later.id, None, SHANGHAI)

    listed = await booking.doctor_day(uow_factory(), clock, DOCTOR_USER, TOMORROW, SHANGHAI)
    clock.set(local(TOMORROW, 9, 5))
    await booking.check_in(uow_factory(), clock, DOCTOR_USER, booked.check_in_code.lower())
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, booked.id, attended=False)

    assert [a.id for a in listed] == [booked.id]
    entries = await console.audit_entries_for_resident(uow_factory(), parent.id)
    assert [(e.action, e.actor_doctor_id, e.ref_id) for e in entries] == [
        ("desk_day", doctor.id, booked.id),
        ("check_in", doctor.id, booked.id),
        ("attendance", doctor.id, booked.id),
    ]
    # Not on the list, not touched: nothing is logged about the neighbour.
    assert await console.audit_entries_for_resident(uow_factory(), neighbour.id) == []
    export = await privacy.export_my_data(uow_factory(), clock, PARENT)
    access = export.sections["doctor_access"]
    assert [(row["action"], row["doctor_name"]) for row in access] == [  # type: ignore[index, union-attr]
        ("desk_day", doctor.display_name),
        ("check_in", doctor.display_name),
        ("attendance", doctor.display_name),
    ]
