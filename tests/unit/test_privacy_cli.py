"""The operator's view of anonymised counts, and the retention setting."""

from __future__ import annotations

from pathlib import Path

from jiayi.services.settings import Settings
from tests.unit.test_settings import _run


def test_privacy_report_lists_only_counts(tmp_path: Path) -> None:
    env = {"JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"}
    report = _run(["report", "privacy"], env, tmp_path)
    assert report.returncode == 0, report.stderr
    assert "No anonymised counts yet." in report.stdout


def test_outbox_retention_defaults_to_13_months(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("JIAYI_OUTBOX_RETENTION_MONTHS", raising=False)
    assert Settings(_env_file=None).outbox_retention_months == 13  # type: ignore[call-arg]
    monkeypatch.setenv("JIAYI_OUTBOX_RETENTION_MONTHS", "24")
    assert Settings(_env_file=None).outbox_retention_months == 24  # type: ignore[call-arg]
