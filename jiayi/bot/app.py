"""The app factory: bot, dispatcher, and `run` — the code path of `jiayi run`."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gettext
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from jiayi.bot.aiogram_shim import KeepAliveSession, inline_sync_filters
from jiayi.bot.commands import doctor_commands, resident_commands
from jiayi.bot.doctor.broadcast import BroadcastNotifier
from jiayi.bot.doctor.composing import COMPOSING_STATES
from jiayi.bot.logs import keep_personal_data_out
from jiayi.bot.middlewares import (
    CommandLeavesStep,
    ConsentGate,
    LocaleMiddleware,
    UnitOfWorkMiddleware,
)
from jiayi.bot.routers import get_routers
from jiayi.bot.sender import AiogramSender
from jiayi.content import GETTEXT_DOMAIN, LOCALES, LOCALES_DIR
from jiayi.content.i18n import load_translations
from jiayi.content.render import Renderer
from jiayi.content.tips import load_library
from jiayi.scheduler.app import build_scheduler
from jiayi.scheduler.jobs import PushJobs
from jiayi.services import (
    broadcasts,
    care_notices,
    console,
    doctors,
    holidays,
    notices,
    points_notices,
    questions,
    readings,
)
from jiayi.services.clock import Clock, SystemClock
from jiayi.services.database import Database, UnitOfWorkFactory, migrate, open_database
from jiayi.services.delivery import DispatchSettings, OutboxDispatcher, Sender
from jiayi.services.metrics import Metrics
from jiayi.services.pushes import Library, PushSchedule
from jiayi.services.ratelimit import ChatPacer, RateLimiter
from jiayi.services.settings import Settings

log = logging.getLogger(__name__)

# Telegram's language codes for setMyCommands, per jiayi locale.
COMMAND_LANGUAGES = {"zh-CN": "zh", "en": "en"}


class CatalogI18n(I18n):
    """aiogram's I18n, fed from the .po catalogs compiled in memory (see content.i18n).

    aiogram keeps "the current I18n" in a context variable that its `ContextInstanceMixin`
    creates afresh for every subclass, while its `gettext`/`get_i18n` helpers read
    `I18n.get_current()`. `I18n.context()` (used by its middleware and by us) sets the
    variable through `self.set_current`, so these two public classmethods hand the instance
    to I18n's own variable, and the helpers find it (tests/unit/test_i18n_context.py).
    """

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return load_translations(self.path, LOCALES)

    @classmethod
    def set_current(cls, value: I18n) -> contextvars.Token[I18n]:
        return I18n.set_current(value)

    @classmethod
    def reset_current(cls, token: contextvars.Token[I18n]) -> None:
        I18n.reset_current(token)


def build_i18n(default_locale: str) -> I18n:
    return CatalogI18n(path=LOCALES_DIR, default_locale=default_locale, domain=GETTEXT_DOMAIN)


def build_bot(settings: Settings) -> Bot:
    if settings.bot_token is None:
        raise ValueError("JIAYI_BOT_TOKEN is required to run the bot")
    # One code path for real Telegram, a local Bot API server and the in-repo test server.
    api = (
        TelegramAPIServer.from_base(str(settings.telegram_api_url).rstrip("/"))
        if (settings.telegram_api_url)
        else None
    )
    # KeepAliveSession: aiogram's own session, minus a pydantic class rebuild per call.
    session = KeepAliveSession(api=api) if api else KeepAliveSession()
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_fsm_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def build_dispatcher(
    *,
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    renderer: Renderer,
    clock: Clock,
    i18n: I18n,
    storage: BaseStorage,
    library: Library,
    schedule: PushSchedule,
    events_isolation: BaseEventIsolation | None = None,
) -> Dispatcher:
    # App-wide objects reach handlers by keyword name; keep this list short.
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation,
        settings=settings,
        renderer=renderer,
        clock=clock,
        library=library,
        schedule=schedule,
    )
    dp.update.outer_middleware(UnitOfWorkMiddleware(uow_factory))
    LocaleMiddleware(i18n).setup(dp)
    # Withdrawn or outdated consent: ask again before any feature uses the resident's data.
    gate = ConsentGate(renderer)
    # Before the gate, which reads the state: a command leaves a pending step (not /cancel).
    dp.message.outer_middleware(CommandLeavesStep(keep=COMPOSING_STATES))
    dp.message.outer_middleware(gate)
    dp.callback_query.outer_middleware(gate)
    dp.callback_query.middleware(CallbackAnswerMiddleware(pre=True))
    dp.include_routers(*get_routers())
    inline_sync_filters(dp)
    return dp


async def set_commands(bot: Bot, i18n: I18n, default_locale: str) -> None:
    def listing(locale: str) -> list[BotCommand]:
        with i18n.context(), i18n.use_locale(locale):
            return resident_commands()

    await bot.set_my_commands(listing(default_locale), scope=BotCommandScopeDefault())
    for locale, code in COMMAND_LANGUAGES.items():
        await bot.set_my_commands(
            listing(locale), scope=BotCommandScopeDefault(), language_code=code
        )


async def set_doctor_menus(
    bot: Bot, i18n: I18n, uow_factory: UnitOfWorkFactory, settings: Settings
) -> int:
    """Gives every bound doctor and every admin the doctors' menu in their own chat, as
    accepting an invite does: menus set before a restart, a new admin, or a doctor bound by
    the demo seed all get it. Returns the chats updated; a chat Telegram refuses (never
    opened, bot blocked) is skipped."""
    users = await doctors.console_users(uow_factory(), settings.admin_ids)
    updated = 0
    for user in users:
        with i18n.context(), i18n.use_locale(user.locale or settings.default_locale):
            listing = doctor_commands()
        try:
            await bot.set_my_commands(
                listing, scope=BotCommandScopeChat(chat_id=user.telegram_user_id)
            )
        except TelegramAPIError:
            continue
        updated += 1
    if updated < len(users):
        log.info("doctors' menu set in %d of %d chat(s)", updated, len(users))
    return updated


@dataclass
class RunningApp:
    """Handles tests use to watch a bot started by `run`, and to run its jobs on demand."""

    started: asyncio.Event
    stop: asyncio.Event
    jobs: PushJobs | None = None
    # Every registered job, so the sandbox can run them all after moving its clock.
    scheduler: AsyncIOScheduler | None = None
    # The start-up work that runs beside polling (doctors' menus, care planning): await it
    # to know it is done.
    after_start: asyncio.Task[None] | None = None


@dataclass
class Worker:
    """Everything one bot process runs: built the same way for polling and for webhooks."""

    database: Database
    bot: Bot
    i18n: I18n
    renderer: Renderer
    dp: Dispatcher
    dispatcher: OutboxDispatcher
    jobs: PushJobs
    scheduler: AsyncIOScheduler


def build_worker(
    settings: Settings,
    *,
    clock: Clock,
    storage: BaseStorage,
    limiter: RateLimiter | None = None,
    pacer: ChatPacer | None = None,
    leads: Callable[[], bool] | None = None,
    metrics: Metrics | None = None,
    events_isolation: BaseEventIsolation | None = None,
) -> Worker:
    """Builds one worker. Several workers pass the Redis-backed `limiter`/`pacer`, the
    planning lease's `leads` and `events_isolation`; one process leaves them out."""
    # The clock says which year is "this year" in dates shown in words (sandbox clock too).
    renderer = Renderer(default_locale=settings.default_locale, clock=clock, zone=settings.zone)
    library = load_library(renderer.env)  # invalid content stops start-up, before anything runs
    # A year in the booking horizon without a holiday schedule: said loudly at every start.
    holidays.horizon_warning(clock.now().astimezone(settings.zone).date())
    database = open_database(settings.database_url)
    bot = build_bot(settings)
    i18n = build_i18n(settings.default_locale)
    schedule = PushSchedule(
        zone=settings.zone,
        push_hour=settings.push_hour,
        grace_days=settings.plan_grace_days,
        send_pending=settings.send_pending_content,
    )
    dp = build_dispatcher(
        settings=settings,
        uow_factory=database.uow_factory,
        renderer=renderer,
        clock=clock,
        i18n=i18n,
        storage=storage,
        library=library,
        schedule=schedule,
        events_isolation=events_isolation,
    )
    sender: Sender = AiogramSender(bot, i18n)
    if metrics is not None:
        from jiayi.bot.metrics import CountingSender, UpdateMetricsMiddleware

        sender = CountingSender(sender, metrics)
        dp.update.outer_middleware(UpdateMetricsMiddleware(metrics))
    dispatcher = OutboxDispatcher(
        uow_factory=database.uow_factory,
        sender=sender,
        library=library,
        clock=clock,
        zone=settings.zone,
        settings=DispatchSettings(
            rate_per_second=settings.push_rate,
            lease=timedelta(seconds=settings.dispatch_lease_seconds),
        ),
        limiter=limiter,
        pacer=pacer,
    )
    notices.register(dispatcher, renderer, settings.zone, clock)
    care_notices.register(dispatcher, renderer)
    points_notices.register(dispatcher, renderer, settings.zone)
    broadcasts.register(dispatcher, renderer)
    console.register(dispatcher, renderer)
    questions.register(dispatcher, renderer, settings.zone)
    readings.register(dispatcher, renderer, settings.zone)
    jobs = PushJobs(
        uow_factory=database.uow_factory,
        library=library,
        schedule=schedule,
        clock=clock,
        dispatcher=dispatcher,
        zone=settings.zone,
        outbox_retention_months=settings.outbox_retention_months,
        readings_retention_months=settings.readings_retention_months,
        on_broadcast=BroadcastNotifier(bot, renderer, i18n, settings),
    )
    scheduler = build_scheduler(
        jobs,
        settings,
        leads=leads,
        observe=metrics.observe_job if metrics is not None else None,
    )
    return Worker(
        database=database,
        bot=bot,
        i18n=i18n,
        renderer=renderer,
        dp=dp,
        dispatcher=dispatcher,
        jobs=jobs,
        scheduler=scheduler,
    )


async def run(
    settings: Settings, *, clock: Clock | None = None, control: RunningApp | None = None
) -> None:
    """Migrates, then long-polls until stopped (SIGINT/SIGTERM, or `control.stop`)."""
    clock = clock or SystemClock()
    keep_personal_data_out()
    built = build_worker(settings, clock=clock, storage=build_fsm_storage(settings))
    await migrate(settings.database_url)
    database, bot, i18n, dp, jobs, scheduler = (
        built.database,
        built.bot,
        built.i18n,
        built.dp,
        built.jobs,
        built.scheduler,
    )

    async def _after_start() -> None:
        try:
            await set_doctor_menus(bot, i18n, database.uow_factory, settings)
        except Exception:
            log.exception("setting the doctors' menus failed; invites still set them")
        try:
            await jobs.plan_care()
        except Exception:
            log.exception("start-up care planning failed; the scheduler will retry")

    background: set[asyncio.Task[None]] = set()

    async def _start_scheduler() -> None:
        # Catch up at once after downtime, before answering anyone; then on the timer.
        try:
            await jobs.materialize()
            await jobs.plan()
        except Exception:
            log.exception("start-up planning failed; the scheduler will retry")
        scheduler.start()
        # Care planning walks every household and the menus are one call per doctor: they
        # run beside polling, so nobody waits for them to be answered.
        task = asyncio.create_task(_after_start())
        background.add(task)
        task.add_done_callback(background.discard)
        if control is not None:
            control.after_start = task

    dp.startup.register(_start_scheduler)
    watcher: asyncio.Task[None] | None = None
    if control is not None:
        control.jobs = jobs
        control.scheduler = scheduler

        async def _started() -> None:
            control.started.set()

        dp.startup.register(_started)

        async def _stop_when_asked() -> None:
            await control.started.wait()
            await control.stop.wait()
            await dp.stop_polling()

        watcher = asyncio.create_task(_stop_when_asked())
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot, i18n, settings.default_locale)
        me = await bot.me()
        log.info("polling as @%s", me.username)
        await dp.start_polling(
            bot,
            handle_signals=control is None,
            allowed_updates=dp.resolve_used_update_types(),
        )
    finally:
        # No new runs; the runs in progress wind down and are awaited before the scheduler
        # shuts down (its shutdown cancels what still runs: a CancelledError mid-transaction).
        if scheduler.running:
            scheduler.pause()
        await jobs.shutdown()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for task in list(background):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if watcher is not None:
            watcher.cancel()
        await dp.storage.close()
        await bot.session.close()
        await database.dispose()
