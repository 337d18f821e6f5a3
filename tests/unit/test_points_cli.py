"""`jiayi points load` through the real CLI process."""

from __future__ import annotations

from pathlib import Path

from jiayi.content.points import DEMO_CATALOGUE
from tests.unit.test_settings import _run


def test_points_load_adds_then_updates_and_refuses_a_broken_file(tmp_path: Path) -> None:
    env = {"JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'points.db'}"}
    seeded = _run(["seed-demo"], env, tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "6 points reward(s)" in seeded.stdout
    loaded = _run(["points", "load", str(DEMO_CATALOGUE)], env, tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "Rewards added: none; updated: blood_lipid_test" in loaded.stdout

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "centre: demo\nrewards:\n  - {code: x, name: {en: X}, cost: 5, stock: 1, valid_days: 1}\n",
        encoding="utf-8",
    )
    refused = _run(["points", "load", str(broken)], env, tmp_path)
    assert refused.returncode == 1
    assert "missing ['zh-CN']" in refused.stderr
