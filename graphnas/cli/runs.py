"""`graphnas runs [DIR]`: the run directories under DIR with status, queries and best; reads only.

Status: `running` (a graphnas process holds the directory's lock), `finished` (stopped by its
budget or strategy), `interrupted` (SIGINT/SIGTERM; resumable), `killed` (no summary, or a ledger
longer than its summary: a kill or crash; resumable), `damaged` (a file cannot be read).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from graphnas.cli.app import app, echo
from graphnas.cli.search import format_number
from graphnas.errors import GraphnasError, InputFileError
from graphnas.runfiles import (
    CONFIG_FILE,
    LEDGER_FILE,
    LOCK_FILE,
    SUMMARY_FILE,
    read_jsonl,
    read_summary_file,
)

# How deep below DIR run directories are looked for (compare folders hold theirs in runs/).
MAX_DEPTH = 4

try:
    import fcntl
except ImportError:  # not POSIX: no locks to look at
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class RunRow:
    """What `graphnas runs` shows of one run directory."""

    path: Path
    status: str
    queries: int | None
    best: float | None
    code: str
    strategy: str


@app.command()
def runs(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="A folder of runs, or one run directory.")
    ] = Path("runs"),
) -> None:
    """List run directories with status, queries and best reward (newest last)."""
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such directory")
    rows = [describe_run(path) for path in find_runs(folder)]
    if not rows:
        echo(f"no run directories under {folder}")
        return
    table = [("run", "status", "queries", "best", "strategy", "best architecture")]
    for row in rows:
        name = str(row.path.relative_to(folder)) if row.path != folder else str(row.path)
        queries = "" if row.queries is None else str(row.queries)
        best = "" if row.best is None else format_number(row.best)
        table.append((name, row.status, queries, best, row.strategy, row.code))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        echo("  ".join([*cells, line[-1]]).rstrip())


def find_runs(folder: Path) -> list[Path]:
    """Run directories (holding config.yaml) at or below `folder`, oldest first."""
    found: list[Path] = []

    def visit(path: Path, depth: int) -> None:
        if (path / CONFIG_FILE).is_file():
            found.append(path)
            return
        if depth < MAX_DEPTH:
            for child in sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink()):
                visit(child, depth + 1)

    visit(folder, 0)
    return sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))


def describe_run(path: Path) -> RunRow:
    """The row of one run directory (a file that cannot be read makes it `damaged`)."""
    strategy = _strategy_name(path)
    try:
        entries = list(read_jsonl(path / LEDGER_FILE)) if (path / LEDGER_FILE).exists() else []
        summary = read_summary_file(path / SUMMARY_FILE)
    except GraphnasError:
        return RunRow(path, "damaged", None, None, "", strategy)
    best_entry = max(
        (e for e in entries if e.get("status") == "ok" and _is_number(e.get("reward"))),
        key=lambda e: e["reward"],
        default=None,
    )
    best = (summary or {}).get("best") or {}
    code = str(best.get("code") or "")
    if best_entry is not None and best_entry["reward"] != best.get("reward"):
        code = ""  # the summary is older than the ledger: its best may not be the best
    reward = best_entry["reward"] if best_entry is not None else None
    return RunRow(path, _status(path, summary, len(entries)), len(entries), reward, code, strategy)


def _status(path: Path, summary: dict[str, Any] | None, queries: int) -> str:
    if _lock_held(path / LOCK_FILE):
        return "running"
    if summary is None or int(summary.get("queries") or 0) < queries:
        return "killed"
    stopped = str(summary.get("stopped") or "")
    return "interrupted" if stopped.startswith("interrupted") else "finished"


def _strategy_name(path: Path) -> str:
    from graphnas.config import read_yaml_mapping

    try:
        strategy = read_yaml_mapping(path / CONFIG_FILE).get("strategy")
    except GraphnasError:
        return ""
    name = strategy.get("name") if isinstance(strategy, dict) else strategy
    return name if isinstance(name, str) else ""


def _lock_held(lock_file: Path) -> bool:
    """True while another process holds the run's lock (looked at without writing anything)."""
    if fcntl is None or not lock_file.exists():
        return False
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
