"""One contender process of a multi-process SQLite race (tests/integration/race_support.py).

Usage: python -m tests.integration.race_worker DATABASE_URL JOB_JSON
Prints "ready" once connected, waits for a line on stdin, runs the job's calls at once and
prints the outcome counts as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

from jiayi.services import booking, points
from jiayi.services.clock import ManualClock
from jiayi.services.database import open_database
from jiayi.services.errors import DomainError
from tests.conftest import T0
from tests.integration.booking_support import SHANGHAI


async def main(url: str, job: dict[str, Any]) -> Counter[str]:
    database = open_database(url)
    clock = ManualClock(T0)
    try:
        async with database.uow_factory() as uow:  # connected: the file and schema are there
            await uow.centres.list()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the parent releases every process at once
        factory = database.uow_factory
        if job["kind"] == "book":
            calls = [
                booking.book(factory(), clock, user, job["slot_id"], None, SHANGHAI)
                for user in job["users"]
            ]
        elif job["kind"] == "redeem":
            calls = [
                points.redeem(factory(), clock, job["user"], job["reward_id"], SHANGHAI)
                for _ in range(job["presses"])
            ]
        else:
            raise ValueError(job["kind"])
        results = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await database.dispose()
    seen: Counter[str] = Counter()
    for result in results:
        if isinstance(result, DomainError):
            seen[result.code] += 1
        elif isinstance(result, BaseException):
            seen[f"crash:{type(result).__name__}: {result}"] += 1
        else:
            seen["ok"] += 1
    return seen


if __name__ == "__main__":
    url, job = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(asyncio.run(main(url, job))))
