"""How fast the outbox dispatcher can send when Telegram's rate limit is out of the way.

    python -m benchmarks.dispatch [--messages 5000] [--backend sqlite|postgresql]
                                  [--settings 200/32,500/64] [--server in-process|subprocess]
                                  [--no-baseline] [--profile] [--profile-sender server|no-op]

For each batch_size/concurrency setting, on a fresh scratch database: seeds N onboarded
residents, plans 立冬 2026 for them (N outbox rows), starts the in-repo Bot API test server on
127.0.0.1 with every resident's chat open, and times `OutboxDispatcher.run_once()` with the
rate limiter and the per-chat pacing off, sending through the real `AiogramSender` over HTTP.

Prints the client-side figure (messages sent / wall time of run_once) and the server-side one
(sendMessage calls between the first and the last arrival at the test server).

--server in-process (the default) runs the test server in this process and event loop, so the
    dispatcher and the server share one core: the figure includes the server's own cost of
    parsing every request and keeping every message.
--server subprocess runs it in a child process (the machine's other core), so the figure is
    the dispatcher's own cost, as it would be against the real Telegram.
Baseline rows (on unless --no-baseline) time the same dispatcher with a no-op Sender: no HTTP,
no keyboards, only claiming, rendering and recording in the database.

Target (from the issue): >= 1,000 messages/s on one core, so that in production Telegram's
limit (~30/s) is the only bottleneck. The script reports whether it was met; it never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import multiprocessing
import pstats
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection

from benchmarks._common import (
    DEFAULT_PG_ADMIN_DSN,
    LIDONG_2026,
    SHANGHAI,
    TELEGRAM_ID_BASE,
    local,
    machine_note,
    outbox_status_counts,
    print_table,
    scratch_database,
    seed,
)
from jiayi.bot.app import build_bot, build_i18n
from jiayi.bot.sender import AiogramSender
from jiayi.content.render import Renderer
from jiayi.content.tips import Library, load_library
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.sandbox.botapi.models import TgUser
from jiayi.services.clock import ManualClock
from jiayi.services.database import open_database
from jiayi.services.delivery import (
    DispatchReport,
    DispatchSettings,
    OutboxDispatcher,
    Outcome,
    OutgoingMessage,
    Sender,
    SendResult,
)
from jiayi.services.pushes import PushSchedule, plan_day
from jiayi.services.settings import Settings

TARGET_PER_SECOND = 1_000.0
BENCH_TOKEN = "123456789:BENCH-token"
SERVER_LIFETIME_SECONDS = 900.0  # a child server stops by itself after this, whatever happens


# --- the Bot API test server, here or in a child process -----------------------------------


@dataclass(frozen=True)
class ServerStats:
    calls: int  # successful sendMessage calls
    first_at: float  # time.monotonic() of the first and the last arrival (system-wide clock)
    last_at: float

    @classmethod
    def of(cls, server: BotAPIServer) -> ServerStats:
        sends = [r for r in server.find_requests("sendMessage") if r.status == 200]
        if not sends:
            return cls(0, 0.0, 0.0)
        return cls(len(sends), sends[0].at, sends[-1].at)


class _Handle:
    base_url: str

    async def stats(self) -> ServerStats:
        raise NotImplementedError


def _open_chats(server: BotAPIServer, chat_ids: list[int]) -> None:
    for chat_id in chat_ids:
        server.open_chat(TgUser(chat_id, f"居民{chat_id - TELEGRAM_ID_BASE}"))


def _serve_child(conn: Connection, chat_ids: list[int]) -> None:
    """The child process: serve on loopback until told to stop (or the lifetime runs out)."""

    async def serve() -> None:
        async with BotAPIServer() as server:
            _open_chats(server, chat_ids)
            conn.send(server.base_url)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_reader(conn.fileno(), stop.set)  # the parent writes "stop"
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SERVER_LIFETIME_SECONDS):
                        await stop.wait()
            finally:
                loop.remove_reader(conn.fileno())
            conn.send(ServerStats.of(server))

    try:
        asyncio.run(serve())
    finally:
        conn.close()


@asynccontextmanager
async def bot_api_server(chat_ids: list[int], *, subprocess: bool) -> AsyncIterator[_Handle]:
    if not subprocess:
        async with BotAPIServer() as server:
            _open_chats(server, chat_ids)

            class Local(_Handle):
                async def stats(self) -> ServerStats:
                    return ServerStats.of(server)

            handle = Local()
            handle.base_url = server.base_url
            yield handle
        return

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve_child, args=(child, chat_ids), daemon=True)
    process.start()
    child.close()

    stopped = False

    async def receive(wait_seconds: float) -> object:
        if not await asyncio.to_thread(parent.poll, wait_seconds):
            raise TimeoutError("the Bot API test server process did not answer")
        return parent.recv()

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            with contextlib.suppress(OSError):
                parent.send("stop")

    try:
        base_url = await receive(60.0)

        class Remote(_Handle):
            async def stats(self) -> ServerStats:
                stop()
                result = await receive(60.0)
                assert isinstance(result, ServerStats)
                return result

        handle = Remote()
        handle.base_url = str(base_url)
        yield handle
    finally:
        stop()
        await asyncio.to_thread(process.join, 10.0)
        if process.is_alive():
            process.terminate()  # only the child this script started
            await asyncio.to_thread(process.join, 5.0)
        parent.close()


class NoOpSender:
    """A Sender that sends nothing: the dispatcher's and the database's own cost."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        return SendResult(Outcome.SENT, message_id=message.outbox_id)


# --- one measured run ----------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    backend: str
    sender: str
    batch_size: int
    concurrency: int
    messages: int
    report: DispatchReport
    seconds: float
    server: ServerStats | None
    statuses: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.report.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_per_second(self) -> float | None:
        s = self.server
        if s is None or s.calls < 2 or s.last_at <= s.first_at:
            return None
        return (s.calls - 1) / (s.last_at - s.first_at)

    def cells(self) -> list[object]:
        server_rate = self.server_per_second
        return [
            self.backend,
            self.sender,
            f"{self.batch_size}/{self.concurrency}",
            self.messages,
            self.report.sent,
            round(self.seconds, 3),
            round(self.per_second),
            "-" if server_rate is None else round(server_rate),
            f">= {TARGET_PER_SECOND:,.0f}/s",
            "met" if self.per_second >= TARGET_PER_SECOND else "NOT met",
        ]


async def _drain(dispatcher: OutboxDispatcher, messages: int) -> DispatchReport:
    total = DispatchReport()
    # run_once stops after max_batches_per_run batches: go round until nothing more is sent.
    per_run = dispatcher.settings.batch_size * dispatcher.settings.max_batches_per_run
    for _ in range(messages // per_run + 2):
        report = await dispatcher.run_once()
        total.add(report)
        if report.sent + report.failed + report.blocked + report.retried == 0:
            break
    return total


async def run_setting(
    backend: str,
    messages: int,
    batch_size: int,
    concurrency: int,
    library: Library,
    *,
    sender_kind: str,  # "in-process", "subprocess" or "no-op"
    pg_admin_dsn: str,
    tag: str,
    profile: cProfile.Profile | None = None,
) -> Result:
    schedule = PushSchedule(zone=SHANGHAI)
    chat_ids = [TELEGRAM_ID_BASE + i for i in range(1, messages + 1)]
    settings = DispatchSettings(
        rate_per_second=0, per_chat_interval=0.0, batch_size=batch_size, concurrency=concurrency
    )
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

            async def timed(sender: Sender) -> tuple[DispatchReport, float]:
                dispatcher = OutboxDispatcher(
                    uow_factory=database.uow_factory,
                    sender=sender,
                    library=library,
                    clock=ManualClock(local(LIDONG_2026, 9, 30)),  # after 09:00, not quiet
                    zone=SHANGHAI,
                    settings=settings,
                )
                began = time.perf_counter()
                if profile is not None:
                    profile.enable()
                try:
                    report = await _drain(dispatcher, messages)
                finally:
                    if profile is not None:
                        profile.disable()
                return report, time.perf_counter() - began

            server_stats: ServerStats | None = None
            if sender_kind == "no-op":
                report, seconds = await timed(NoOpSender())
            else:
                async with bot_api_server(
                    chat_ids, subprocess=sender_kind == "subprocess"
                ) as server:
                    bot = build_bot(
                        Settings(
                            bot_token=BENCH_TOKEN,
                            telegram_api_url=server.base_url,
                            _env_file=None,  # type: ignore[call-arg]
                        )
                    )
                    try:
                        await bot.get_me()  # warm the HTTP connection pool up
                        report, seconds = await timed(AiogramSender(bot, build_i18n("zh-CN")))
                    finally:
                        await bot.session.close()
                    server_stats = await server.stats()
        finally:
            await database.dispose()
        statuses = await outbox_status_counts(url)
    return Result(
        backend=backend,
        sender="no-op sender" if sender_kind == "no-op" else f"test server, {sender_kind}",
        batch_size=batch_size,
        concurrency=concurrency,
        messages=messages,
        report=report,
        seconds=seconds,
        server=server_stats,
        statuses=statuses,
    )


def parse_settings(value: str) -> list[tuple[int, int]]:
    pairs = []
    try:
        for part in value.split(","):
            batch, _, concurrency = part.strip().partition("/")
            pairs.append((int(batch), int(concurrency)))
    except ValueError:
        raise argparse.ArgumentTypeError("expected pairs like 200/32,500/64") from None
    if not pairs or any(b < 1 or c < 1 for b, c in pairs):
        raise argparse.ArgumentTypeError("expected pairs like 200/32,500/64")
    return pairs


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
        "--server",
        choices=("in-process", "subprocess"),
        default="in-process",
        help="where the Bot API test server runs (default: in this process)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the rows with a no-op Sender"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, run the first setting once more under cProfile and print the top 15",
    )
    parser.add_argument(
        "--profile-sender",
        choices=("server", "no-op"),
        default="server",
        help="the sender of the --profile run: the test server (as --server) or the no-op one",
    )
    parser.add_argument(
        "--pg-admin-dsn",
        default=DEFAULT_PG_ADMIN_DSN,
        help="maintenance database used to create and drop the scratch database",
    )
    args = parser.parse_args()
    if not 1 <= args.messages <= 50_000:
        parser.error("--messages must be between 1 and 50,000 (the test server keeps them all)")
    print(f"machine: {machine_note()} at start", flush=True)
    library = load_library(Renderer().env)
    kinds = [args.server] + ([] if args.no_baseline else ["no-op"])
    results = []
    for kind in kinds:
        for index, (batch_size, concurrency) in enumerate(args.settings):
            result = await run_setting(
                args.backend,
                args.messages,
                batch_size,
                concurrency,
                library,
                sender_kind=kind,
                pg_admin_dsn=args.pg_admin_dsn,
                tag=f"{kind.replace('-', '')}{index}",
            )
            print(
                f"[{args.backend}, {result.sender}, {batch_size}/{concurrency}] sent "
                f"{result.report.sent:,} in {result.seconds:.2f} s; outbox {result.statuses}",
                flush=True,
            )
            results.append(result)
    print(f"machine: {machine_note()} at the end")
    print()
    print_table(
        [
            "backend",
            "sender",
            "batch/conc",
            "messages",
            "sent",
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
            sender_kind=args.server if args.profile_sender == "server" else "no-op",
            pg_admin_dsn=args.pg_admin_dsn,
            tag="profile",
            profile=profile,
        )
        print(
            f"\ncProfile of run_once ({result.sender}, {args.backend} {batch_size}/"
            f"{concurrency}): {result.report.sent:,} sent in {result.seconds:.2f} s under the "
            "profiler. Coroutine frames are counted on every resume: read cumtime loosely."
        )
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(15)
            print(f"top 15 by {order}:")
            print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
