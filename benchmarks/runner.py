"""Run the benchmarks of the suite and keep their records, stamped with where they were measured.

Each entry runs as `python benchmarks/<script>.py ARGS --json TMP` from the repository root; a
record it writes is checked, stamped with the git commit it started at (dirty: the script's
dependencies, as `stale.py` finds them, differed from it then), date, mode and wall seconds,
and kept as `results/NAME.json` (full mode) or `results/quick/NAME.json` (quick mode). A
skipped run keeps the previous record; a failed one (non-zero exit, no or malformed record) is
reported and the others still run.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.suite import Bench

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MODES = ("quick", "full")
RECORD_KEYS = ("name", "command", "table_md", "rows")


class BenchError(Exception):
    """A benchmark could not be run or its record is unusable: one line naming it."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one entry: "ok", "skipped" or "failed", with a one-line detail."""

    name: str
    status: str
    detail: str
    seconds: float


def results_dir(mode: str, root: Path = RESULTS) -> Path:
    """Where the records of a mode live."""
    return root if mode == "full" else root / mode


def select(suite: Sequence[Bench], only: Sequence[str]) -> list[Bench]:
    """The entries named in `only` (all when empty), in suite order; unknown names refused."""
    names = [bench.name for bench in suite]
    unknown = sorted(set(only) - set(names))
    if unknown:
        raise BenchError(
            f"--only: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(names)}"
        )
    return [bench for bench in suite if not only or bench.name in only]


def git_state(root: Path = ROOT, paths: Sequence[str] = ()) -> dict[str, Any]:
    """The commit the tree is at and whether tracked files (under `paths`, when given) differ
    from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", *paths)),
    }


def run_bench(
    bench: Bench,
    mode: str,
    *,
    root: Path = ROOT,
    results: Path = RESULTS,
    python: str = sys.executable,
    timeout_s: float | None = None,
) -> Outcome:
    """Run one entry in `mode` and keep its record; never raises for the benchmark's own faults."""
    args = bench.quick if mode == "quick" else bench.full
    script = root / "benchmarks" / f"{bench.script}.py"
    target = results_dir(mode, results) / f"{bench.name}.json"
    start = time.perf_counter()
    from benchmarks.stale import dependencies  # stale builds on this module's BenchError

    # The code the run starts from (not whatever HEAD is at its end); dirty: the script's own
    # dependencies differ from it (an edit elsewhere, e.g. to BENCHMARKS.md, does not count).
    deps = dependencies(root, bench.script) if script.is_file() else []
    measured_at = git_state(root, deps)
    with tempfile.TemporaryDirectory(prefix=f"bench-{bench.name}-") as tmp:
        scratch = Path(tmp) / "record.json"
        command = [python, str(script), *args, "--json", str(scratch)]
        env = {**os.environ, "WANDB_MODE": os.environ.get("WANDB_MODE", "disabled")}
        try:
            done = subprocess.run(command, cwd=root, env=env, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return Outcome(
                bench.name, "failed", f"ran past {timeout_s:g} s", time.perf_counter() - start
            )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            return Outcome(bench.name, "failed", f"exit status {done.returncode}", seconds)
        try:
            record = _read_record(scratch, bench.name)
        except BenchError as err:
            return Outcome(bench.name, "failed", str(err), seconds)
    if "skipped" in record:
        return Outcome(bench.name, "skipped", str(record["skipped"]), seconds)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    record.update(measured_at, date=date, mode=mode, seconds=round(seconds, 1))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return Outcome(
        bench.name,
        "ok",
        str(target.relative_to(root)) if target.is_relative_to(root) else str(target),
        seconds,
    )


def run_suite(
    suite: Sequence[Bench], mode: str, only: Sequence[str] = (), **options: Any
) -> list[Outcome]:
    """Run the selected entries one after another, printing a line per outcome."""
    if mode not in MODES:
        raise BenchError(f"--mode: unknown mode {mode!r}; valid: {', '.join(MODES)}")
    outcomes = []
    for bench in select(suite, only):
        print(f"== {bench.name} ({mode})", flush=True)
        outcome = run_bench(bench, mode, **options)
        print(
            f"== {bench.name}: {outcome.status} ({outcome.seconds:.1f} s): {outcome.detail}",
            flush=True,
        )
        outcomes.append(outcome)
    return outcomes


def _read_record(path: Path, name: str) -> dict[str, Any]:
    if not path.is_file():
        raise BenchError("wrote no record (does the script accept --json?)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise BenchError(f"record is not JSON ({err})") from None
    if not isinstance(record, dict):
        raise BenchError("record is not a JSON object")
    if record.get("name") != name:
        raise BenchError(f"record names {record.get('name')!r}, expected {name!r}")
    if "skipped" in record:
        return record
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise BenchError(f"record lacks {', '.join(missing)}")
    if not isinstance(record["table_md"], str) or not isinstance(record["rows"], list):
        raise BenchError("record's table_md must be a string and rows a list")
    return record
