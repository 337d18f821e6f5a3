"""Doctors' broadcasts: segments, audience size and delivery estimate, send now or later
(optionally spread over a window), cancel, and the delivery report.

A broadcast becomes one outbox row per recipient (kind "broadcast", dedupe key
`broadcast:<id>:<resident id>`), so the one dispatcher sends it at the configured rate and
respects pauses and blocks like every push. The report is counted from those rows.

Modules: `segments` (who a broadcast can go to), `drafting` (checking text, time and audience
size), `sending` (create and cancel), `reports` (delivery report and progress), `notices`
(rendering for the dispatcher).
"""

from __future__ import annotations

from jiayi.services.broadcasts.drafting import (
    AudienceEstimate,
    Draft,
    audience_size,
    check_start,
    check_texts,
    estimate_duration,
    parse_start,
    parse_text,
    text_for,
)
from jiayi.services.broadcasts.notices import register, render_broadcast
from jiayi.services.broadcasts.reports import (
    BroadcastReport,
    list_broadcasts,
    report,
    set_status_message,
    track_progress,
)
from jiayi.services.broadcasts.segments import (
    BROADCAST_KIND,
    BUILTIN_SEGMENTS,
    CAPTION_MAX,
    CHILD_UNDER_YEARS,
    MAX_AHEAD,
    MAX_SPREAD,
    OVERDUE_SEGMENT,
    READINGS_HIGH_DAYS,
    READINGS_HIGH_SEGMENT,
    TEXT_MAX,
    BroadcastStatus,
    Segment,
    SegmentGroup,
    SegmentResolver,
    audience_filter,
    check_segments,
    segment_catalogue,
    segment_codes,
)
from jiayi.services.broadcasts.sending import cancel_broadcast, create_broadcast

__all__ = [
    "BROADCAST_KIND",
    "BUILTIN_SEGMENTS",
    "CAPTION_MAX",
    "CHILD_UNDER_YEARS",
    "MAX_AHEAD",
    "MAX_SPREAD",
    "OVERDUE_SEGMENT",
    "READINGS_HIGH_DAYS",
    "READINGS_HIGH_SEGMENT",
    "TEXT_MAX",
    "AudienceEstimate",
    "BroadcastReport",
    "BroadcastStatus",
    "Draft",
    "Segment",
    "SegmentGroup",
    "SegmentResolver",
    "audience_filter",
    "audience_size",
    "cancel_broadcast",
    "check_segments",
    "check_start",
    "check_texts",
    "create_broadcast",
    "estimate_duration",
    "list_broadcasts",
    "parse_start",
    "parse_text",
    "register",
    "render_broadcast",
    "report",
    "segment_catalogue",
    "segment_codes",
    "set_status_message",
    "text_for",
    "track_progress",
]
