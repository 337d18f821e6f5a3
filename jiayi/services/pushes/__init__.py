"""Seasonal health pushes: what is due, for whom, and when — planned into the outbox.

Planning is set-based (one INSERT … SELECT per tip variant) and idempotent: the dedupe key
(tip, trigger occurrence, resident) means re-running a plan, a second scheduler, or a restart
mid-plan never queues a tip twice. More specific variants are inserted first, so each resident
gets the most specific of their own variants; then the most specific household variant (a
child, an 80+ parent they look after) is attached to the same row as a carer section — or
planned alone for residents with no own variant. One tip is never more than one message.

Modules: `planning` (daily firings, catch-up, what is due), `controls` (/tips), `coverage`
(the yearly target measured), `occasions` (more on a tip, the occasion's name).
"""

from __future__ import annotations

from jiayi.content.tips import Action, Library, Topic
from jiayi.services.pushes.controls import (
    TipsOverview,
    audience_matches,
    pregnancy_stage,
    record_feedback,
    set_paused,
    set_quiet_hours,
    tips_overview,
    toggle_topic,
)
from jiayi.services.pushes.coverage import CoverageReport, DoctorCoverage, coverage
from jiayi.services.pushes.occasions import occasion_name, tip_more
from jiayi.services.pushes.planning import (
    AUDIENCE_FILTERS,
    CATCH_UP_EVERY_DAYS,
    QUIET_HOUR_PRESETS,
    YEARLY_TARGET,
    PlanReport,
    PushSchedule,
    catch_up_quiet_from,
    plan_catch_up,
    plan_day,
    plan_due,
    tip_payload,
    yearly_target_by,
)
from jiayi.services.tip_parts import TipParts, render_tip

__all__ = [
    "AUDIENCE_FILTERS",
    "CATCH_UP_EVERY_DAYS",
    "QUIET_HOUR_PRESETS",
    "YEARLY_TARGET",
    "Action",
    "CoverageReport",
    "DoctorCoverage",
    "Library",
    "PlanReport",
    "PushSchedule",
    "TipParts",
    "TipsOverview",
    "Topic",
    "audience_matches",
    "catch_up_quiet_from",
    "coverage",
    "occasion_name",
    "plan_catch_up",
    "plan_day",
    "plan_due",
    "pregnancy_stage",
    "record_feedback",
    "render_tip",
    "set_paused",
    "set_quiet_hours",
    "tip_more",
    "tip_payload",
    "tips_overview",
    "toggle_topic",
    "yearly_target_by",
]
