"""How fast the outbox dispatcher can send when Telegram's rate limit is out of the way.

    python -m benchmarks.dispatch [--messages 5000] [--backend sqlite|postgresql]
                                  [--settings 200/32,500/64] [--profile]

For each batch_size/concurrency setting, on a fresh scratch database: seeds N onboarded
residents, plans 立冬 2026 for them (N outbox rows), starts the in-repo Bot API test server on
127.0.0.1 with every resident's chat open, and times `OutboxDispatcher.run_once()` with the
rate limiter and the per-chat pacing off, sending through the real `AiogramSender` over HTTP.

Prints the client-side figure (messages sent / wall time of run_once) and the server-side one
(sendMessage calls between the first and the last arrival at the test server). The test
server runs in the same process and event loop as the dispatcher, so both share one core:
the figures include the server's own cost of parsing HTML and recording every message.

Target (from the issue): >= 1,000 messages/s on one core, so that in production Telegram's
limit (~30/s) is the only bottleneck. The script reports whether it was met; it never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from dataclasses import dataclass

from benchmarks._common import (
    DEFAULT_PG_ADMIN_DSN,
    LIDONG_2026,
    SHANGHAI,
    TELEGRAM_ID_BASE,
    local,
    outbox_status_counts,
    print_table,
    scratch_database,
    seed,
)
from bot.app import build_bot, build_i18n
from bot.sender import AiogramSender
from content.render import Renderer
from content.tips import Library, load_library
from sandbox.botapi import BotAPIServer
from sandbox.botapi.models import TgUser
from services.clock import ManualClock
from services.database import open_database
from services.delivery import DispatchReport, DispatchSettings, OutboxDispatcher
from services.pushes import PushSchedule, plan_day
from services.settings import Settings

TARGET_PER_SECOND = 1_000.0
BENCH_TOKEN = "123456789:BENCH-token"


@dataclass(frozen=True)
class Result:
    backend: str
    batch_size: int
    concurrency: int
    messages: int
    report: DispatchReport
    seconds: float
    server_calls: int
    server_seconds: float
    statuses: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.report.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_per_second(self) -> float:
        if self.server_calls < 2 or self.server_seconds <= 0:
            return 0.0
        return (self.server_calls - 1) / self.server_seconds

    def cells(self) -> list[object]:
        return [
            self.backend,
            f"{self.batch_size}/{self.concurrency}",
            self.messages,
            self.report.sent,
            self.report.failed + self.report.blocked + self.report.retried,
            round(self.seconds, 3),
            round(self.per_second),
            round(self.server_per_second),
            f">= {TARGET_PER_SECOND:,.0f}/s",
            "met" if self.per_second >= TARGET_PER_SECOND else "NOT met",
        ]


def parse_settings(value: str) -> list[tuple[int, int]]:
    pairs = []
    for part in value.split(","):
        batch, _, concurrency = part.strip().partition("/")
        pairs.append((int(batch), int(concurrency)))
    if not pairs or any(b < 1 or c < 1 for b, c in pairs):
        raise argparse.ArgumentTypeError("expected batch/concurrency pairs, e.g. 200/32,500/64")
    return pairs


async def run_setting(
    backend: str,
    messages: int,
    batch_size: int,
    concurrency: int,
    library: Library,
    *,
    pg_admin_dsn: str,
    tag: str,
    profile: cProfile.Profile | None = None,
) -> Result:
    schedule = PushSchedule(zone=SHANGHAI)
    async with scratch_database(backend, pg_admin_dsn=pg_admin_dsn, tag=tag) as url:
        await seed(url, messages)
        database = open_database(url)
        try:
            planned = await plan_day(
                database.uow_factory(),
                library,
                schedule,
                ManualClock(local(LIDONG_2026, 0, 5)),
                LIDONG_2026,
            )
            if planned != messages:
                print(f"note: planned {planned:,} rows for {messages:,} residents")
            async with BotAPIServer() as server:
                for i in range(1, messages + 1):
                    server.open_chat(TgUser(TELEGRAM_ID_BASE + i, f"居民{i}"))
                bot = build_bot(
                    Settings(
                        bot_token=BENCH_TOKEN,
                        telegram_api_url=server.base_url,
                        _env_file=None,  # type: ignore[call-arg]
                    )
                )
                try:
                    await bot.get_me()  # warm the HTTP connection pool up
                    dispatcher = OutboxDispatcher(
                        uow_factory=database.uow_factory,
                        sender=AiogramSender(bot, build_i18n("zh-CN")),
                        library=library,
                        clock=ManualClock(local(LIDONG_2026, 9, 30)),
                        zone=SHANGHAI,
                        settings=DispatchSettings(
                            rate_per_second=0,
                            per_chat_interval=0.0,
                            batch_size=batch_size,
                            concurrency=concurrency,
                        ),
                    )
                    total = DispatchReport()
                    # run_once stops after max_batches_per_run batches; go round until drained.
                    rounds = messages // (batch_size * dispatcher.settings.max_batches_per_run)
                    began = time.perf_counter()
                    if profile is not None:
                        profile.enable()
                    try:
                        for _ in range(rounds + 2):
                            report = await dispatcher.run_once()
                            total.add(report)
                            if report.sent + report.failed + report.blocked == 0:
                                break
                    finally:
                        if profile is not None:
                            profile.disable()
                    seconds = time.perf_counter() - began
                finally:
                    await bot.session.close()
                sends = [r for r in server.find_requests("sendMessage") if r.status == 200]
                server_seconds = sends[-1].at - sends[0].at if sends else 0.0
        finally:
            await database.dispose()
        statuses = await outbox_status_counts(url)
    return Result(
        backend=backend,
        batch_size=batch_size,
        concurrency=concurrency,
        messages=messages,
        report=total,
        seconds=seconds,
        server_calls=len(sends),
        server_seconds=server_seconds,
        statuses=statuses,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--settings",
        type=parse_settings,
        default=parse_settings("200/32,500/64"),
        help="batch_size/concurrency pairs, comma-separated (default 200/32,500/64)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, run the first setting once more under cProfile and print the top 15",
    )
    parser.add_argument(
        "--pg-admin-dsn",
        default=DEFAULT_PG_ADMIN_DSN,
        help="maintenance database used to create and drop the scratch database",
    )
    args = parser.parse_args()
    if not 1 <= args.messages <= 50_000:
        parser.error("--messages must be between 1 and 50,000 (the test server keeps them all)")
    library = load_library(Renderer().env)
    results = []
    for index, (batch_size, concurrency) in enumerate(args.settings):
        result = await run_setting(
            args.backend,
            args.messages,
            batch_size,
            concurrency,
            library,
            pg_admin_dsn=args.pg_admin_dsn,
            tag=str(index),
        )
        print(
            f"[{args.backend} {batch_size}/{concurrency}] sent {result.report.sent:,} in "
            f"{result.seconds:.2f} s; outbox {result.statuses}",
            flush=True,
        )
        results.append(result)
    print()
    print_table(
        [
            "backend",
            "batch/conc",
            "messages",
            "sent",
            "not sent",
            "seconds",
            "messages/s",
            "server msgs/s",
            "target",
            "met",
        ],
        [r.cells() for r in results],
    )
    if args.profile:
        batch_size, concurrency = args.settings[0]
        profile = cProfile.Profile()
        result = await run_setting(
            args.backend,
            args.messages,
            batch_size,
            concurrency,
            library,
            pg_admin_dsn=args.pg_admin_dsn,
            tag="profile",
            profile=profile,
        )
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(15)
        print(
            f"\ncProfile of run_once, {args.backend} {batch_size}/{concurrency}: "
            f"{result.report.sent:,} sent in {result.seconds:.2f} s under the profiler"
        )
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
        print("top 15 by own time:")
        print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
