"""Webhook mode: `jiayi run --webhook [--workers N]`.

The parent process migrates once, calls setWebhook once, then hands the listening port to
gunicorn with aiohttp's worker class (one worker, or N sharing the port with SO_REUSEPORT).
Each worker builds the whole bot (`bot.app.build_worker`) and serves:

- the webhook path (aiogram's SimpleRequestHandler, which checks the secret on every request),
- /healthz (alive), /readyz (database migrated, Redis answers), /metrics (Prometheus).

Several workers share conversations and event isolation (RedisStorage/RedisEventIsolation),
the send rate and per-chat spacing (services/ratelimit.py) and one planning lease
(scheduler/lease.py) through Redis, and the outbox through PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from redis.asyncio import Redis

from jiayi.bot.app import build_bot, build_i18n, build_worker, set_commands, set_doctor_menus
from jiayi.scheduler.lease import Lease
from jiayi.services import readiness
from jiayi.services.clock import SystemClock
from jiayi.services.delivery import DispatchSettings
from jiayi.services.metrics import MULTIPROC_ENV, build_metrics
from jiayi.services.ratelimit import RedisChatPacer, RedisRateLimiter
from jiayi.services.settings import Settings

log = logging.getLogger(__name__)

WORKER_HEADER = "X-Jiayi-Worker"
WEBHOOK_SET_KEY = "jiayi:webhook:set:"


def webhook_path(settings: Settings) -> str:
    # The proxy forwards Telegram's request unchanged: serve the public URL's own path.
    path = urlsplit(str(settings.webhook_url)).path if settings.webhook_url else ""
    return path or "/"


def allowed_updates() -> list[str]:
    # The same update types polling asks for (resolved from the routers, as aiogram does).
    from aiogram import Dispatcher

    from jiayi.bot.routers import get_routers

    dp = Dispatcher()
    dp.include_routers(*get_routers())
    return dp.resolve_used_update_types()


async def register_webhook(settings: Settings) -> bool:
    """Called once, by the parent process: setWebhook (unless another host already set the
    same URL and secret: a Redis key remembers it for an hour), the command menus.

    Returns whether setWebhook was called."""
    assert settings.webhook_url is not None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    bot = build_bot(settings)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    try:
        if redis is not None:
            fingerprint = hashlib.sha256(f"{settings.webhook_url}\n{secret}".encode()).hexdigest()
            first = await redis.set(WEBHOOK_SET_KEY + fingerprint, b"1", nx=True, ex=3600)
            if not first:
                log.info("webhook already set by another host; not setting it again")
                return False
        await bot.set_webhook(
            str(settings.webhook_url),
            secret_token=secret,
            allowed_updates=allowed_updates(),
            drop_pending_updates=False,
        )
        i18n = build_i18n(settings.default_locale)
        await set_commands(bot, i18n, settings.default_locale)
        log.info("webhook set: Telegram delivers updates to %s", settings.webhook_url)
        return True
    finally:
        if redis is not None:
            await redis.aclose()
        await bot.session.close()


async def worker_app(settings: Settings) -> web.Application:
    """One worker: the bot, its dispatcher jobs, and (with Redis) its bid for the lease."""
    clock = SystemClock()
    metrics = build_metrics()
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    storage: BaseStorage
    isolation: BaseEventIsolation | None = None
    lease: Lease | None = None
    if redis is not None:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage(redis)
        isolation = RedisEventIsolation(redis)
        limiter: RedisRateLimiter | None = RedisRateLimiter(redis, settings.push_rate)
        pacer: RedisChatPacer | None = RedisChatPacer(redis, DispatchSettings.per_chat_interval)
    else:
        storage, limiter, pacer = MemoryStorage(), None, None
    worker = build_worker(
        settings,
        clock=clock,
        storage=storage,
        limiter=limiter,
        pacer=pacer,
        leads=(lambda: lease is not None and lease.held) if redis is not None else None,
        metrics=metrics,
        events_isolation=isolation,
    )
    jobs = worker.jobs
    if redis is not None:

        async def catch_up() -> None:
            # A new leader catches up at once (after downtime or a takeover).
            for job in (jobs.materialize, jobs.plan, jobs.plan_care):
                if lease is None or not lease.held:
                    return
                try:
                    await job()
                except Exception:
                    log.exception("catch-up planning failed; the scheduler will retry")

        lease = Lease(
            redis,
            on_acquired=catch_up,
            on_change=lambda held: metrics.leader.set(1 if held else 0),
        )

    app = web.Application()
    app["worker"] = worker
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    SimpleRequestHandler(
        dispatcher=worker.dp,
        bot=worker.bot,
        secret_token=secret,
        # Answer after handling: Telegram (and the test server) then send a chat's next
        # update only once this one is done, keeping a conversation's steps in order.
        handle_in_background=False,
    ).register(app, path=webhook_path(settings))
    setup_application(app, worker.dp, bot=worker.bot)

    pid = str(os.getpid())

    async def name_worker(request: web.Request, response: web.StreamResponse) -> None:
        response.headers[WORKER_HEADER] = pid

    app.on_response_prepare.append(name_worker)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        problems = []
        problem = await readiness.database_problem(settings.database_url)
        if problem:
            problems.append(problem)
        if redis is not None:
            try:
                # redis-py types its commands for the sync and async clients at once
                # (`Awaitable[bool] | bool`, redis/redis-py#2399); on `redis.asyncio` it awaits.
                await redis.ping()  # type: ignore[misc]
            except Exception as error:
                problems.append(f"redis unreachable ({type(error).__name__})")
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text="ready\n")

    async def metrics_page(request: web.Request) -> web.Response:
        body = metrics.render()
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)

    async def on_startup(_: web.Application) -> None:
        if lease is not None:
            lease.start()
        else:
            # One process, no Redis: it plans itself, as polling does.
            for job in (jobs.materialize, jobs.plan):
                try:
                    await job()
                except Exception:
                    log.exception("start-up planning failed; the scheduler will retry")
            metrics.leader.set(1)
        worker.scheduler.start()

    async def on_cleanup(_: web.Application) -> None:
        # No new runs; the ones in progress finish (APScheduler's shutdown would cancel a
        # dispatcher run mid-batch), then the lease goes back for another worker to take.
        if worker.scheduler.running:
            worker.scheduler.pause()
        await jobs.wait_idle()
        if worker.scheduler.running:
            worker.scheduler.shutdown(wait=False)
        if lease is not None:
            await lease.stop()
        await worker.dp.storage.close()
        if isolation is not None:
            await isolation.close()
        await worker.bot.session.close()
        await worker.database.dispose()
        if redis is not None:
            with contextlib.suppress(Exception):
                await redis.aclose()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def worker_factory(settings: Settings) -> Callable[[], Awaitable[web.Application]]:
    async def factory() -> web.Application:
        return await worker_app(settings)

    return factory


def serve(settings: Settings) -> None:
    """Runs `settings.workers` workers on `settings.webhook_listen` until SIGTERM/SIGINT."""
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    from jiayi.services.database import migrate

    async def prepare() -> None:
        await migrate(settings.database_url)
        if await register_webhook(settings):
            await _doctor_menus(settings)

    asyncio.run(prepare())
    # prometheus_client's multiprocess mode: each worker writes its values to this
    # directory and /metrics adds them up, whichever worker answers.
    metrics_dir = tempfile.mkdtemp(prefix="jiayi-metrics-")
    os.environ[MULTIPROC_ENV] = metrics_dir
    # prometheus_client picks its value store when first imported (here, before the
    # variable was set); metrics are built in the workers, after this.
    from prometheus_client import values

    # prometheus_client ships py.typed but leaves this function unannotated.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    host, port = settings.listen

    class Workers(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": settings.workers,
                "worker_class": "aiohttp.GunicornWebWorker",
                # Workers accept on the parent's socket; SO_REUSEPORT also lets a second
                # `jiayi run --webhook` on this host share the port during an upgrade.
                "reuse_port": True,
                "graceful_timeout": 30,
                "timeout": 60,
                "accesslog": None,
                "loglevel": settings.log_level.lower(),
                "child_exit": _child_exit,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[[], Awaitable[web.Application]]:
            return worker_factory(settings)

    log.info(
        "webhook mode: %d worker(s) on %s, path %s",
        settings.workers,
        settings.webhook_listen,
        webhook_path(settings),
    )
    Workers().run()


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    # prometheus_client ships py.typed but leaves this function unannotated.
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


async def _doctor_menus(settings: Settings) -> None:
    from jiayi.services.database import open_database

    database = open_database(settings.database_url)
    bot = build_bot(settings)
    try:
        await set_doctor_menus(
            bot, build_i18n(settings.default_locale), database.uow_factory, settings
        )
    except Exception:
        log.exception("setting the doctors' menus failed; invites still set them")
    finally:
        await bot.session.close()
        await database.dispose()
