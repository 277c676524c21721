"""The README's Python API examples run as written (each in a fresh interpreter, in a scratch
folder holding the repository's experiments/), and the tour names only commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert found, f"README has no section {title!r}"
    return found.group(1)


def shell_commands(title: str) -> list[str]:
    """The shell commands of a section's plain ``` blocks, in order: one per line (a trailing
    backslash continues it), blank and comment-only lines left out, trailing comments kept."""
    blocks = re.findall(r"^```(?:sh|bash|shell)?\n(.*?)^```", section(title), re.S | re.M)
    script = "\n".join(blocks).replace("\\\n", " ")
    return [
        line.strip() for line in script.splitlines() if line.strip() and line.lstrip()[0] != "#"
    ]


PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", section("Python API"), re.S)


def test_the_api_section_has_its_examples() -> None:
    assert len(PYTHON_BLOCKS) == 2


@pytest.mark.parametrize("code", PYTHON_BLOCKS, ids=["ask-tell", "run_search"])
def test_each_python_example_runs(code: str, tmp_path: Path) -> None:
    (tmp_path / "experiments").symlink_to(REPO / "experiments")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("|") or float(last) == 6.0  # a cell code, or the most edges (6)


def test_the_tour_uses_only_existing_commands() -> None:
    from graphnas.cli import app

    known = {command.name or command.callback.__name__ for command in app.registered_commands}
    known |= {group.name for group in app.registered_groups}
    used = re.findall(r"^graphnas (?:--import \S+ )?([a-z-]+)", section("A short tour"), re.M)
    assert used and set(used) <= known
