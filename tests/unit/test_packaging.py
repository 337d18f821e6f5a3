"""What `pip install jiayi` puts on a machine (issue #18): one top-level package, `jiayi`, with
every file the service reads at run time (templates, catalogs, tips, rules, migrations, the
sandbox's and the console's pages), and the `jiayi` command pointing into it.

Built from a copy of the tracked files, so the check sees what a release would ship and
leaves no build/ folder in the checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lint configuration per layer: read by ruff in the checkout, not by the installed service.
NOT_SHIPPED = {"ruff.toml"}


def _tracked(prefix: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", prefix],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # What a commit of the working tree would hold: new files count, deleted ones do not.
    return sorted({line for line in out.splitlines() if line and (ROOT / line).is_file()})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to know which files are tracked")
    source = tmp_path_factory.mktemp("source")
    # The whole checkout, so a packaging rule that picks up tests/ or benchmarks/ shows here.
    for name in _tracked("."):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), "."],
        cwd=source,
        check=True,
        timeout=300,
    )
    (built,) = out.glob("jiayi-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_installs_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    top = {name.split("/", 1)[0] for name in wheel.namelist()}
    dist_info = {name for name in top if name.endswith(".dist-info")}
    assert top - dist_info == {"jiayi"}


def test_every_tracked_file_the_service_reads_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    shipped = set(wheel.namelist())
    missing = [
        name
        for name in _tracked("jiayi")
        if Path(name).name not in NOT_SHIPPED and name not in shipped
    ]
    assert missing == []
    assert "jiayi/py.typed" in shipped


def test_the_jiayi_command_points_into_the_package(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "jiayi = jiayi.bot.cli:app" in text
