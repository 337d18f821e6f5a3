"""A missing or malformed setting stops start-up with one clear line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from jiayi.services.settings import ConfigError, load_settings

JIAYI = [sys.executable, "-m", "jiayi.bot"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")}
    return subprocess.run(
        [*JIAYI, *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({"JIAYI_BOT_TOKEN": "not-a-token"}, ["run"], "JIAYI_BOT_TOKEN"),
        ({"JIAYI_TIMEZONE": "Mars/Olympus"}, ["db", "upgrade"], "JIAYI_TIMEZONE"),
        ({"JIAYI_DATABASE_URL": "mysql://x"}, ["db", "upgrade"], "JIAYI_DATABASE_URL"),
        ({"JIAYI_DEFAULT_LOCALE": "fr"}, ["seed-demo"], "JIAYI_DEFAULT_LOCALE"),
        ({"JIAYI_ADMIN_IDS": "12,abc"}, ["db", "upgrade"], "JIAYI_ADMIN_IDS"),
        ({"JIAYI_TELEGRAM_API_URL": "not a url"}, ["db", "upgrade"], "JIAYI_TELEGRAM_API_URL"),
    ],
)
def test_bad_setting_exits_2_with_one_line(
    tmp_path: Path, env: dict[str, str], args: list[str], named: str
) -> None:
    result = _run(args, env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "not-a-token" not in result.stderr  # a credential is never echoed


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("JIAYI_TIMEZONE=Europe/Berlin\nJIAYI_ADMIN_IDS=1, 2\n")
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path)
        settings = load_settings()
    finally:
        os.chdir(cwd)
    assert settings.timezone == "Europe/Berlin"
    assert settings.admin_ids == {1, 2}


def test_defaults() -> None:
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./jiayi.db"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.default_locale == "zh-CN"
    assert settings.telegram_api_url is None


async def test_the_dispatch_lease_setting_reaches_every_workers_dispatcher(
    tmp_path: Path,
) -> None:
    """Mutation tried: build_worker leaving `lease` out of DispatchSettings — the dispatcher
    keeps the 5-minute default and this fails; a lease of 2 s is refused (at four fifths of it
    sends stop, so a tiny lease would stall every batch)."""
    from aiogram.fsm.storage.memory import MemoryStorage

    from jiayi.bot.app import build_worker
    from jiayi.services.clock import SystemClock

    settings = load_settings(
        bot_token="123456789:TEST-token",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        dispatch_lease_seconds=12,
        _env_file=None,
    )
    worker = build_worker(settings, clock=SystemClock(), storage=MemoryStorage())
    try:
        assert worker.dispatcher.settings.lease == timedelta(seconds=12)
    finally:
        await worker.bot.session.close()
        await worker.database.dispose()
    assert load_settings(_env_file=None).dispatch_lease_seconds == 300
    with pytest.raises(ConfigError, match="JIAYI_DISPATCH_LEASE_SECONDS"):
        load_settings(dispatch_lease_seconds=2, _env_file=None)


def test_config_error_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="JIAYI_TIMEZONE"):
        load_settings(timezone="Nowhere/Land", _env_file=None)


def test_every_command_has_help(tmp_path: Path) -> None:
    for args in (
        ["--help"],
        ["run", "--help"],
        ["db", "--help"],
        ["db", "upgrade", "--help"],
        ["seed-demo", "--help"],
        ["doctor", "--help"],
        ["doctor", "invite", "--help"],
    ):
        result = _run(args, {}, tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout


def test_seed_demo_and_invite_through_the_cli(tmp_path: Path) -> None:
    env = {
        "JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "JIAYI_BOT_USERNAME": "jiayi_demo_bot",
    }
    first = _run(["seed-demo"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 doctor(s) and 3 resident(s) added" in first.stdout
    again = _run(["seed-demo"], env, tmp_path)
    assert "0 doctor(s) and 0 resident(s) added" in again.stdout
    invite = _run(["doctor", "invite", "--name", "赵医生", "--centre", "demo"], env, tmp_path)
    assert invite.returncode == 0, invite.stderr
    assert invite.stdout.startswith("Invite for a NEW doctor 赵医生 (link code ")
    assert (
        invite.stdout.strip().splitlines()[-1].startswith("https://t.me/jiayi_demo_bot?start=inv_")
    )
    missing = _run(["doctor", "invite", "--name", "x", "--centre", "nowhere"], env, tmp_path)
    assert missing.returncode == 1
    assert "No centre with code 'nowhere'" in missing.stderr


def test_calendar_and_content_check_commands(tmp_path: Path) -> None:
    calendar = _run(["calendar", "2026"], {}, tmp_path)
    assert calendar.returncode == 0, calendar.stderr
    assert "2026-11-07  solar_term  立冬 Start of Winter" in calendar.stdout
    assert "tip lidong" in calendar.stdout
    # Always a fixed day: the shipped reviews fall due on a real date (the old time bomb).
    check = _run(["content", "check", "--today", "2026-11-23"], {}, tmp_path)
    assert check.returncode == 0, check.stderr
    assert "Content OK" in check.stdout
    # Pending clinical reviews are reported as warnings; no review date is near.
    assert "review due by" not in check.stdout


def test_content_check_warns_half_a_year_before_a_review_and_fails_after_it(
    tmp_path: Path,
) -> None:
    """The operator hears about a review months ahead; only an overdue review fails.

    Mutations tried: `--today` ignored (the real date used): the 2027-11-24 run passes today;
    REVIEW_WARNING shrunk to 60 days: no warning on 2027-06-01."""
    warned = _run(["content", "check", "--today", "2027-06-01"], {}, tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert "warning: tip lidong: review due by 2027-11-23" in warned.stdout
    assert "Content OK" in warned.stdout
    overdue = _run(["content", "check", "--today", "2027-11-24"], {}, tmp_path)
    assert overdue.returncode == 1
    assert "tip lidong: review was due by 2027-11-23" in overdue.stderr
    # The build's check (make test) warns instead: a passing date never turns CI red.
    build = _run(
        ["content", "check", "--today", "2027-11-24", "--overdue-reviews", "warn"], {}, tmp_path
    )
    assert build.returncode == 0, build.stderr
    assert "warning: tip lidong: review was due by 2027-11-23" in build.stdout
    bad = _run(["content", "check", "--today", "tomorrow"], {}, tmp_path)
    assert bad.returncode == 2
    assert "--today must be a date like 2026-11-23" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_coverage_report_writes_csv(tmp_path: Path) -> None:
    env = {"JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cov.db'}"}
    assert _run(["seed-demo"], env, tmp_path).returncode == 0
    report = _run(["report", "coverage", "--csv", str(tmp_path / "c.csv")], env, tmp_path)
    assert report.returncode == 0, report.stderr
    assert "王医生 Dr Wang" in report.stdout
    rows = (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("resident_id,doctor_id,doctor,delivered")
    assert len(rows) == 4
