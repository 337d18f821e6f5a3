"""JIAYI_REQUIRE_POSTGRES / JIAYI_REQUIRE_REDIS: a missing backend fails the run, not skips it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
POSTGRES_TEST = "tests/integration/test_storage.py::test_centre_lookup"
REDIS_TEST = "tests/e2e/test_process.py::test_sign_up_survives_a_restart_with_redis_state"
NOBODY_LISTENS = "redis://127.0.0.1:1/0"


def _pytest(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", target],
        env={**clean, "JIAYI_SKIP_BROWSER_TESTS": "1", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("target", "env", "variable"),
    [
        (POSTGRES_TEST, {}, "JIAYI_REQUIRE_POSTGRES"),
        (f"{REDIS_TEST}[sqlite]", {"JIAYI_TEST_REDIS_URL": NOBODY_LISTENS}, "JIAYI_REQUIRE_REDIS"),
    ],
)
def test_a_missing_backend_skips_unless_required(
    target: str, env: dict[str, str], variable: str
) -> None:
    """Mutation tried: `skip_or_fail` in tests/conftest.py always skipping: the required run
    reports a skip and exits 0."""
    relaxed = _pytest(target, env)
    assert relaxed.returncode == 0, relaxed.stdout
    assert "skipped" in relaxed.stdout
    required = _pytest(target, {**env, variable: "1"})
    assert required.returncode == 1, required.stdout
    assert f"{variable}=1 forbids skipping" in required.stdout
