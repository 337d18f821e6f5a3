"""Two webhook workers (`jiayi run --webhook --workers 2`, a real gunicorn process tree) on
PostgreSQL and Redis, with the in-repo Bot API server delivering updates by webhook.

Needs JIAYI_TEST_POSTGRES_URL and a Redis at JIAYI_TEST_REDIS_URL (CI has both).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, insert, select

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.tips import Topic
from jiayi.sandbox.botapi import BotAPIServer, RecordedRequest, TgUser
from jiayi.scheduler.lease import LEASE_KEY
from jiayi.services import booking, broadcasts
from jiayi.services.clock import SystemClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.delivery import DispatchSettings
from jiayi.services.demo import seed_demo
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from jiayi.storage.records import OutboxStatus
from tests.e2e.conftest import TOKEN, make_chat
from tests.e2e.test_onboarding import sign_up_in_english
from tests.factories import make_doctor

REDIS_URL = os.environ.get("JIAYI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "e2e-webhook-secret"
PARENT = 4101
TAKEOVER_LIMIT = 30.0

pytestmark = pytest.mark.timeout(180)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    return database_url


@pytest.fixture
async def redis_client() -> AsyncIterator[object]:
    redis = pytest.importorskip("redis.asyncio")
    client = redis.from_url(REDIS_URL)
    try:
        await client.flushdb()
    except Exception:
        await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    yield client
    await client.flushdb()
    await client.aclose()


class Workers:
    """`jiayi run --webhook --workers 2` as an operator starts it, in its own process."""

    def __init__(self, botapi: BotAPIServer, database_url: str, tmp_path: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")} | {
            "JIAYI_BOT_TOKEN": TOKEN,
            "JIAYI_TELEGRAM_API_URL": botapi.base_url,
            "JIAYI_DATABASE_URL": database_url,
            "JIAYI_REDIS_URL": REDIS_URL,
            "JIAYI_WEBHOOK_URL": f"{self.base}/telegram",
            "JIAYI_WEBHOOK_SECRET": SECRET,
            "JIAYI_WEBHOOK_LISTEN": f"127.0.0.1:{self.port}",
            "JIAYI_DISPATCH_INTERVAL_SECONDS": "0.5",
        }
        self.cwd = tmp_path
        self.process: asyncio.subprocess.Process | None = None
        self.log = tmp_path / "workers.log"

    async def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "jiayi.bot",
                "run",
                "--webhook",
                "--workers",
                "2",
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(self.log.read_text())
                try:
                    async with session.get(f"{self.base}/readyz") as response:
                        if response.status == 200 and len(self.worker_pids()) == 2:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.3)
        raise AssertionError("workers did not become ready:\n" + self.log.read_text())

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in path.read_text().split()} if path.exists() else set()

    async def stop(self) -> str:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 60)
        return self.log.read_text()


@pytest.fixture
async def workers(
    botapi: BotAPIServer, postgres_url: str, redis_client: object, tmp_path: Path
) -> AsyncIterator[Workers]:
    botapi.allow_http_webhooks = True
    running = Workers(botapi, postgres_url, tmp_path)
    yield running
    log = await running.stop()
    assert "Traceback" not in log, log


async def _leader_pid(redis: object) -> int | None:
    value = await redis.get(LEASE_KEY)  # type: ignore[attr-defined]
    return int(value.decode().split(":")[1]) if value else None


async def test_a_sign_up_and_booking_whose_steps_land_on_both_workers_completes(
    botapi: BotAPIServer, workers: Workers, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: RedisStorage replaced by MemoryStorage in bot/webhook.py (each worker
    keeps its own conversation state) — sign-up stalls at the first typed answer that
    reaches the worker which did not ask the question ("What year were you born?")."""
    clock = SystemClock()
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await workers.start()  # the leader materialises the demo's slots as it takes the lease
    chat = make_chat(botapi, PARENT, language_code="en")
    assert botapi.webhook_url == f"{workers.base}/telegram"

    # Sign-up is a conversation held in FSM state; each answer is an update a worker takes.
    await sign_up_in_english(chat)
    await chat.wait_for("You're all set!")
    for _ in range(2):
        await chat.send("/book")
        await chat.wait_for("What would you like to book?")
        await chat.press("Health check-up")
        days = await chat.wait_for("Choose a day:")
    await chat.press(next(t for t in days.button_texts() if "free" in t))
    times = await chat.wait_for("choose a time")
    await chat.press(next(t for t in times.button_texts() if "free" in t))
    await chat.wait_for("Please check and confirm")
    await chat.press("Confirm booking")
    booked = await chat.wait_for("Booked ✓")

    [appointment] = await booking.my_appointments(uow_factory(), clock, PARENT)
    assert appointment.check_in_code in booked.text
    handled = [d for d in botapi.webhook_deliveries if d.chat == PARENT]
    assert all(d.status == 200 for d in handled)
    assert {d.worker for d in handled} == {str(pid) for pid in workers.worker_pids()}

    async with aiohttp.ClientSession() as session:
        # A request without the secret is refused, whichever worker takes it.
        async with session.post(f"{workers.base}/telegram", json={"update_id": 1}) as response:
            assert response.status == 401
        async with session.get(f"{workers.base}/healthz") as response:
            assert response.status == 200
        # /metrics adds up both workers, whichever answers.
        async with session.get(f"{workers.base}/metrics") as response:
            metrics = _samples(await response.text())
    messages = metrics.get('jiayi_updates_total{kind="message"}', 0.0)
    assert messages >= 3  # /start, the year of birth, /book twice
    assert metrics['jiayi_handler_seconds_count{kind="callback_query"}'] >= 8
    assert metrics.get('jiayi_sends_total{result="sent"}', 0.0) == 0  # nothing pushed yet


def _samples(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


async def test_several_workers_without_postgresql_and_redis_refuse_to_start(
    tmp_path: Path,
) -> None:
    """Mutation tried: `_run_webhook` skipping `shared_state_missing()` — gunicorn starts
    two workers on SQLite and the command does not exit with 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")} | {
        "JIAYI_BOT_TOKEN": TOKEN,
        "JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        "JIAYI_WEBHOOK_URL": "https://bot.example.org/telegram",
        "JIAYI_WEBHOOK_SECRET": SECRET,
        "JIAYI_WEBHOOK_LISTEN": f"127.0.0.1:{_free_port()}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "jiayi.bot", "run", "--webhook", "--workers", "2"),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert err.decode().strip().splitlines() == [
        "Configuration error: 2 workers need shared state: JIAYI_DATABASE_URL must be "
        "PostgreSQL; JIAYI_REDIS_URL must be set"
    ]


async def test_killing_the_leader_moves_planning_to_another_worker(
    workers: Workers, redis_client: object
) -> None:
    """Mutation tried: a lease ttl of 60 s in scheduler/lease.py — the takeover takes
    longer than 30 s and this fails."""
    await workers.start()
    deadline = time.monotonic() + 20
    leader = None
    while leader is None and time.monotonic() < deadline:
        leader = await _leader_pid(redis_client)
        await asyncio.sleep(0.2)
    assert leader in workers.worker_pids()

    os.kill(leader, signal.SIGKILL)
    killed_at = time.monotonic()
    new_leader = leader
    while new_leader in (leader, None) and time.monotonic() - killed_at < TAKEOVER_LIMIT:
        await asyncio.sleep(0.5)
        new_leader = await _leader_pid(redis_client)
    assert new_leader not in (leader, None), "no worker took the lease within 30 s"
    assert new_leader in workers.worker_pids()

    # Exactly one live worker leads: the leader gauge, summed over the workers, is 1.
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{workers.base}/metrics") as response,
    ):
        text = await response.text()
    [line] = [line for line in text.splitlines() if line.startswith("jiayi_scheduler_leader ")]
    assert float(line.split()[1]) == 1.0


# The mid-broadcast kill: enough residents that sending at the top rate takes ~13 s, and a
# short claim lease so the dead worker's rows come back within seconds, not 5 minutes.
KILL_RESIDENTS = 400
KILL_RATE = 30
KILL_LEASE = 12
KILL_DOCTOR = 4900
KILL_FIRST_USER = 300_000
KILL_TEXT = "Flu shots are available"


async def _broadcast_audience(uow_factory: UnitOfWorkFactory, doctor_id: int) -> list[int]:
    """KILL_RESIDENTS consenting, onboarded residents under contract with the doctor, opted
    out of every tip topic so the leader's planner queues nothing for them beside it."""
    now = SystemClock().now()
    users = list(range(KILL_FIRST_USER, KILL_FIRST_USER + KILL_RESIDENTS))
    async with uow_factory() as uow:
        s = uow.session
        await s.execute(
            insert(m.Resident),
            [
                {
                    "telegram_user_id": user,
                    "display_name": f"R{user}",
                    "locale": "en",
                    # No age: no age-based care-plan reminders beside the broadcast either.
                    "birth_year": None,
                    "consent_version": CONSENT_NOTICE_VERSION,
                    "consented_at": now,
                    "onboarded_at": now,
                    "created_at": now,
                    "updated_at": now,
                    # The workers run on the wall clock: no quiet hours, or a run in the
                    # Shanghai evening would hold the broadcast until 08:00.
                    "quiet_start": 0,
                    "quiet_end": 0,
                }
                for user in users
            ],
        )
        ids = list(
            await s.scalars(select(m.Resident.id).where(m.Resident.telegram_user_id.in_(users)))
        )
        await s.execute(
            insert(m.ResidentTopicOptOut),
            [{"resident_id": rid, "topic": topic.value} for rid in ids for topic in Topic],
        )
        await s.execute(
            insert(m.Contract),
            [
                {
                    "resident_id": rid,
                    "doctor_id": doctor_id,
                    "starts_on": now.date(),
                    "ends_on": now.date() + timedelta(days=364),
                    "created_at": now,
                }
                for rid in ids
            ],
        )
        await uow.commit()
    return users


async def _outstanding_claims(uow_factory: UnitOfWorkFactory) -> int:
    """Batches claimed and not yet finished: one per dispatcher mid-batch (a dispatcher
    works one batch at a time, and all rows of one claim share their `claimed_until`)."""
    o = m.OutboxMessage
    async with uow_factory() as uow:
        found = await uow.session.scalar(
            select(func.count(func.distinct(o.claimed_until))).where(
                o.status == OutboxStatus.CLAIMED.value
            )
        )
    return int(found or 0)


async def _outbox_statuses(uow_factory: UnitOfWorkFactory) -> Counter[str]:
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(o.status, func.count()).where(o.kind == "broadcast").group_by(o.status)
        )
        return Counter({status: int(n) for status, n in rows.all()})


@pytest.mark.slow
async def test_killing_a_worker_mid_broadcast_delivers_every_message_once(
    botapi: BotAPIServer, workers: Workers, uow_factory: UnitOfWorkFactory
) -> None:
    """Two workers send a 400-resident broadcast at 30/s; one worker process, holding a
    claimed batch, is SIGKILLed once 40 % are out. Per the Bot API server's own record every
    resident gets it, at most `DispatchSettings.concurrency` (the send slots in flight at the
    kill) get it twice, and every outbox row ends `sent` (the dead worker's rows are sent by
    the other worker, or gunicorn's replacement, once the claim lease runs out).

    Mutation tried: `send_chat` in services/delivery.py keeping its results in a list and
    submitting them to the recorder only after the whole batch (no record before the slot's
    next send) — the messages the killed worker had sent in its batch are sent again when
    its lease runs out: 124 residents got the broadcast two or three times, bound 32.
    Unmutated: 0 or 1 twice in three runs (the machine busy with a CI run)."""
    workers.env |= {
        "JIAYI_PUSH_RATE": str(KILL_RATE),
        "JIAYI_DISPATCH_LEASE_SECONDS": str(KILL_LEASE),
    }
    clock = SystemClock()
    doctor = await make_doctor(uow_factory, clock)
    async with uow_factory() as uow:
        await uow.doctors.bind_telegram_user(doctor.id, KILL_DOCTOR)
        await uow.commit()
    users = await _broadcast_audience(uow_factory, doctor.id)
    for user in (KILL_DOCTOR, *users):
        botapi.open_chat(TgUser(user, "x"))
    await workers.start()
    pids = workers.worker_pids()
    settings = Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=workers.env["JIAYI_DATABASE_URL"],
        push_rate=KILL_RATE,
        _env_file=None,  # type: ignore[call-arg]
    )
    await broadcasts.create_broadcast(
        uow_factory(),
        clock,
        settings,
        KILL_DOCTOR,
        broadcasts.Draft(texts={"zh-CN": "流感疫苗开始接种", "en": KILL_TEXT}),
        owner_locale="en",
    )
    audience = set(users)

    def sends() -> list[int]:
        return [r.chat_id for r in broadcast_requests()]

    def broadcast_requests() -> list[RecordedRequest]:
        return [
            r
            for r in botapi.requests
            if r.method == "sendMessage"
            and r.ok
            and r.chat_id in audience
            and KILL_TEXT in str(r.params.get("text"))
        ]

    deadline = time.monotonic() + 60
    while len(sends()) < KILL_RESIDENTS * 0.4:
        assert time.monotonic() < deadline, "the broadcast did not start"
        await asyncio.sleep(0.05)
    # Both workers are mid-batch (400 rows, batches of 200): whichever dies was dispatching.
    assert await _outstanding_claims(uow_factory) == 2
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    sent_before_kill = len(sends())

    deadline = killed_at + 150
    while True:
        statuses = await _outbox_statuses(uow_factory)
        if statuses[OutboxStatus.SENT.value] == KILL_RESIDENTS:
            break
        assert time.monotonic() < deadline, f"not all delivered: {dict(statuses)}"
        await asyncio.sleep(0.5)
    finished = time.monotonic() - killed_at

    received = Counter(sends())
    last = max(r.at for r in broadcast_requests()) - killed_at

    twice = sorted(chat for chat, n in received.items() if n > 1)
    bound = DispatchSettings.concurrency
    print(
        f"killed worker {victim} after {sent_before_kill}/{KILL_RESIDENTS} sends; all sent "
        f"{finished:.1f} s later, the last send {last:.1f} s after the kill (lease {KILL_LEASE} "
        f"s, a dead sender's chat locks expire after 60 s); residents who got it twice: "
        f"{len(twice)} (bound: {bound} send slots)"
    )
    assert set(received) == audience  # every resident got it
    assert max(received.values()) <= 2
    assert len(twice) <= bound
    assert statuses == Counter({OutboxStatus.SENT.value: KILL_RESIDENTS})
