"""Several webhook workers on PostgreSQL + Redis against the Bot API test server.

    python -m benchmarks.workers [--workers 1,2,4] [--residents 300] [--users 40]
                                 [--rounds 5] [--rate 25] [--redis-url redis://127.0.0.1:6379/14]

For the single process (`jiayi run`, long polling) and then for each worker count
(`jiayi run --webhook --workers N`, a real gunicorn process tree), on a fresh scratch
PostgreSQL database and a flushed Redis database: seeds `--residents` onboarded residents
contracted to one doctor, starts the bot, and measures

- updates: `--users` residents at once each send the typical mix (/menu, a tap on its first
  button, /tips, /points, /appointments, /profile) `--rounds` times, each waiting for the
  bot's answer before the next; updates/s over the phase, p50/p99 of the time from the
  update's arrival at the test server to the bot's first answer in that chat.
- sends: one broadcast to every resident, dispatched by every worker at once with
  JIAYI_PUSH_RATE=`--rate`: the aggregate rate measured on the test server's clock (first to
  last sendMessage), whether it stays within ±5 % of the limit, and duplicates (chats that
  got the broadcast more than once; must be 0).

The Bot API test server and the load generator run in this process, the bot in its own
processes. Nothing is asserted: the script prints a table, with the single process as the
baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import and_, func, insert, or_, select

from benchmarks._common import (
    machine_note,
    print_table,
    scratch_database,
)
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser
from jiayi.services import broadcasts
from jiayi.services.broadcasts import Draft
from jiayi.services.clock import SystemClock
from jiayi.services.database import open_database
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.factories import make_doctor

TOKEN = "123456789:BENCH-token-for-workers"
SECRET = "bench-webhook-secret"
DOCTOR_USER = 900
FIRST_USER = 300_000
MIX = ("/menu", "tap", "/tips", "/points", "/appointments", "/profile")


@dataclass
class Row:
    mode: str
    updates: int
    updates_per_s: float
    p50_ms: float
    p99_ms: float
    sends: int
    send_rate: float
    duplicates: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(url: str, residents: int) -> None:
    clock = SystemClock()
    database = open_database(url)
    try:
        doctor = await make_doctor(database.uow_factory, clock)
        now = clock.now()
        async with database.uow_factory() as uow:
            await uow.doctors.bind_telegram_user(doctor.id, DOCTOR_USER)
            s = uow.session
            await s.execute(
                insert(m.Resident),
                [
                    {
                        "telegram_user_id": FIRST_USER + i,
                        "display_name": f"R{i}",
                        "locale": "en",
                        "birth_year": 1950,
                        "consent_version": CONSENT_NOTICE_VERSION,
                        "consented_at": now,
                        "onboarded_at": now,
                        "created_at": now,
                        "updated_at": now,
                        # Quiet hours that never apply: the broadcast goes at once.
                        "quiet_start": 0,
                        "quiet_end": 0,
                    }
                    for i in range(residents)
                ],
            )
            ids = list(await s.scalars(select(m.Resident.id)))
            await s.execute(
                insert(m.Contract),
                [
                    {
                        "resident_id": rid,
                        "doctor_id": doctor.id,
                        "starts_on": now.date(),
                        "ends_on": now.date().replace(year=now.year + 1),
                        "created_at": now,
                    }
                    for rid in ids
                ],
            )
            await uow.commit()
    finally:
        await database.dispose()


async def _due_pushes(url: str) -> int:
    """Outbox rows due now or being sent."""
    database = open_database(url)
    try:
        async with database.uow_factory() as uow:
            o = m.OutboxMessage
            due = or_(
                and_(o.status == "pending", o.not_before <= SystemClock().now()),
                o.status == "claimed",
            )
            return int(await uow.session.scalar(select(func.count()).where(due)) or 0)
    finally:
        await database.dispose()


async def _start_bot(
    server: BotAPIServer, url: str, redis_url: str, workers: int, rate: float, log: Path
) -> tuple[asyncio.subprocess.Process, str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")} | {
        "JIAYI_BOT_TOKEN": TOKEN,
        "JIAYI_TELEGRAM_API_URL": server.base_url,
        "JIAYI_DATABASE_URL": url,
        "JIAYI_REDIS_URL": redis_url,
        "JIAYI_PUSH_RATE": str(rate),
        "JIAYI_DISPATCH_INTERVAL_SECONDS": "0.5",
        "JIAYI_LOG_LEVEL": "WARNING",
        "JIAYI_WEBHOOK_URL": f"{base}/telegram",
        "JIAYI_WEBHOOK_SECRET": SECRET,
        "JIAYI_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    args = ["run", "--webhook", "--workers", str(workers)] if workers else ["run"]
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jiayi.bot", *args, env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the bot stopped; see {log}")
            if workers == 0:
                if server.waiting_polls:
                    return process, base
            else:
                try:
                    async with session.get(f"{base}/readyz") as response:
                        if response.status == 200 and server.webhook_url:
                            # Give every worker time to finish importing and start serving.
                            await asyncio.sleep(2 + workers)
                            return process, base
                except aiohttp.ClientError:
                    pass
            await asyncio.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the bot did not start; see {log}")


async def _resident(chat: ChatClient, rounds: int, latencies: list[float]) -> None:
    for _ in range(rounds):
        for step in MIX:
            began = time.monotonic()
            if step == "tap":
                menu = chat.last()
                buttons = menu.button_texts()
                if not buttons:
                    continue
                await chat.press(buttons[0])
            else:
                await chat.send(step)
            await chat.wait_reply(timeout=60)
            latencies.append(time.monotonic() - began)


async def _run(
    mode: str, workers: int, args: argparse.Namespace, redis: Redis, scratch: Path
) -> Row:
    async with scratch_database("postgresql", tag=mode.replace(" ", "")) as url:
        await _seed(url, args.residents)
        await redis.flushdb()
        async with BotAPIServer() as server:
            server.allow_http_webhooks = True
            for i in range(args.residents):
                server.open_chat(TgUser(FIRST_USER + i, f"R{i}", language_code="en"))
            process, _ = await _start_bot(
                server, url, args.redis_url, workers, args.rate, scratch / f"{mode}.log"
            )
            try:
                # Updates: the typical mix, --users residents at once.
                chats = [
                    ChatClient(server, TgUser(FIRST_USER + i, f"R{i}", language_code="en"))
                    for i in range(args.users)
                ]
                latencies: list[float] = []
                began = time.monotonic()
                await asyncio.gather(*(_resident(c, args.rounds, latencies) for c in chats))
                elapsed = time.monotonic() - began

                # The day's tips for the new residents go first: let them drain, so the
                # broadcast's window holds only the broadcast.
                drain_until = time.monotonic() + args.residents / args.rate * 4 + 60
                while time.monotonic() < drain_until:
                    if not await _due_pushes(url):
                        break
                    await asyncio.sleep(1)

                # Sends: one broadcast to everyone, every worker dispatching.
                settings = Settings(
                    database_url=url,
                    push_rate=args.rate,
                    _env_file=None,  # type: ignore[call-arg]
                )
                database = open_database(url)
                try:
                    first_request = len(server.requests)
                    await broadcasts.create_broadcast(
                        database.uow_factory(),
                        SystemClock(),
                        settings,
                        DOCTOR_USER,
                        Draft(texts={"zh-CN": "流感疫苗开始接种", "en": "Flu shots"}),
                        owner_locale="en",
                    )
                finally:
                    await database.dispose()

                def broadcast_sends() -> list[tuple[int, float]]:
                    return [
                        (r.chat_id, r.at)
                        for r in server.requests[first_request:]
                        if r.method == "sendMessage"
                        and r.status == 200
                        and r.chat_id is not None
                        and "Flu shots" in str(r.params.get("text", ""))
                    ]

                deadline = time.monotonic() + args.residents / args.rate * 3 + 30
                while time.monotonic() < deadline:
                    if len({chat for chat, _ in broadcast_sends()}) >= args.residents:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)  # anything doubled arrives late
                sends = broadcast_sends()
                if not sends:
                    raise RuntimeError(f"{mode}: no broadcast message arrived")
                first = min(at for _, at in sends)
                last = max(at for _, at in sends)
                # Every push the dispatchers sent meanwhile counts against the one limit.
                pushed = [
                    r.at
                    for r in server.requests[first_request:]
                    if r.method == "sendMessage" and first <= r.at <= last
                ]
                rate = (len(pushed) - 1) / (last - first) if last > first else 0.0
                duplicates = sum(n - 1 for n in Counter(c for c, _ in sends).values() if n > 1)
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 60)
                except TimeoutError:
                    process.kill()
    ordered = sorted(latencies)
    return Row(
        mode=mode,
        updates=len(latencies),
        updates_per_s=len(latencies) / elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        sends=len({chat for chat, _ in sends}),
        send_rate=rate,
        duplicates=duplicates,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    print(machine_note())
    redis = Redis.from_url(args.redis_url)
    rows: list[Row] = []
    try:
        with TemporaryDirectory(prefix="jiayi_bench_workers_") as scratch:
            modes = [("1 process (polling)", 0)] + [
                (f"{n} worker(s) (webhook)", int(n)) for n in args.workers.split(",")
            ]
            for mode, workers in modes:
                rows.append(await _run(mode, workers, args, redis, Path(scratch)))
                print(f"done: {mode}", flush=True)
    finally:
        await redis.flushdb()
        await redis.aclose()
    base = rows[0]
    print_table(
        [
            "mode",
            "updates",
            "updates/s",
            "× baseline",
            "p50 ms",
            "p99 ms",
            "sent",
            "send rate/s",
            f"within ±5 % of {args.rate:g}",
            "duplicates",
        ],
        [
            (
                r.mode,
                r.updates,
                f"{r.updates_per_s:.1f}",
                f"{r.updates_per_s / base.updates_per_s:.2f}",
                f"{r.p50_ms:.0f}",
                f"{r.p99_ms:.0f}",
                r.sends,
                f"{r.send_rate:.2f}",
                "yes" if abs(r.send_rate - args.rate) <= args.rate * 0.05 else "no",
                r.duplicates,
            )
            for r in rows
        ],
    )
    print(machine_note())


if __name__ == "__main__":
    asyncio.run(main())
