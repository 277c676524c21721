"""What the GraphPNAS benchmarks share: one NB201 search of the recipe, and the --json record.

`search(overrides)` runs `experiments/nb201.yaml` through the search build (the same path as
`graphnas search --config experiments/nb201.yaml OVERRIDES`) in a temporary run directory and
returns the summary and the strategy (the --json record is written by `record.write_record`).
"""

from __future__ import annotations

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
