"""The README's tour runs top to bottom as written, in a fresh copy of the repository.

Every shell command of the "A short tour" section's ``` blocks runs, in order, in a temporary git
repository holding the tracked files (as they are on disk: uncommitted edits are tried too), with
the venv's ``graphnas`` first on PATH and the copy's own code on PYTHONPATH. A command the
README marks with a trailing ``# needs: WHAT`` (data, a GPU, a cluster) or ``# slow: WHY`` is not
run: it is reported as a skipped test with that reason. Afterwards no tracked file may have changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_readme_examples import REPO, shell_commands

MARK = re.compile(r"\s#\s*(needs|slow):\s*(?P<why>.+)$")
TOUR = shell_commands("A short tour")
RUN = [command for command in TOUR if not MARK.search(command)]
MARKED = [command for command in TOUR if MARK.search(command)]


def fresh_copy(dest: Path) -> None:
    """The tracked files of REPO in a new git repository at dest, committed (a fresh clone)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, text=True
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree stays out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git = ["git", "-c", "user.name=tour", "-c", "user.email=tour@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tour"]):
        subprocess.run(git + args, cwd=dest, check=True, capture_output=True)


def tour_env(clone: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(clone)  # the copy's code, not the editable install's
    env["WANDB_MODE"] = "disabled"
    # One intra-op thread: on a loaded 2-core machine torch's default of 2 made the tour's
    # 50-query search take 60 s instead of 8 s (see tests/conftest.py).
    env["OMP_NUM_THREADS"] = "1"
    return env


def test_the_tour_has_commands_and_every_marker_a_reason() -> None:
    assert len(RUN) >= 5, TOUR
    for command in MARKED:
        assert MARK.search(command)["why"].strip(), command


@pytest.mark.parametrize("command", MARKED)
def test_marked_tour_command(command: str) -> None:
    found = MARK.search(command)
    pytest.skip(f"{found[1]}: {found['why'].strip()} ({command[: found.start()].strip()})")


def test_the_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    clone = tmp_path / "graphnas"
    fresh_copy(clone)
    env = tour_env(clone)
    assert shutil.which("graphnas", path=env["PATH"]) == str(
        Path(sys.executable).parent / "graphnas"
    )
    where = subprocess.run(
        [sys.executable, "-c", "import graphnas; print(graphnas.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(clone), where
    took = []
    for command in RUN:
        start = time.monotonic()
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        took.append(f"{time.monotonic() - start:5.1f} s  {command[:90]}")
        assert done.returncode == 0, (
            f"{command!r} exited {done.returncode}:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        )
    print("\n".join(took))

    changed = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [line for line in changed if not line.startswith("??")] == [], (
        "the tour changed tracked files"
    )
