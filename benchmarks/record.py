"""The machine-readable record every benchmark script writes with `--json PATH`.

A record is {"name", "command", "table_md", "rows"}: the benchmark's name in benchmarks/suite.py,
the command line that reruns it, the markdown table(s) with short notes that BENCHMARKS.md
quotes, and the same figures as a list of dicts. A script that cannot run here (data missing)
writes {"name", "command", "skipped": reason} instead, and `python -m benchmarks` keeps the
previous result. Scripts import it as `from record import ...` (they run from benchmarks/).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """`--json PATH`: also write the record there."""
    parser.add_argument("--json", type=Path, default=None, help="write the record (JSON) here")


def command_line() -> str:
    """The command that reruns this benchmark as it was called, without its `--json` option."""
    script = Path(sys.argv[0]).resolve()
    if script.is_relative_to(ROOT):
        script = script.relative_to(ROOT)
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--json":
            skip = True
        elif not arg.startswith("--json="):
            args.append(arg)
    return shlex.join([".venv/bin/python", str(script), *args])


def write_record(path: Path | None, name: str, table_md: str, rows: list[dict[str, Any]]) -> None:
    """Print the table; with a path, also write the record there."""
    print(table_md, flush=True)
    _write(path, {"name": name, "command": command_line(), "table_md": table_md, "rows": rows})


def write_skip(path: Path | None, name: str, reason: str) -> None:
    """Say why this benchmark cannot run here (and record it with a path)."""
    print(f"{name}: skipped: {reason}", flush=True)
    _write(path, {"name": name, "command": command_line(), "skipped": reason})


def _write(path: Path | None, record: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
