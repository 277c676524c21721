"""What the GraphPNAS benchmarks share: one NB201 search of the recipe, and the --json record.

`search(overrides)` runs `experiments/nb201.yaml` through the search build (the same path as
`graphnas search --config experiments/nb201.yaml OVERRIDES`) in a temporary run directory and
returns the summary and the strategy; `write_record` writes the {name, command, table_md, rows}
file that `python -m benchmarks` renders into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphnas.config import load_search_config
from graphnas.search import build_search

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "experiments" / "nb201.yaml"
QUIET = ["tracking.backends=[]", "progress=false", "checkpoint_every_s=3600"]


def search(overrides: Sequence[str]) -> tuple[dict[str, Any], Any]:
    """(summary, strategy) of one recipe search with `overrides`, run in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        config = load_search_config(EXPERIMENT, [*overrides, *QUIET, f"out={Path(tmp) / 'run'}"])
        loop = build_search(config)
        summary = loop.run()
        return summary, loop.strategy


def command_line() -> str:
    """The command that reruns this benchmark as it was called."""
    script = Path(sys.argv[0]).resolve()
    if script.is_relative_to(ROOT):
        script = script.relative_to(ROOT)
    return shlex.join([".venv/bin/python", str(script), *sys.argv[1:]])


def write_record(path: Path | None, name: str, table_md: str, rows: list[dict[str, Any]]) -> None:
    """Print the table; with a path, also write the machine-readable record there."""
    print(table_md, flush=True)
    if path is None:
        return
    record = {"name": name, "command": command_line(), "table_md": table_md, "rows": rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
