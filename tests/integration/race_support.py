"""Helpers for the race tests: a connection pool wider than the crowd on PostgreSQL, and
contenders in separate OS processes on one SQLite file.

What the races prove, per database:
- PostgreSQL: N callers run at once on N pooled connections (the pool is sized above the
  crowd), so row locks, conditional UPDATEs and unique indexes are what stop oversells and
  duplicates.
- SQLite, one process: writers queue on the process's asyncio write lock before BEGIN
  IMMEDIATE, so these runs prove the services' read-then-write logic and error answers, not
  the database's locking.
- SQLite, two processes (the `*_across_processes` tests): each process has its own write lock;
  only SQLite's file lock taken by BEGIN IMMEDIATE keeps them apart.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# At most this many simultaneous callers on PostgreSQL: the server is shared (100 connections)
# and every caller gets a connection of its own.
PG_MAX_CONTENDERS = 40
WORKER_TIMEOUT = 120.0


def contenders(database_url: str, wanted: int) -> int:
    return wanted if database_url.startswith("sqlite") else min(wanted, PG_MAX_CONTENDERS)


async def race_in_processes(database_url: str, jobs: list[dict[str, Any]]) -> Counter[str]:
    """Runs each job in its own Python process against the same SQLite file, all released at
    once, and adds up their outcomes ('ok' or an error code; anything else is 'crash:…')."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.race_worker",
            database_url,
            json.dumps(job),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=Path(__file__).parents[2],
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        for job in jobs
    ]
    for process in processes:  # each says "ready" once connected
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), WORKER_TIMEOUT)
        assert line == b"ready\n", line
    for process in processes:  # release them together
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    total: Counter[str] = Counter()
    for process in processes:
        out, err = await asyncio.wait_for(process.communicate(), WORKER_TIMEOUT)
        assert process.returncode == 0, err.decode()
        total.update(json.loads(out))
    return total
