"""Which residents' home readings need their doctor's eye: last week's average above target,
or an urgent reading. Pure functions over readings, shared by the care digest and the card
(no imports of other services, so care plans can use it without an import cycle)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import mean

from jiayi.content.readings import GlucoseContext, Thresholds, load_thresholds
from jiayi.storage.readings import ReadingRecord

# The care digest looks at the last week of readings.
ATTENTION_DAYS = 7


@dataclass(frozen=True, slots=True)
class Attention:
    resident_id: int
    bp_average: tuple[int, int] | None  # set when the week's average is above target
    fasting_average: float | None  # set when the week's fasting average is above target
    urgent: int  # urgent readings in the week


def needing_attention(
    readings: Iterable[ReadingRecord], thresholds: Thresholds | None = None
) -> list[Attention]:
    """Residents (own readings only) whose week's readings need the doctor."""
    t = thresholds or load_thresholds()
    by_resident: dict[int, list[ReadingRecord]] = defaultdict(list)
    for r in readings:
        if r.member_id is None:
            by_resident[r.resident_id].append(r)
    found = []
    for resident_id, rows in sorted(by_resident.items()):
        bp = [(r.systolic, r.diastolic) for r in rows if r.systolic and r.diastolic]
        bp_avg = (round(mean(s for s, _ in bp)), round(mean(d for _, d in bp))) if bp else None
        if bp_avg is not None and not (
            bp_avg[0] >= t.blood_pressure.target.systolic_below
            or bp_avg[1] >= t.blood_pressure.target.diastolic_below
        ):
            bp_avg = None
        fasting = [
            r.glucose_tenths / 10
            for r in rows
            if r.glucose_tenths is not None and r.context == GlucoseContext.FASTING.value
        ]
        fasting_avg = mean(fasting) if fasting else None
        if fasting_avg is not None and fasting_avg <= t.glucose.target[GlucoseContext.FASTING][1]:
            fasting_avg = None
        urgent = sum(r.level == "urgent" for r in rows)
        if bp_avg or fasting_avg is not None or urgent:
            found.append(Attention(resident_id, bp_avg, fasting_avg, urgent))
    return found
